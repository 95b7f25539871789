"""Small helpers the formatters share: times, scores and which URLs may become links."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

# Characters XML 1.0 cannot carry at all (archived text may hold any of them).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# C0 and C1 control characters: an ESC from an archived page must not reach the user's terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, seconds precision: 2026-01-08T09:00:00Z."""
    if when is None:
        return None
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def short_time(when: datetime | None) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if when else ""


def day(when: datetime | None) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d") if when else ""


def percent(similarity: float | None) -> str:
    return "" if similarity is None else f"{similarity:.0%}"


def change_text(change: str | None, similarity: float | None) -> str:
    """'drifted (62% similar)', 'unchanged', or '' when the page was not compared."""
    if not change:
        return ""
    return f"{change} ({percent(similarity)} similar)" if similarity is not None and change != "unchanged" else change


def is_web_url(url: str | None) -> bool:
    """True for http(s) URLs only: the one kind a report turns into a link (never javascript:, data: ...)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def one_line(text: str | None) -> str:
    """Archived text for a terminal or a table cell: control characters dropped, white space collapsed."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def xml_text(text: str | None) -> str:
    """`text` with the characters XML 1.0 forbids removed (escaping is the serialiser's job)."""
    return _XML_INVALID.sub("", text or "")
