"""Page requisites in a run: each fetched once, on the frontier like every fetch, tied to the pages needing them.

The cycle thread alone holds this bookkeeping. A page's requisites (capture.py reads them from its HTML)
are queued as tasks of the run's TaskRun, so per-host politeness, the network guard, robots.txt and the
size caps apply to them as to any fetch. A URL shared by many pages (a site's stylesheet, its logo) is
fetched once per run; a later page is told the record already written. Across runs the last complete
capture's validators are sent (a 304 is recorded) and an unchanged payload is written as a revisit.

When the last requisite of a page is in, one metadata record about the page (WARC-Concurrent-To its
response) lists them, one `embed: URL KIND RECORD-ID` line each, as Heritrix ties embeds to their page.
Stylesheets are read for @import and url() down to capture.css_depth; an iframe's page for its own
requisites, but not its iframes (one level).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.extract.charset import decode_html
from archiver.extract.requisites import css_requisites, html_requisites
from archiver.fetch.decompress import BoundedDecoder
from archiver.models import Requisite, RequisiteKind
from archiver.pipeline.capture import PageKind, UrlOutcome
from archiver.pipeline.conditional import PreviousCapture
from archiver.settings import CaptureSettings
from archiver.warc.reader import read_payload

if TYPE_CHECKING:  # annotations only
    from archiver.store import Store


@dataclass(frozen=True)
class RequisiteItem:
    """A requisite queued on the frontier: `depth` 0 when its page names it, n when found n stylesheets down."""

    requisite: Requisite
    depth: int
    ignore_robots: bool

    @property
    def url(self) -> str:
        return self.requisite.url

    def page_kind(self, css_depth: int) -> PageKind:
        read_css = self.requisite.kind == RequisiteKind.STYLESHEET and self.depth < css_depth
        is_iframe = self.requisite.kind == RequisiteKind.IFRAME
        return PageKind(ignore_robots=self.ignore_robots, extract=False, find_requisites=read_css or is_iframe,
                        in_iframe=is_iframe)


@dataclass
class _Page:
    url: str
    response_id: str
    date: datetime
    article_id: int | None
    ignore_robots: bool
    embeds: dict[str, Requisite] = field(default_factory=dict)  # queued or fetched, in the order found
    pending: set[str] = field(default_factory=set)  # queued, not fetched yet
    backlog: deque[tuple[Requisite, int]] = field(default_factory=deque)  # found, not queued yet (with depth)
    bytes: int = 0


@dataclass
class _Fetched:
    record_id: str | None  # the response, revisit or 304 record; None when nothing was received
    detail: str  # the record id, or why there is none
    size: int
    children: tuple[Requisite, ...]
    depth: int


# Requisites of one page queued at a time: enough to keep its hosts busy, few enough that the page's byte
# limit stops the fetches soon after it is reached.
PAGE_WINDOW = 8
# queue(url, item): put a requisite on the run's frontier. write_embeds(page url, response id, date, lines).
Queue = Callable[[str, RequisiteItem], None]
WriteEmbeds = Callable[[str, str, datetime, list[tuple[str, str]]], None]


class RunRequisites:
    """Which requisites a run has fetched or queued, and which pages wait for them (cycle thread only)."""

    def __init__(self, settings: CaptureSettings, queue: Queue, write_embeds: WriteEmbeds) -> None:
        self.settings = settings
        self._queue = queue
        self._write_embeds = write_embeds
        self._fetched: dict[str, _Fetched] = {}
        self._waiting: dict[str, list[_Page]] = {}  # queued URL -> the pages waiting for it
        self._article_of: dict[str, int | None] = {}

    def page_captured(self, outcome: UrlOutcome, article_id: int | None, ignore_robots: bool) -> None:
        """A page is stored: queue what it needs (the limits per page applied), or tie it now if nothing."""
        ref = outcome.response_ref
        if ref is None or not outcome.requisites:
            return
        page = _Page(outcome.final_capture.url, ref.record_id, ref.date, article_id, ignore_robots)
        page.backlog.extend((requisite, 0) for requisite in outcome.requisites)
        self._pump(page)

    def fetched(self, item: RequisiteItem, outcome: UrlOutcome) -> None:
        """A requisite is recorded: its waiting pages take it (and what it names) into account."""
        final = outcome.final_capture
        ref = outcome.response_ref
        size = sum(c.warc_length or 0 for c in outcome.captures)
        detail = ref.record_id if ref is not None else f"unfetched:{final.failure if final else 'none'}"
        done = _Fetched(ref.record_id if ref else None, detail, size, outcome.requisites, item.depth)
        self._fetched[item.url] = done
        for page in self._waiting.pop(item.url, []):
            page.pending.discard(item.url)
            self._take(page, done)
            self._pump(page)

    def article_of(self, url: str) -> int | None:
        """The article whose page first needed `url` (its capture rows are tagged with it, for exports)."""
        return self._article_of.get(url)

    def _pump(self, page: _Page) -> None:
        """Queue the page's next requisites, a few at a time so that its byte limit can stop them; tie the page
        to its requisites once none is left to fetch."""
        while page.backlog and len(page.pending) < PAGE_WINDOW:
            if len(page.embeds) >= self.settings.max_requisites or page.bytes >= self.settings.max_requisite_bytes:
                page.backlog.clear()  # the page's limit is reached: the rest is left out
                break
            requisite, depth = page.backlog.popleft()
            if requisite.url in page.embeds or requisite.url == page.url:
                continue
            page.embeds[requisite.url] = requisite
            done = self._fetched.get(requisite.url)
            if done is not None:  # fetched already this run: no second fetch
                self._take(page, done)
                continue
            page.pending.add(requisite.url)
            if requisite.url in self._waiting:
                self._waiting[requisite.url].append(page)
                continue
            self._waiting[requisite.url] = [page]
            self._article_of.setdefault(requisite.url, page.article_id)
            self._queue(requisite.url, RequisiteItem(requisite, depth, page.ignore_robots))
        if not page.pending and not page.backlog and page.embeds:
            lines = [("embed", f"{url} {requisite.kind} {self._fetched[url].detail}")
                     for url, requisite in page.embeds.items()]
            self._write_embeds(page.url, page.response_id, page.date, lines)

    @staticmethod
    def _take(page: _Page, done: _Fetched) -> None:
        # The children's depth follows the depth the file was fetched at in this run: that decided what was read.
        page.bytes += done.size
        page.backlog.extend((child, done.depth + 1) for child in done.children)


def previous_requisite(store: Store, url: str, *, validators: bool = True) -> PreviousCapture | None:
    """A requisite's last complete capture, validators included: a 304 to them confirms that very file."""
    found = store.last_complete_captures([url]).get(url)
    return PreviousCapture.from_captures(*found, validators=validators) if found else None


