"""The last resort for a publication date: a scan of the page's free text, bounded.

Run only when the markup gives no date (dates.py). A scan of every text node of a big page took
seconds (trafilatura's extensive search: 2.8 s on one news page). This one reads the page's <title>
and its first SCAN_CHARS characters of visible text, where a byline's date sits, with a few
patterns, and takes the first plausible full date (day, month and year): its time is bounded
whatever the page's size. A year alone ("© 2002-2015") is no date.
"""

from __future__ import annotations

import re
from datetime import datetime

from archiver.extract.dates import normalized
from archiver.extract.normalize import squash

SCAN_CHARS = 6_000
_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "select"})
_MONTH_NAMES = {
    1: "january jan janvier janv enero ene januar jän janeiro",
    2: "february feb février févr febrero februar fevereiro fev",
    3: "march mar mars marzo märz março", 4: "april apr avril abril", 5: "may mai mayo maio",
    6: "june jun juin junio juni junho", 7: "july jul juillet juil julio juli julho",
    8: "august aug août agosto ago", 9: "september sept sep septembre septiembre setembro set",
    10: "october oct octobre octubre oktober okt outubro out", 11: "november nov novembre noviembre novembro",
    12: "december dec décembre déc diciembre dic dezember dez dezembro",
}
_MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}
_MONTH = "(" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"
_PATTERNS = (  # (regex, order of its year/month/day groups)
    (re.compile(r"\b((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})\b"), "ymd"),
    (re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"), "ymd"),
    (re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.IGNORECASE), "mdy"),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|er)?\.?\s+(?:de\s+)?" + _MONTH + r",?\s+(?:de\s+)?((?:19|20)\d\d)\b",
                re.IGNORECASE), "dmy"),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.((?:19|20)\d\d)\b"), "dmy"),
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)?\d\d)(?![\d/])"), "slashed"),
)


def _visible_text(dom, limit: int) -> str:
    body = dom.find("body")
    chunks, size = [], 0
    for element in (body if body is not None else dom).iter():
        if not isinstance(element.tag, str) or element.tag in _SKIPPED:
            continue
        if any(ancestor.tag in _SKIPPED for ancestor in element.iterancestors()):
            continue
        for text in (element.text, element.tail):
            text = squash(text or "")
            if text:
                chunks.append(text)
                size += len(text) + 1
        if size >= limit:
            break
    return "\n".join(chunks)[:limit]


def _ymd(match: re.Match, order: str, english: bool) -> tuple[int, int, int] | None:
    a, b, c = match.groups()
    if order == "ymd":
        return int(a), int(b), int(c)
    if order == "mdy":
        return int(c), _MONTHS[a.lower()], int(b)
    if order == "dmy":
        return int(c), (_MONTHS[b.lower()] if not b.isdigit() else int(b)), int(a)
    year = int(c) + (2000 if len(c) == 2 else 0)
    first, second = int(a), int(b)
    # 3/09/15 on an English page is March 9 (US order); elsewhere, or when the first is over 12, day first
    return (year, first, second) if english and first <= 12 else (year, second, first)


def date_in_text(dom, url: str, latest: datetime) -> tuple[str | None, str | None]:
    """(normalised day, the date as written) from the page's title and leading text, or (None, None)."""
    english = (dom.get("lang") or "en").lower().startswith("en")
    title = squash(" ".join(el.text_content() for el in dom.iter("title")))
    text = title + "\n" + _visible_text(dom, SCAN_CHARS)
    found = []
    for pattern, order in _PATTERNS:
        for match in pattern.finditer(text):
            parts = _ymd(match, order, english)
            value = normalized("%04d-%02d-%02d" % parts, latest) if parts and 0 < parts[1] <= 12 else None
            if value:
                found.append((match.start(), value, match.group(0)))
                break  # the first of each pattern; the earliest in the text wins below
    if not found:
        return None, None
    _, value, raw = min(found)
    return value, raw
