"""Capture rows from WARC records, for `archiver rebuild`: the rows the capture runs stored, found again.

Every response or revisit record is one capture row. A fetch's hops are found again by their
redirects: a 3xx whose Location (or a 200 whose client-redirect metadata record) leads to the URL
of a later record, within one fetch's time bound, makes that record its next hop, with the same
requested URL; any other record starts a fetch (hop 0). The final hop of a complete 2xx HTML page is extracted again, as its capture was,
for its text hash, fingerprint and baseline text; a revisit takes those of the record it refers
to, and a 304 those of the capture whose validators it confirmed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urldefrag, urljoin

from archiver.fetch.decompress import BoundedDecoder
from archiver.models import Capture
from archiver.pipeline.client_redirects import CLIENT_REDIRECT_FIELD
from archiver.pipeline.extraction import ExtractedPage, extract_page
from archiver.warc.files import WARC_SUFFIX
from archiver.warc.reader import ArchivedRecord, read_payload, read_records

log = logging.getLogger("archiver.pipeline")

HTML_TYPES = ("text/html", "application/xhtml+xml")  # what a capture extracts (pipeline/capture.py)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
NOT_MODIFIED = 304


@dataclass
class Hop:
    """One response or revisit record, on its way to becoming a capture row."""

    record: ArchivedRecord
    requested_url: str = ""
    hop: int = 0
    final: bool = True  # no later hop continues its fetch
    validators_sent: tuple[str | None, str | None] = (None, None)  # If-None-Match, If-Modified-Since
    has_metadata: bool = False  # its page was extracted: an outlinks record is concurrent to it
    led_on_to: str | None = None  # a 200 whose meta refresh or script led on: the target (pipeline/client_redirects.py)
    text_hash: str | None = None
    text_fingerprint: int | None = None
    refers_to: str | None = None  # the response record holding its payload, for a revisit or a confirming 304

    @property
    def url(self) -> str:
        return self.record.target_uri

    @property
    def content_type(self) -> str | None:
        return (self.record.header("Content-Type") or "").split(";")[0].strip().lower() or None

    def charset(self) -> str | None:
        for part in (self.record.header("Content-Type") or "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                return value.strip("\"' ")
        return None

    @property
    def complete_page(self) -> bool:
        """A final 2xx response kept whole: what a later check compares against."""
        status = self.record.http_status
        return (self.final and status is not None and 200 <= status < 300
                and (self.record.record_type == "revisit" or self.record.warc_header("WARC-Truncated") is None))

    def capture(self, article_id: int | None) -> Capture:
        record = self.record
        final = {"etag": record.header("ETag"), "last_modified": record.header("Last-Modified"),
                 "text_hash": self.text_hash, "text_fingerprint": self.text_fingerprint,
                 "refers_to_record_id": self.refers_to} if self.final else {}
        # A revisit says "WARC-Truncated: length" of its own block; the fetch it stands for was complete.
        truncated = record.warc_header("WARC-Truncated") if record.record_type == "response" else None
        return Capture(url=self.url, requested_url=self.requested_url, hop=self.hop, fetched_at=record.date,
                       http_status=record.http_status, content_type=self.content_type, warc_file=record.warc_file,
                       warc_offset=record.offset, warc_length=record.length, record_id=record.record_id,
                       payload_digest=record.warc_header("WARC-Payload-Digest"), truncated=truncated,
                       article_id=article_id, **final)


@dataclass
class WarcEvidence:
    """What the WARC files hold, in time order: hops with their fetches found again, and every outlink."""

    hops: list[Hop] = field(default_factory=list)
    outlinks: set[str] = field(default_factory=set)
    files: int = 0
    unreadable: list[str] = field(default_factory=list)


def collect(warc_dir: Path, fetch_bound: timedelta) -> WarcEvidence:
    """Read every closed WARC in `warc_dir`; a damaged file is logged and left out (its name in `unreadable`)."""
    evidence = WarcEvidence()
    validators: dict[str, tuple[str | None, str | None]] = {}
    described: set[str] = set()
    client_hops: dict[str, str] = {}  # response record id -> where its page sent the reader
    for path in sorted(Path(warc_dir).glob("*" + WARC_SUFFIX)):
        try:
            records = list(read_records(path))
        except Exception as exc:  # warcio's errors for a damaged file: the others still count
            log.warning("rebuild: cannot read %s (%s: %s); its records are left out", path.name, type(exc).__name__, exc)
            evidence.unreadable.append(path.name)
            continue
        evidence.files += 1
        for record in records:
            concurrent_to = record.warc_header("WARC-Concurrent-To")
            if record.record_type in ("response", "revisit"):
                evidence.hops.append(Hop(record))
            elif record.record_type == "request" and concurrent_to:
                validators[concurrent_to] = (record.header("If-None-Match"), record.header("If-Modified-Since"))
            elif record.record_type == "metadata" and concurrent_to:
                led_on = next((value for name, value in record.fields if name == CLIENT_REDIRECT_FIELD), None)
                if led_on is not None:  # a meta refresh or script redirect: the hop's Location, in effect
                    client_hops[concurrent_to] = led_on
                    continue
                described.add(concurrent_to)
                evidence.outlinks.update(record.outlinks)
    evidence.hops.sort(key=lambda hop: (hop.record.date, hop.record.warc_file, hop.record.offset))
    for hop in evidence.hops:
        hop.validators_sent = validators.get(hop.record.record_id, (None, None))
        hop.has_metadata = hop.record.record_id in described
        hop.led_on_to = client_hops.get(hop.record.record_id)
    link_fetches(evidence.hops, fetch_bound)
    return evidence


def link_fetches(hops: list[Hop], bound: timedelta) -> None:
    """Give each hop (in time order) its requested URL and hop number, and mark the last hop of each fetch."""
    waiting: dict[str, list[Hop]] = {}  # a redirect's target URL -> the hops that redirected there
    for hop in hops:
        previous = _continued(waiting.get(hop.url, []), hop.record.date, bound)
        if previous is not None:
            previous.final = False
            hop.requested_url, hop.hop = previous.requested_url, previous.hop + 1
        else:
            hop.requested_url, hop.hop = hop.url, 0
        location = (hop.record.header("Location") or "").strip()
        if hop.record.http_status in REDIRECT_STATUSES and location:
            waiting.setdefault(urldefrag(urljoin(hop.url, location)).url, []).append(hop)
        elif hop.led_on_to:
            waiting.setdefault(urldefrag(hop.led_on_to).url, []).append(hop)


def _continued(candidates: list[Hop], when: datetime, bound: timedelta) -> Hop | None:
    """The oldest redirect still waiting for its next hop at `when` (none older than one fetch may take)."""
    while candidates:
        candidate = candidates.pop(0)
        if timedelta(0) <= when - candidate.record.date <= bound:
            return candidate
    return None


def add_texts(hops: Iterable[Hop], warc_dir: Path, extract_limit: int, keep_page: Callable[[Hop], bool],
              save_text: Callable[[str, str], None]) -> dict[str, ExtractedPage]:
    """Text hash and fingerprint of every final hop that has them; return the pages `keep_page` wants, by record id.

    Extracted as the capture did: the payload content-decoded up to `extract_limit`, then extract_page.
    """
    by_record: dict[str, Hop] = {}
    by_url: dict[str, list[Hop]] = {}
    kept: dict[str, ExtractedPage] = {}
    for hop in hops:
        record = hop.record
        by_record[record.record_id] = hop
        if not hop.final:
            continue
        if record.record_type == "revisit":
            _same_text(hop, by_record.get(record.warc_header("WARC-Refers-To") or ""))
        elif record.http_status == NOT_MODIFIED:
            _same_text(hop, _confirmed(hop, by_url.get(hop.url, [])))
        elif hop.content_type in HTML_TYPES and record.http_status is not None and 200 <= record.http_status < 300:
            page = _extract(hop, warc_dir, extract_limit, search_text_for_date=keep_page(hop))
            if page is not None and hop.complete_page:
                hop.text_hash, hop.text_fingerprint = page.text_hash, page.text_fingerprint
                save_text(page.text_hash, page.extracted.text)
            if page is not None and keep_page(hop):
                kept[record.record_id] = page
        if hop.complete_page:
            by_url.setdefault(hop.url, []).append(hop)
    return kept


def _same_text(hop: Hop, holder: Hop | None) -> None:
    """`hop` stands for `holder`'s payload (a revisit, a confirming 304): its text and its record."""
    if holder is None:
        return
    hop.refers_to = holder.refers_to or holder.record.record_id
    hop.text_hash, hop.text_fingerprint = holder.text_hash, holder.text_fingerprint


def _confirmed(hop: Hop, earlier: list[Hop]) -> Hop | None:
    """The newest complete capture of the URL whose validators this 304's request sent."""
    etag, modified = hop.validators_sent
    for candidate in reversed(earlier):
        if (etag and candidate.record.header("ETag") == etag) or (
                modified and candidate.record.header("Last-Modified") == modified):
            return candidate
    return None


def _extract(hop: Hop, warc_dir: Path, limit: int, *, search_text_for_date: bool) -> ExtractedPage | None:
    record = hop.record
    decoder = BoundedDecoder(record.header("Content-Encoding"), limit)
    try:
        for chunk in read_payload(warc_dir / record.warc_file, record.offset):
            decoder.feed(chunk)
        body, _ = decoder.result()
        # dated as the capture was: no publication date after the record's WARC-Date is plausible
        return extract_page(body, hop.url, hop.charset(), search_text_for_date, captured_at=record.date)
    except Exception:  # hostile HTML fails this page only, as in a capture run
        log.exception("rebuild: extraction failed for %s", hop.url)
        return None
