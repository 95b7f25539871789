"""Memento (RFC 7089) answers read without I/O: Link headers, Memento-Datetime, and which memento to list.

    answer = read_timegate_answer(requested_url, status, headers)   # headers: the TimeGate's response
    chosen = nearest_before(answer.mementos, article_moment(...))

A TimeGate asked with `Accept-Datetime` answers 302-style (a redirect whose
Location is the memento, `Vary: accept-datetime`, a `Link` header naming the
original, timegate, timemap and mementos) or 200-style (the memento itself with
`Memento-Datetime`, its URI in Content-Location). A 404 means it holds no memento.
Link headers and application/link-format TimeMaps share one syntax (RFC 8288), read
by `parse_links`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Iterable
from urllib.parse import urljoin, urlsplit

from archiver.models import Headers

_REDIRECTS = (301, 302, 303, 307, 308)
# A 14-digit timestamp as a path segment (Wayback, pywb, OpenWayback): the memento's datetime when no header gives it.
_PATH_TIMESTAMP = re.compile(r"/(\d{14})(?:[a-z]{2}_)?/")
_PARAM_NAME = re.compile(r";\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+\*?)\s*")  # RFC 7230 token
_BARE_VALUE = re.compile(r"[^;,\s]*")


@dataclass(frozen=True)
class LinkValue:
    """One link of a Link header or link-format document: target URI (resolved), relation types, parameters."""

    uri: str
    rels: frozenset[str]
    params: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Memento:
    uri: str
    datetime: datetime | None  # None when the archive did not say


@dataclass(frozen=True)
class TimeGateAnswer:
    """What one TimeGate answer says: `status` "found", "none" (no memento) or "failed" (try again later)."""

    status: str
    mementos: tuple[Memento, ...] = ()
    selected: Memento | None = None  # the memento the TimeGate itself picked
    detail: str = ""


def parse_links(text: str, base: str = "") -> list[LinkValue]:
    """Every link in a Link header value or a link-format document; malformed pieces are skipped, never fatal.

    Quoted parameter values may hold commas and semicolons; relation types are
    space-separated and compared in lower case; relative URIs resolve against `base`.
    """
    found: list[LinkValue] = []
    position, length = 0, len(text)
    while position < length:
        start = text.find("<", position)
        if start < 0:
            break
        end = text.find(">", start + 1)
        if end < 0:
            break
        uri = text[start + 1 : end].strip()
        params, position = _read_params(text, end + 1)
        rels = frozenset(params.get("rel", "").lower().split())
        found.append(LinkValue(urljoin(base, uri) if base else uri, rels, params))
    return found


def _read_params(text: str, position: int) -> tuple[dict[str, str], int]:
    """Parameters after a link's <URI> up to the comma that ends the link; the first of a repeated name wins."""
    params: dict[str, str] = {}
    length = len(text)
    while position < length:
        while position < length and text[position] in " \t\r\n":
            position += 1
        if position >= length:
            break
        if text[position] == ",":
            return params, position + 1
        if text[position] != ";":
            position = _skip_to_link_end(text, position)
            return params, position
        match = _PARAM_NAME.match(text, position)
        if not match:
            position += 1
            continue
        name, position = match.group(1).lower(), match.end()
        value = ""
        if position < length and text[position] == "=":
            value, position = _read_value(text, position + 1)
        params.setdefault(name, value)
    return params, position


def _read_value(text: str, position: int) -> tuple[str, int]:
    while position < len(text) and text[position] in " \t":
        position += 1
    if position < len(text) and text[position] == '"':
        out, position = [], position + 1
        while position < len(text) and text[position] != '"':
            if text[position] == "\\" and position + 1 < len(text):
                position += 1
            out.append(text[position])
            position += 1
        return "".join(out), position + 1
    match = _BARE_VALUE.match(text, position)
    return match.group(0), match.end()  # type: ignore[union-attr]


