"""The one report builder: store queries -> ReportData. Every format is rendered from what this returns.

    data = build_report(store, settings, now=utc_now(), since=None, article_url=None)

`since` None means "since the previous check run" (--since LAST); a datetime
means changes since then. Reads only; the store is never written.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone

from archiver.judge.compare import unified_diff
from archiver.models import Capture
from archiver.report.model import (
    DEFAULT_FAIL_ON, UNCHECKED, ArchivedCopy, ArticleReport, CaptureRef, LinkReport, PublicCopy, ReportData,
)
from archiver.report.timeline import changes_since, run_history
from archiver.settings import Settings

THUMBNAIL_PREFIX = "urn:thumbnail:"  # the resource record of a browser capture's first screen (pipeline/browser_capture.py)
ThumbnailReader = Callable[[Capture], bytes | None]
from archiver.urls import normalize_url

DRIFT_CHANGES = ("drifted", "off_topic")

CapturesByUrl = dict[str, list[tuple[int, Capture]]]


def parse_since(text: str) -> datetime | None:
    """--since: "LAST" (None: since the previous check run) or an ISO date / datetime (UTC unless it says)."""
    if text.strip().upper() == "LAST":
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since takes LAST or an ISO date such as 2026-01-05, not {text!r}") from None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def build_report(store, settings: Settings, *, now: datetime, since: datetime | None = None,
                 article_url: str | None = None, fail_on: tuple[str, ...] = DEFAULT_FAIL_ON,
                 thumbnails: ThumbnailReader | None = None) -> ReportData:
    """The report over every article (or the one at `article_url`; LookupError if it is not registered).

    `thumbnails(capture)` reads a browser capture's thumbnail record (pipeline.thumbnail_reader): the report
    shows it beside the article's archived-copy link."""
    article_id = None
    if article_url is not None:
        article_id = store.get_article_id(normalize_url(article_url))
        if article_id is None:
            raise LookupError(f"no registered article {article_url}")
    article_rows = store.report_articles(article_id)
    links_by_article: dict[int, list[dict]] = {row["id"]: [] for row in article_rows}
    for link in store.report_links(list(links_by_article)):
        links_by_article[link["article_id"]].append(link)
    article_urls = [row["url"] for row in article_rows]
    link_urls = list(dict.fromkeys(link["url"] for rows in links_by_article.values() for link in rows))
    latest = store.latest_observations(link_urls + article_urls)
    captures = store.report_captures(link_urls + article_urls)
    public = store.public_copies_for(link_urls)
    overrides = store.overrides_for(link_urls)  # reviewers' words from the UI (archiver serve)
    replay = settings.report.replay_url
    articles = tuple(
        _article(store, row, latest, captures, replay,
                 tuple(_link(store, link, latest, captures, replay, public.get(link["url"], ()), overrides)
                       for link in _still_linked(links_by_article[row["id"]])))
        for row in article_rows
    )
    if thumbnails is not None:
        articles = tuple(_with_thumbnail(store, article, thumbnails) for article in articles)
    history, cutoff = run_history(store, articles), since
    if cutoff is None and history:
        cutoff = history[-1].started_at
    single = articles[0].label if article_id is not None and articles else None
    return ReportData(
        title=f"Link health: {single}" if single else "Link health report",
        generated_at=now, since_label="LAST" if since is None else since.date().isoformat(),
        article_filter=articles[0].url if single else None, fail_on=tuple(fail_on),
        changes=changes_since(store, articles, latest, cutoff), history=history, articles=articles,
    )


def _still_linked(rows: list[dict]) -> list[dict]:
    """Mark each link row with whether the article's latest capture still has it (links never vanish from the store)."""
    newest = max((row["last_seen"] for row in rows), default=None)
    return [{**row, "still_linked": row["last_seen"] == newest} for row in rows]


