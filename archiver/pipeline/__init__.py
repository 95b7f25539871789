"""Cycles: capture articles and their references, check links, keep the evidence.

`open_pipeline(settings)` wires store, fetcher and WARC recorder together and
closes them (WARCs renamed) on exit.

Each name below is imported from its module on first use (archiver.lazy): a command that only
opens the store does not load the fetcher, the extractors and the browser.
"""

from archiver.lazy import lazy_exports

_WHERE = {
    "STAGES": "timing",
    "ArticleSummary": "cycle",
    "Capturer": "capture",
    "CheckSummary": "cycle",
    "Pipeline": "cycle",
    "QueuedRun": "queued_runs",
    "QueuedRuns": "queued_runs",
    "QueuedWork": "queued_work",
    "RunNotFinished": "queued_runs",
    "UnknownWork": "queued_work",
    "StageTimes": "timing",
    "UrlOutcome": "capture",
    "article_from_cli": "cycle",
    "fill_local_cache": "warc_shipping",
    "open_pipeline": "wiring",
    "open_queued_work": "wiring",
    "open_store": "storage",
    "register_configured_sources": "wiring",
    "thumbnail_reader": "browser_capture",
    "require_shared_database": "queued_runs",
    "utc_now": "cycle",
    "warcinfo_fields": "wiring",
    "source_fetch_settings": "wiring",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