def _skip_to_link_end(text: str, position: int) -> int:
    """Past the next comma outside quotes: garbage after a link costs that link's remaining parameters only."""
    quoted = False
    while position < len(text):
        char = text[position]
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            return position + 1
        position += 1
    return position


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date (RFC 7231: IMF-fixdate, or the obsolete forms) as an aware UTC datetime; None if unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def http_date(when: datetime) -> str:
    """`when` as an IMF-fixdate, the form Accept-Datetime takes: 'Tue, 19 Jul 2022 23:59:59 GMT'."""
    return format_datetime(when.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def article_moment(published: str | None, fallback: datetime) -> datetime:
    """The moment an article cited its links: its stated date (ISO 8601, as extracted or seeded), else `fallback`.

    A date without a time stands for the end of that day (UTC): anything archived that day came before
    the citation could be read. A time without a zone is taken as UTC.
    """
    text = (published or "").strip()
    try:
        if len(text) > 10:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
    except ValueError:
        pass  # a date with something unreadable after it: the date alone still says which day
    try:
        return datetime.combine(date.fromisoformat(text[:10]), time(23, 59, 59), tzinfo=timezone.utc)
    except ValueError:
        return fallback


def read_timegate_answer(requested_url: str, status: int, headers: Headers) -> TimeGateAnswer:
    """Read a TimeGate's answer to a GET with Accept-Datetime (302-style or 200-style negotiation)."""
    header = _headers(headers)
    if status == 404:
        return TimeGateAnswer("none", detail="the archive holds no memento (404)")
    links = parse_links(", ".join(header.get("link", [])), base=requested_url)
    mementos = _mementos(links)
    if status in _REDIRECTS:
        location = (header.get("location") or [""])[0].strip()
        if not location:
            return TimeGateAnswer("failed", detail=f"HTTP {status} without a Location")
        selected = _named(urljoin(requested_url, location), mementos)
    elif 200 <= status < 300:
        stated = parse_http_date((header.get("memento-datetime") or [None])[0])
        if stated is None:
            return TimeGateAnswer("failed", detail=f"HTTP {status} without Memento-Datetime: not a TimeGate answer")
        where = (header.get("content-location") or [requested_url])[0].strip()
        selected = Memento(urljoin(requested_url, where), stated)
    else:
        return TimeGateAnswer("failed", detail=f"HTTP {status}")
    known = {memento.uri: memento for memento in mementos if _is_web(memento.uri)}
    if not _is_web(selected.uri):
        return TimeGateAnswer("failed", detail=f"a memento URI that is not http(s): {selected.uri[:200]!r}")
    if selected.datetime is not None or selected.uri not in known:
        known[selected.uri] = selected
    return TimeGateAnswer("found", tuple(known.values()), known[selected.uri])


def nearest_before(mementos: Iterable[Memento], moment: datetime) -> Memento | None:
    """The memento to list for a citation at `moment`.

    The newest dated memento at or before `moment` (the page as the author could have seen it);
    if every dated one is later, the earliest of them (the closest to what was cited that exists);
    an undated memento only when no memento has a date.
    """
    candidates = list(mementos)
    dated = [m for m in candidates if m.datetime is not None]
    before = [m for m in dated if m.datetime <= moment]  # type: ignore[operator]
    if before:
        return max(before, key=lambda m: m.datetime)  # type: ignore[arg-type,return-value]
    if dated:
        return min(dated, key=lambda m: m.datetime)  # type: ignore[arg-type,return-value]
    return candidates[0] if candidates else None


def _is_web(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _headers(headers: Headers) -> dict[str, list[str]]:
    collected: dict[str, list[str]] = {}
    for name, value in headers:
        collected.setdefault(name.lower(), []).append(value)
    return collected


def _mementos(links: list[LinkValue]) -> list[Memento]:
    found: dict[str, Memento] = {}
    for link in links:
        if "memento" not in link.rels:
            continue  # "first memento", "prev memento" ... all carry "memento"; "original", "timemap" do not
        stated = parse_http_date(link.params.get("datetime")) or _path_timestamp(link.uri)
        if link.uri not in found or found[link.uri].datetime is None:
            found[link.uri] = Memento(link.uri, stated)
    return list(found.values())


def _named(uri: str, mementos: list[Memento]) -> Memento:
    for memento in mementos:
        if memento.uri == uri:
            return memento
    return Memento(uri, _path_timestamp(uri))


def _path_timestamp(uri: str) -> datetime | None:
    match = _PATH_TIMESTAMP.search(uri)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
