"""The one report builder: store queries -> ReportData. Every format is rendered from what this returns.

    data = build_report(store, settings, now=utc_now(), since=None, article_url=None)

`since` None means "since the previous check run" (--since LAST); a datetime
means changes since then. Reads only; the store is never written.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone

from archiver.judge.compare import unified_diff
from archiver.models import Capture
from archiver.report.model import (
    DEFAULT_FAIL_ON, UNCHECKED, ArchivedCopy, ArticleReport, ArticleStream, CaptureRef, LinkChange, LinkReport,
    PublicCopy, ReportData, ReportSummary, ordered_counts,
)
from archiver.report.news import NewsCounter
from archiver.report.timeline import HISTORY_RUNS, ReplayedHistory, kept_history
from archiver.settings import Settings
from archiver.urls import normalize_url

DRIFT_CHANGES = ("drifted", "off_topic")
THUMBNAIL_PREFIX = "urn:thumbnail:"  # the resource record of a browser capture's first screen (pipeline/browser_capture.py)
ThumbnailReader = Callable[[Capture], bytes | None]

CapturesByUrl = dict[str, list[tuple[int, Capture]]]
ARTICLE_PAGE = 200  # articles (or changes) per store page: with 10 references each, a few thousand rows at a time


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
                 complete: bool = False, page_size: int = ARTICLE_PAGE,
                 thumbnails: ThumbnailReader | None = None) -> ReportData:
    """The report over every article (or the one at `article_url`; LookupError if it is not registered).

    Counts the references (in the database) and the news (from the links changed since the cutoff), and
    takes the history chart from the tallies the runs kept; only one article's report, or one whose
    newest runs predate run tallies, replays the history in a pass over its articles, a page of
    `page_size` at a time. The articles and the news themselves are read, page by page, whenever a
    formatter walks them. `complete` (--all): HTML and table show every article
    and every change; otherwise they show the first settings.report.changes_shown changes of each kind
    and failing_articles_shown articles with failing references.
    `thumbnails(capture)` reads a browser capture's thumbnail record (pipeline.thumbnail_reader): the
    report shows it beside the article's archived-copy link.
    """
    article_id = None
    if article_url is not None:
        article_id = store.get_article_id(normalize_url(article_url))
        if article_id is None:
            raise LookupError(f"no registered article {article_url}")
    fail_on = tuple(fail_on)
    counted = store.report_summary(article_id, fail_on)
    by_verdict = ordered_counts(Counter(counted["by_verdict"]))
    summary = ReportSummary(counted["articles"], counted["references"], by_verdict,
                            counted["failing_references"], counted["failing_articles"])
    runs = store.observed_runs(HISTORY_RUNS)
    cutoff = since if since is not None else (runs[-1]["started_at"] if runs else None)
    news = NewsCounter(store, cutoff)
    news.count(article_id, page_size)
    # Each run keeps its verdict counts as it ends; the chart replays observations only for one article's
    # report, or while some of the newest runs are from before run tallies were kept.
    kept = store.run_tallies([run["id"] for run in runs]) if article_id is None else {}
    if len(kept) == len(runs):
        history = kept_history(runs, kept)
    else:
        replayed = ReplayedHistory(store, runs)
        for page in _article_pages(store, article_id, page_size):
            replayed.add(store.report_links([row["id"] for row in page]))
        history = replayed.history()
    replay = settings.report.replay_url

    def every_page():
        for page in _article_pages(store, article_id, page_size):
            yield _reports(store, page, store.report_links([row["id"] for row in page]), replay, thumbnails)

    def failing_pages():
        for page in _article_pages(store, article_id, page_size, failing=fail_on):
            yield _reports(store, page, store.report_links([row["id"] for row in page], fail_on), replay,
                           thumbnails)

    single, single_url = None, None
    if article_id is not None:
        [row] = store.report_article_page(None, 1, article_id=article_id)
        single, single_url = row["title"] or row["seed_title"] or row["url"], row["url"]
    return ReportData(
        title=f"Link health: {single}" if single else "Link health report",
        generated_at=now, since_label="LAST" if since is None else since.date().isoformat(),
        article_filter=single_url, fail_on=fail_on,
        changes=news.changes(article_id, page_size, lambda page: _with_copies(store, page, replay)),
        history=history,
        articles=ArticleStream(every_page, summary.articles, page_size), summary=summary,
        failing_articles=ArticleStream(failing_pages if fail_on else lambda: iter(()), summary.failing_articles,
                                       page_size),
        complete=complete, changes_shown=settings.report.changes_shown,
        failing_articles_shown=settings.report.failing_articles_shown,
    )


def _with_copies(store, page: list[LinkChange], replay: str) -> list[LinkChange]:
    """A page of news with each changed reference's archived and public copies (read for that page alone)."""
    urls = list(dict.fromkeys(change.url for change in page))
    captures, public = store.report_captures(urls), store.public_copies_for(urls)
    return [replace(change, archived_copy=_archived_copy(change.url, captures.get(change.url, []), replay,
                                                         earliest=True),
                    public_copies=tuple(_public_copy(copy) for copy in public.get(change.url, ())))
            for change in page]


