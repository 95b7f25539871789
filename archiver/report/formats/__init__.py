"""One formatter per format behind one factory.

    for piece in stream_for("json")(data): ...     # str pieces (bytes for junit), the report never whole
    text = formatter_for("markdown")(data)         # the pieces joined: for small reports and tests

Formatters do no I/O: the caller (the CLI, the cycle's report writer) decides where the text goes.
as_html.render_html_site (HTML with --all) yields (relative path, pieces) per page instead.
"""

from __future__ import annotations

import importlib
from functools import partial
from typing import Callable, Iterator

from archiver.report.model import ReportData

Streamer = Callable[[ReportData], "Iterator[str] | Iterator[bytes]"]
Formatter = Callable[[ReportData], "str | bytes"]

# Format name -> the module defining render_<name>, imported when that format is asked for: the
# terminal helpers in .common are used by `status`, which must not pay for Jinja and the others.
FORMAT_MODULES: dict[str, str] = {
    "table": "as_table",
    "json": "as_json",
    "csv": "as_csv",
    "markdown": "as_markdown",
    "junit": "as_junit",
    "html": "as_html",
    "robustlinks": "as_robustlinks",
}
FORMAT_NAMES = tuple(FORMAT_MODULES)

__all__ = ["FORMAT_NAMES", "formatter_for", "stream_for"]


def stream_for(name: str, *, terminal: bool = False, width: int = 120) -> Streamer:
    """The formatter called `name`, yielding the report in pieces (ValueError naming the known ones otherwise).

    `terminal` and `width` matter to the table only: colours and a table for a
    terminal of that width, plain tab-separated text otherwise.
    """
    try:
        module = FORMAT_MODULES[name]
    except KeyError:
        raise ValueError(f"unknown report format {name!r}: expected one of {', '.join(FORMAT_NAMES)}") from None
    formatter = getattr(importlib.import_module(f"{__name__}.{module}"), f"render_{name}")
    if name == "table":
        return partial(formatter, terminal=terminal, width=width)
    return formatter


def formatter_for(name: str, *, terminal: bool = False, width: int = 120) -> Formatter:
    """stream_for's pieces joined into one str (bytes for junit)."""
    streamer = stream_for(name, terminal=terminal, width=width)

    def whole(data: ReportData) -> str | bytes:
        pieces = list(streamer(data))
        return b"".join(pieces) if pieces and isinstance(pieces[0], bytes) else "".join(pieces)

    return whole
