"""Frozen dataclasses and enums that cross module lines. Standard library only.

No third-party object (a requests.Response, a warcio record, a SQLAlchemy row)
ever leaves its room: the rooms talk to each other in these types.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO


class Observation(enum.StrEnum):
    """What one check of one URL found (the closed vocabulary of DESIGN.md)."""

    OK = "ok"
    REDIRECTED = "redirected"
    REDIRECT_TO_ROOT = "redirect_to_root"
    SOFT_404 = "soft_404"
    PARKED = "parked"
    NOT_FOUND = "not_found"
    GONE = "gone"
    CLIENT_ERROR = "client_error"  # any other 4xx (400, 405 ...): the link is not healthy, but not "not found"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    BLOCKED = "blocked"  # 401/403/999, a bot challenge, a login wall, 451 (a legal block): never evidence of death
    DNS_ERROR = "dns_error"
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    TIMEOUT = "timeout"
    REDIRECT_LOOP = "redirect_loop"
    ROBOTS_DISALLOWED = "robots_disallowed"
    INVALID_URL = "invalid_url"
    UNSUPPORTED = "unsupported"
    EXCLUDED = "excluded"


class ContentChange(enum.StrEnum):
    UNCHANGED = "unchanged"
    MINOR = "minor"
    DRIFTED = "drifted"
    OFF_TOPIC = "off_topic"


class Verdict(enum.StrEnum):
    ALIVE = "alive"
    SUSPECT = "suspect"
    DEAD = "dead"
    MOVED = "moved"
    ROTTEN = "rotten"
    DRIFTED = "drifted"
    UNVERIFIABLE = "unverifiable"


Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Article:
    """An article registered by the user: its original URL and, from a seed document, its own text."""

    url: str
    source: str = ""  # where it came from: a file path, "cli", a feed URL
    seed_title: str | None = None
    seed_date: str | None = None
    seed_text: str | None = None


@dataclass(frozen=True)
class Link:
    """A reference found in an article body. `url` is absolute, fragment dropped."""

    url: str
    text: str
    position: int  # 0-based order of first appearance in the main content
    supported: bool = True  # False for mailto:, ftp:, javascript: ... (observation `unsupported`)


class RequisiteKind(enum.StrEnum):
    """What a page requisite is to the page that needs it (the `embed:` lines of its metadata record)."""

    STYLESHEET = "stylesheet"
    IMAGE = "image"
    ICON = "icon"
    FONT = "font"
    SCRIPT = "script"
    POSTER = "poster"
    IFRAME = "iframe"


@dataclass(frozen=True)
class Requisite:
    """A URL a page needs to look like itself (archiver.extract.requisites finds them)."""

    url: str
    kind: RequisiteKind


@dataclass(frozen=True)
class Extracted:
    """The canonical content of an HTML page."""

    canonical_url: str
    title: str | None
    byline: str | None
    published: str | None  # ISO 8601 UTC ("2019-04-28T10:01:07Z"), or the day alone when the page gives no time
    language: str | None
    text: str  # main text, paragraphs separated by blank lines
    links: tuple[Link, ...] = ()
    clean_title: str | None = None  # the title without the site's name or a section prefix
    published_raw: str | None = None  # the publication date as the page wrote it
    modified: str | None = None  # the page's last-modified date, normalised as `published`


@dataclass(frozen=True)
class Body:
    """A response body as it came off the wire.

    `file` holds the entity bytes as sent (content-encoding kept, transfer
    chunking removed), seekable; it lives in a spooled temporary file, so a
    large body is on disk, not in memory. `decoded` is the content-decoded
    prefix kept for extraction (at most the extraction cap).
    """

    file: BinaryIO
    length: int
    payload_digest: str  # "sha1:BASE32" over the bytes in `file`
    truncated: str | None = None  # None, "length" (size cap) or "time" (deadline) or "disconnect"
    decoded: bytes = b""
    decoded_complete: bool = True  # False when `decoded` stops at the extraction cap

    def close(self) -> None:
        self.file.close()


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as on the wire (one redirect hop)."""

    url: str
    method: str
    request_headers: Headers  # in the order sent, Host first
    http_version: str  # "HTTP/1.1"
    status: int
    reason: str
    response_headers: Headers  # as received, made consistent with `body` (no chunking)
    body: Body
    started_at: datetime  # UTC
    peer: str | None = None  # IP address actually connected to

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.response_headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Fetch:
    """Everything one fetch of one URL did: every hop, and how it ended.

    `failure` is set when no final response was had (DNS error, timeout,
    guard refusal, redirect loop ...); `exchanges` then holds the hops
    that did complete before it.
    """

    url: str
    exchanges: tuple[Exchange, ...]
    started_at: datetime
    finished_at: datetime
    failure: Observation | None = None
    failure_detail: str = ""

    @property
    def final(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges and self.failure is None else None

    @property
    def final_url(self) -> str:
        return self.exchanges[-1].url if self.exchanges else self.url

    def close(self) -> None:
        for exchange in self.exchanges:
            exchange.body.close()


@dataclass(frozen=True)
class RecordRef:
    """Where one WARC record lives: file name (relative to the warcs dir), byte offset and length."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    record_type: str
    target_uri: str
    date: datetime
    payload_digest: str | None = None


@dataclass(frozen=True)
class Capture:
    """One captured response as the database keeps it: the evidence for an observation."""

    url: str
    requested_url: str  # the URL the fetch started from (differs on redirect hops)
    hop: int  # 0 for the first exchange of a fetch
    fetched_at: datetime
    http_status: int | None
    content_type: str | None
    warc_file: str | None
    warc_offset: int | None
    warc_length: int | None
    record_id: str | None
    payload_digest: str | None
    truncated: str | None = None
    text_hash: str | None = None
    text_fingerprint: int | None = None  # 64-bit simhash of the main text, stored signed
    failure: Observation | None = None
    failure_detail: str = ""
    article_id: int | None = None
    run_id: int | None = None
    # Validators of the final response, sent back as If-None-Match / If-Modified-Since on the next check.
    etag: str | None = None
    last_modified: str | None = None  # the header value verbatim: If-Modified-Since should echo it exactly
    # Set when the payload is the one of an earlier response record (a revisit record, or a 304 that
    # confirmed it): that record's WARC-Record-ID, which holds the bytes this capture stands for.
    refers_to_record_id: str | None = None


@dataclass(frozen=True)
class Run:
    id: int
    kind: str  # "archive", "check", "run", ...
    started_at: datetime
    finished_at: datetime | None
    status: str  # "running", "ok", "failed"
    counts: dict[str, int] = field(default_factory=dict)