def _article_pages(store, article_id: int | None, page_size: int, failing: tuple[str, ...] = ()):
    """Article rows a page at a time, by id (keyset: each page starts after the last id of the one before)."""
    after = None
    while True:
        page = store.report_article_page(after, page_size, article_id=article_id, failing=failing)
        if page:
            yield page
        if len(page) < page_size:
            return
        after = page[-1]["id"]


def _reports(store, article_rows: list[dict], link_rows: list[dict], replay: str,
             thumbnails: ThumbnailReader | None = None) -> list[ArticleReport]:
    """One page of articles as ArticleReports, with what the store knows of their links (a few queries per page)."""
    links_by_article: dict[int, list[dict]] = {row["id"]: [] for row in article_rows}
    for link in link_rows:
        links_by_article[link["article_id"]].append(link)
    link_urls = list(dict.fromkeys(link["url"] for link in link_rows))
    urls = link_urls + [row["url"] for row in article_rows]
    latest = store.latest_observations(urls)
    captures = store.report_captures(urls)
    public = store.public_copies_for(link_urls)
    overrides = store.overrides_for(link_urls)  # reviewers' words from the UI (archiver serve)
    shots = _thumbnails(store, [row["url"] for row in article_rows], thumbnails)
    return [
        _article(store, row, latest, captures, replay,
                 tuple(_link(store, link, latest, captures, replay, public.get(link["url"], ()), overrides)
                       for link in links_by_article[row["id"]]), shots.get(row["url"]))
        for row in article_rows
    ]


def _thumbnails(store, urls: list[str], read: ThumbnailReader | None) -> dict[str, str]:
    """Each article's latest browser-capture thumbnail as a data: URL, for the page's articles at once."""
    if read is None:
        return {}
    found = store.report_captures([THUMBNAIL_PREFIX + url for url in urls])
    shots = {}
    for url in urls:
        kept = [capture for _, capture in found.get(THUMBNAIL_PREFIX + url, []) if capture.warc_file]
        data = read(kept[-1]) if kept else None
        if data:
            shots[url] = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
    return shots


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
        public_copies=tuple(_public_copy(copy) for copy in public),
        override=override.kind if (override := (overrides or {}).get(row["url"])) else None,
    )


def _article(store, row: dict, latest, captures: CapturesByUrl, replay: str,
             links: tuple[LinkReport, ...], thumbnail: str | None = None) -> ArticleReport:
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
        links=links, key=row["id"], clean_title=row["clean_title"],
        date_raw=row["published_raw"] if row["published"] else row["seed_date"], modified=row["modified"],
        thumbnail=thumbnail,
    )


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


def _public_copy(copy) -> PublicCopy:
    return PublicCopy(copy.archive, copy.memento_url, copy.memento_datetime, copy.looked_up_at)


def _capture_ref(capture: Capture) -> CaptureRef:
    return CaptureRef(url=capture.url, fetched_at=capture.fetched_at, http_status=capture.http_status,
                      warc_file=capture.warc_file or "", warc_offset=capture.warc_offset or 0,
                      warc_length=capture.warc_length, record_id=capture.record_id, hop=capture.hop)
