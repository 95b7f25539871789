"""Link-health reports: one builder (store -> ReportData), one formatter per format behind one factory.

    data = build_report(store, settings, now=utc_now(), since=parse_since("LAST"))
    text = formatter_for("markdown")(data)        # str, or bytes for junit; no I/O
    publish_reports(data, reports_dir(settings))  # what a cycle leaves in archives/reports/
"""

from archiver.lazy import lazy_exports

# Imported on first use (archiver.lazy): the formatters load Jinja and the extractors' text tools.
_WHERE = {
    "build_report": "builder", "parse_since": "builder", "replay_url_for": "builder",
    "FORMAT_NAMES": "formats", "formatter_for": "formats", "stream_for": "formats",
    "DEFAULT_FAIL_ON": "model", "SCHEMA_VERSION": "model", "VERDICT_ORDER": "model", "ReportData": "model",
    "publish_reports": "publish", "publish_site": "publish", "reports_dir": "publish",
    "write_atomically": "publish", "write_cycle_reports": "publish",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
