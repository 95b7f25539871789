"""What each page shows, read from the store: plain dicts and the report's own dataclasses for the templates.

Nothing here renders HTML or knows about requests; app.py hands these to the templates.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from archiver.judge.compare import unified_diff
from archiver.report import replay_url_for
from archiver.report.formats.chart import verdict_chart
from archiver.report.model import DEFAULT_FAIL_ON, UNCHECKED, RunVerdicts, ordered_counts
from archiver.settings import Settings
from archiver.web.cache import AggregateCache

HISTORY_RUNS = 30
CHANGES_SHOWN = 50
HOST_FAILING = ("dead", "rotten", "suspect")  # the host does not answer with the page
DRIFTING = ("drifted", "off_topic")
OBSERVATIONS_PER_LINK = 10
HOSTS_SHOWN = 100


def dashboard(store, cache: AggregateCache) -> dict:
    """Counts (from the aggregate cache: None while the first count runs), the chart and the latest changes."""
    totals, counted_at = cache.get("totals", store.link_verdict_totals)
    history = tuple(RunVerdicts(run_id=run["id"], kind=run["kind"], started_at=run["started_at"],
                                checked=sum(run["counts"].values()), counts=ordered_counts(Counter(run["counts"])))
                    for run in store.run_verdict_history(HISTORY_RUNS))
    since = history[-1].started_at if history else None
    page = {"counted_at": counted_at, "chart": verdict_chart(history), "since": since,
            "changes": store.recent_link_changes(since, CHANGES_SHOWN), "counts": None}
    if totals is not None:
        article_count, by_verdict = totals
        counts = ordered_counts(Counter({(verdict or UNCHECKED): n for verdict, n in by_verdict.items()}))
        page.update(articles=article_count, references=sum(counts.values()), counts=counts,
                    failing=sum(counts.get(verdict, 0) for verdict in DEFAULT_FAIL_ON))
    return page


def hosts(store, cache: AggregateCache) -> tuple[list[dict] | None, object]:
    """(hosts of the references, the most failing first: {"host", "links", "failing", "counts"}; when counted)."""

    def compute() -> list[dict]:
        per_host: dict[str, Counter] = {}
        for host, verdict, n in store.links_by_host_and_verdict():
            per_host.setdefault(host, Counter())[verdict or UNCHECKED] += n
        rows = [{"host": host, "links": sum(counts.values()),
                 "failing": sum(counts.get(verdict, 0) for verdict in HOST_FAILING), "counts": ordered_counts(counts)}
                for host, counts in per_host.items()]
        rows.sort(key=lambda row: (-row["failing"], -row["links"], row["host"]))
        return rows[:HOSTS_SHOWN]

    return cache.get("hosts", compute)


def article_page(store, settings: Settings, article_id: int) -> dict | None:
    article = store.article_row(article_id)
    if article is None:
        return None
    rows = store.article_links(article_id)
    newest = max((row["last_seen"] for row in rows), default=None)
    urls = [row["url"] for row in rows]
    history = store.recent_observations(urls + [article["url"]], OBSERVATIONS_PER_LINK)
    overrides = store.overrides_for(urls)
    times = store.answered_capture_times(urls + [article["url"]])
    public = store.public_copies_for(urls)
    replay = settings.report.replay_url
    links = []
    for row in rows:
        checks = history.get(row["url"], [])
        latest = checks[0] if checks else None
        first = times.get(row["url"])
        links.append({**row, "verdict": row["verdict"] or UNCHECKED, "still_linked": row["last_seen"] == newest,
                      "checks": checks, "latest": latest, "override": overrides.get(row["url"]),
                      "has_diff": latest is not None and latest.content_change in DRIFTING,
                      "archived": (replay_url_for(replay, row["url"], first[0]), first[0]) if first else None,
                      "public": public.get(row["url"], [])})
    own = history.get(article["url"], [])
    latest_capture = times.get(article["url"])
    return {"article": {**article, "verdict": article["verdict"] or UNCHECKED,
                        "label": article["title"] or article["seed_title"] or article["url"],
                        "date": article["published"] or article["seed_date"]},
            "links": links, "own_checks": own, "own_latest": own[0] if own else None,
            "archived": (replay_url_for(replay, article["url"], latest_capture[1]), latest_capture[1])
            if latest_capture else None}


def link_page(store, settings: Settings, url: str) -> dict:
    replay = settings.report.replay_url
    captures = [{**row, "replay": replay_url_for(replay, row["url"], row["fetched_at"])
                 if row["warc_file"] and row["http_status"] else None}
                for row in store.link_captures(url, 100)]
    checks = store.recent_observations([url], 50).get(url, [])
    return {"url": url, "citing": store.citing_articles(url, 200), "captures": captures, "checks": checks,
            "verdict": checks[0].verdict if checks else UNCHECKED,
            "override": store.overrides_for([url]).get(url), "public": store.public_copies_for([url]).get(url, [])}


def diff_of(store, url: str) -> tuple[object, str | None] | None:
    """(the latest check of `url`, its unified diff against the baseline or None); None if never checked."""
    checks = store.recent_observations([url], 1).get(url, [])
    if not checks:
        return None
    latest = checks[0]
    if latest.diff:
        return latest, latest.diff
    ids = [i for i in (latest.baseline_capture_id, latest.capture_id) if i is not None]
    hashes = store.text_hashes_of_captures(ids) if len(ids) == 2 else {}
    if len(hashes) < 2:
        return latest, None
    before, after = store.get_text(hashes[latest.baseline_capture_id]), store.get_text(hashes[latest.capture_id])
    if before is None or after is None:
        return latest, None
    return latest, unified_diff(before, after, from_label="baseline", to_label="now") or None


def parse_day(text: str) -> str:
    """An ISO date from a form ("" when empty); ValueError for anything else."""
    text = text.strip()
    if text:
        datetime.strptime(text, "%Y-%m-%d")
    return text
