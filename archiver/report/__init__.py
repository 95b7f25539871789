"""Link-health reports: one builder (store -> ReportData), one formatter per format behind one factory.

    data = build_report(store, settings, now=utc_now(), since=parse_since("LAST"))
    text = formatter_for("markdown")(data)        # str, or bytes for junit; no I/O
    publish_reports(data, reports_dir(settings))  # what a cycle leaves in archives/reports/
"""

from archiver.report.builder import build_report, parse_since, replay_url_for
from archiver.report.formats import FORMAT_NAMES, formatter_for, stream_for
from archiver.report.model import DEFAULT_FAIL_ON, SCHEMA_VERSION, VERDICT_ORDER, ReportData
from archiver.report.publish import publish_reports, publish_site, reports_dir, write_atomically, write_cycle_reports

__all__ = ["DEFAULT_FAIL_ON", "FORMAT_NAMES", "SCHEMA_VERSION", "VERDICT_ORDER", "ReportData", "build_report",
           "formatter_for", "parse_since", "publish_reports", "publish_site", "replay_url_for", "reports_dir",
           "stream_for", "write_atomically", "write_cycle_reports"]
