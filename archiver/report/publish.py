"""The reports a cycle leaves behind: archives/reports/report-<UTC time>.html and .json, plus latest.html/latest.json,
and the pages of an HTML report written with --all.

Both of a cycle's files stay small at any size of archive: the HTML is the default page (the news
and the failing references, each section cut at its [report] limit), the JSON holds the counts, the
news and the history (scope "news"); the whole archive's JSON is `archiver report --format json`.
Only the newest [report] keep_reports runs' files are kept: a daemon writes two files a run for months.

The one module of the package that writes files. Each file is written to a temporary
name in the same folder and moved into place with os.replace, so a reader (a web
server, a dashboard polling latest.json) never sees half a report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from archiver.report.builder import build_report
from archiver.report.formats import stream_for
from archiver.report.formats.as_html import render_html_site
from archiver.report.formats.as_json import render_json
from archiver.report.model import ReportData
from archiver.settings import ReportSettings, Settings

CYCLE_FORMATS = ("html", "json")


def reports_dir(settings: Settings) -> Path:
    return settings.storage.data_dir / "reports"


def write_cycle_reports(store, settings: Settings, now: datetime, thumbnails=None) -> dict[str, Path]:
    """Build the report (changes since the previous run) and publish it; return {format: report file}."""
    return publish_reports(build_report(store, settings, now=now, thumbnails=thumbnails), reports_dir(settings),
                           keep=settings.report.keep_reports)


def publish_reports(data: ReportData, directory: Path, *, keep: int = ReportSettings().keep_reports) -> dict[str, Path]:
    """report-<YYYYmmddTHHMMSSZ>.<format> for each cycle format, then latest.<format> (the same file);
    then the files of all but the newest `keep` reports are removed. Returns {format: the timestamped file}.

    The HTML is the default page (the news, the chart, the failing references by article, each section
    cut); the JSON holds every count, the news and the history (scope "news"), streamed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = data.generated_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    streamers = {"html": stream_for("html"), "json": lambda report: render_json(report, scope="news")}
    written = {}
    for name in CYCLE_FORMATS:
        written[name] = directory / f"report-{stamp}.{name}"
        write_atomically(written[name], streamers[name](data))
        link_atomically(written[name], directory / f"latest.{name}")
    remove_old_reports(directory, keep)
    return written


def remove_old_reports(directory: Path, keep: int) -> list[Path]:
    """Remove the cycle report files (report-<stamp>.<format>) of all but the newest `keep` stamps; latest.*
    are hard links of the newest, so they stay readable. Returns the removed files."""
    stamps = sorted({path.name.split(".", 1)[0] for path in directory.glob("report-*Z.*")}, reverse=True)
    removed = []
    for stamp in stamps[keep:]:
        for name in CYCLE_FORMATS:
            path = directory / f"{stamp}.{name}"
            if path.exists():
                path.unlink()
                removed.append(path)
    return removed


def publish_site(data: ReportData, directory: Path) -> Path:
    """The HTML report with --all as pages in `directory` (index.html, articles-N.html, article/<id>.html).

    Each page is written atomically; pages of articles no longer in the archive are left as they were.
    Returns index.html.
    """
    (directory / "article").mkdir(parents=True, exist_ok=True)
    for relative, pieces in render_html_site(data):
        write_atomically(directory / relative, pieces)
    return directory / "index.html"


def write_atomically(target: Path, content: bytes | Iterable[str] | Iterable[bytes]) -> None:
    """Write `content` (bytes, or pieces of text or bytes as a formatter yields them) to `target` via a
    temporary file in the same folder and os.replace."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            for piece in [content] if isinstance(content, bytes) else content:
                file.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600; a report is for reading
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def link_atomically(source: Path, target: Path) -> None:
    """`target` becomes the same file as `source` (a hard link, swapped in with os.replace; a copy where
    the file system has no hard links): latest.json costs no second write of a large report."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:
        shutil.copyfile(source, temporary)
    try:
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
