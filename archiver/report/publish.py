"""The reports a cycle leaves behind: archives/reports/report-<UTC time>.html and .json, plus latest.html/latest.json.

The one module of the package that writes files. Each file is written to a temporary
name in the same folder and moved into place with os.replace, so a reader (a web
server, a dashboard polling latest.json) never sees half a report.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from archiver.report.builder import build_report
from archiver.report.formats import formatter_for
from archiver.report.model import ReportData
from archiver.settings import Settings

CYCLE_FORMATS = ("html", "json")


def reports_dir(settings: Settings) -> Path:
    return settings.storage.data_dir / "reports"


def write_cycle_reports(store, settings: Settings, now: datetime, thumbnails=None) -> dict[str, Path]:
    """Build the full report (changes since the previous run) and publish it; return {format: report file}."""
    return publish_reports(build_report(store, settings, now=now, thumbnails=thumbnails), reports_dir(settings))


def publish_reports(data: ReportData, directory: Path) -> dict[str, Path]:
    """report-<YYYYmmddTHHMMSSZ>.<format> for each cycle format, then latest.<format> (same bytes).

    Returns {format: the timestamped file}.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = data.generated_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    written = {}
    for name in CYCLE_FORMATS:
        output = formatter_for(name)(data)
        content = output.encode("utf-8") if isinstance(output, str) else output
        written[name] = directory / f"report-{stamp}.{name}"
        write_atomically(written[name], content)
        write_atomically(directory / f"latest.{name}", content)
    return written


def write_atomically(target: Path, content: bytes) -> None:
    """Write `content` to `target` via a temporary file in the same folder and os.replace."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600; a report is for reading
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
