"""One formatter per format behind one factory: formatter_for(name) -> callable(ReportData) -> str | bytes.

Formatters do no I/O: the caller (the CLI, the cycle's report writer) decides where the text goes.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from archiver.report.formats.as_csv import render_csv
from archiver.report.formats.as_html import render_html
from archiver.report.formats.as_json import render_json
from archiver.report.formats.as_junit import render_junit
from archiver.report.formats.as_markdown import render_markdown
from archiver.report.formats.as_robustlinks import render_robustlinks
from archiver.report.formats.as_table import render_table
from archiver.report.model import ReportData

Formatter = Callable[[ReportData], "str | bytes"]

FORMATTERS: dict[str, Formatter] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
    "junit": render_junit,
    "html": render_html,
    "robustlinks": render_robustlinks,
}
FORMAT_NAMES = tuple(FORMATTERS)


def formatter_for(name: str, *, terminal: bool = False, width: int = 120) -> Formatter:
    """The formatter called `name` (ValueError naming the known ones otherwise).

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