def with_stored_requisites(outcome: UrlOutcome, item: RequisiteItem, previous: PreviousCapture | None,
                           warc_dir: Path, css_depth: int, limit: int) -> UrlOutcome:
    """A stylesheet or iframe confirmed by a 304 has no body here: what it names is read from the capture
    it confirmed (the WARC record of an earlier run), so a page's fonts and backgrounds are still re-checked."""
    if not (outcome.not_modified and previous is not None and item.page_kind(css_depth).find_requisites):
        return outcome
    payload = previous.payload
    decoder: BoundedDecoder | None = None
    try:
        for chunk in read_payload(warc_dir / payload.warc_file, payload.offset):
            if decoder is None:  # the stored payload keeps its content-encoding; gzip is the one in use for text
                decoder = BoundedDecoder("gzip" if chunk.startswith(b"\x1f\x8b") else None, limit)
            decoder.feed(chunk)
    except (OSError, StopIteration):
        return outcome
    data = decoder.result()[0] if decoder is not None else b""
    if item.requisite.kind == RequisiteKind.STYLESHEET:
        found = css_requisites(data.decode("utf-8", errors="replace"), previous.validated_url)
    else:
        found = [r for r in html_requisites(decode_html(data), previous.validated_url) if r.kind != RequisiteKind.IFRAME]
    return replace(outcome, requisites=tuple(found))
