"""One formatter per format behind one factory.

    for piece in stream_for("json")(data): ...     # str pieces (bytes for junit), the report never whole
    text = formatter_for("markdown")(data)         # the pieces joined: for small reports and tests

Formatters do no I/O: the caller (the CLI, the cycle's report writer) decides where the text goes.
render_html_site (HTML with --all) yields (relative path, pieces) per page instead.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Iterator

from archiver.report.formats.as_csv import render_csv
from archiver.report.formats.as_html import render_html, render_html_site
from archiver.report.formats.as_json import render_json
from archiver.report.formats.as_junit import render_junit
from archiver.report.formats.as_markdown import render_markdown
from archiver.report.formats.as_robustlinks import render_robustlinks
from archiver.report.formats.as_table import render_table
from archiver.report.model import ReportData

Streamer = Callable[[ReportData], "Iterator[str] | Iterator[bytes]"]
Formatter = Callable[[ReportData], "str | bytes"]

FORMATTERS: dict[str, Streamer] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
    "junit": render_junit,
    "html": render_html,
    "robustlinks": render_robustlinks,
}
FORMAT_NAMES = tuple(FORMATTERS)

__all__ = ["FORMAT_NAMES", "formatter_for", "render_html_site", "stream_for"]


def stream_for(name: str, *, terminal: bool = False, width: int = 120) -> Streamer:
    """The formatter called `name`, yielding the report in pieces (ValueError naming the known ones otherwise).

    `terminal` and `width` matter to the table only: colours and a table for a
    terminal of that width, plain tab-separated text otherwise.
    """
    try:
        formatter = FORMATTERS[name]
    except KeyError:
        raise ValueError(f"unknown report format {name!r}: expected one of {', '.join(FORMAT_NAMES)}") from None
    if formatter is render_table:
        return partial(render_table, terminal=terminal, width=width)
    return formatter


def formatter_for(name: str, *, terminal: bool = False, width: int = 120) -> Formatter:
    """stream_for's pieces joined into one str (bytes for junit)."""
    streamer = stream_for(name, terminal=terminal, width=width)

    def whole(data: ReportData) -> str | bytes:
        pieces = list(streamer(data))
        return b"".join(pieces) if pieces and isinstance(pieces[0], bytes) else "".join(pieces)

    return whole