def _link(store, row: dict, latest, captures: CapturesByUrl, replay: str, public=(), overrides=None) -> LinkReport:
    observation = latest.get(row["url"])
    fetched = captures.get(row["url"], [])
    diff = None
    if observation is not None and observation.content_change in DRIFT_CHANGES:
        diff = _diff_against_baseline(store, dict(fetched), observation)
    return LinkReport(
        url=row["url"], anchor_text=row["anchor_text"] or "", position=row["position"],
        still_linked=row["still_linked"], verdict=row["verdict"] or UNCHECKED, verdict_since=row["verdict_since"],
        observation=observation.observation if observation else None,
        detail=observation.detail if observation else "",
        http_status=observation.http_status if observation else None,
        final_url=observation.final_url if observation else None,
        content_change=observation.content_change if observation else None,
        similarity=observation.similarity if observation else None,
        first_seen=row["first_seen"], last_seen=row["last_seen"], last_checked=row["last_checked_at"],
        archived_copy=_archived_copy(row["url"], fetched, replay, earliest=True), diff=diff,
        captures=tuple(_capture_ref(capture) for _, capture in fetched if capture.warc_file is not None),
        public_copies=tuple(PublicCopy(copy.archive, copy.memento_url, copy.memento_datetime, copy.looked_up_at)
                            for copy in public),
        override=override.kind if (override := (overrides or {}).get(row["url"])) else None,
    )


def _article(store, row: dict, latest, captures: CapturesByUrl, replay: str,
             links: tuple[LinkReport, ...]) -> ArticleReport:
    observation = latest.get(row["url"])
    return ArticleReport(
        url=row["url"], canonical_url=row["canonical_url"], title=row["title"] or row["seed_title"],
        date=row["published"] or row["seed_date"], verdict=row["verdict"] or UNCHECKED,
        observation=observation.observation if observation else None,
        last_checked=row["last_checked_at"], last_captured=row["last_captured_at"],
        content_change=observation.content_change if observation else None,
        similarity=observation.similarity if observation else None,
        diff=(observation.diff or None) if observation else None,
        archived_copy=_archived_copy(row["url"], captures.get(row["url"], []), replay, earliest=False),
        links=links, clean_title=row["clean_title"],
        date_raw=row["published_raw"] if row["published"] else row["seed_date"], modified=row["modified"],
    )


def _with_thumbnail(store, article: ArticleReport, read: ThumbnailReader) -> ArticleReport:
    key = THUMBNAIL_PREFIX + article.url
    shots = [capture for _, capture in store.report_captures([key]).get(key, []) if capture.warc_file]
    data = read(shots[-1]) if shots else None
    if not data:
        return article
    return replace(article, thumbnail="data:image/jpeg;base64," + base64.b64encode(data).decode("ascii"))


def _diff_against_baseline(store, by_id: dict[int, Capture], observation) -> str | None:
    """Baseline text -> current text of a drifted page (both kept in `texts` under their captures' text_hash)."""
    baseline, current = by_id.get(observation.baseline_capture_id), by_id.get(observation.capture_id)
    if baseline is None or current is None or not baseline.text_hash or not current.text_hash:
        return None
    before, after = store.get_text(baseline.text_hash), store.get_text(current.text_hash)
    if before is None or after is None:
        return None
    return unified_diff(before, after, from_label="baseline", to_label="now") or None


def _archived_copy(url: str, fetched: list[tuple[int, Capture]], replay: str, *, earliest: bool) -> ArchivedCopy | None:
    answered = [capture for _, capture in fetched
                if capture.warc_file and capture.http_status is not None and 200 <= capture.http_status < 300]
    if not answered:
        return None
    chosen = answered[0] if earliest else answered[-1]
    return ArchivedCopy(replay_url_for(replay, url, chosen.fetched_at), chosen.fetched_at)


def replay_url_for(template: str, url: str, captured_at: datetime) -> str:
    """`template` with {timestamp} (14-digit UTC capture time) and {url} (the original URL) filled in.

    Plain replacement, not str.format: a configured template is no format string to trip over.
    """
    timestamp = captured_at.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
    return template.replace("{timestamp}", timestamp).replace("{url}", url)


def _capture_ref(capture: Capture) -> CaptureRef:
    return CaptureRef(url=capture.url, fetched_at=capture.fetched_at, http_status=capture.http_status,
                      warc_file=capture.warc_file or "", warc_offset=capture.warc_offset or 0,
                      warc_length=capture.warc_length, record_id=capture.record_id, hop=capture.hop)
