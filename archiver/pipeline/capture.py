"""Capturing one URL: fetch (with retries; conditionally on a re-check), record every attempt, extract, classify.

Runs on worker threads: it touches the network and the WARC recorder (which is
thread-safe) but never the database.
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archiver.extract.charset import decode_html
from archiver.extract.requisites import css_requisites, html_requisites
from archiver.fetch.retry import retry_delay
from archiver.judge.classify import Classification, classify
from archiver.judge.soft404 import Probe, probe_url_for
from archiver.models import Capture, Extracted, Fetch, Observation, RecordRef, Requisite, RequisiteKind
from archiver.pipeline.client_redirects import charset_of, follow_client_redirects, note_client_redirects
from archiver.pipeline.conditional import NOT_MODIFIED, PreviousCapture, classify_not_modified, is_unconfirmed_304
from archiver.pipeline.extraction import ExtractedPage, PageExtractor
from archiver.pipeline.recording import capture_rows, unfetched_capture, write_hops
from archiver.pipeline.timing import StageTimes, stage_timer
from archiver.settings import FetchSettings
from archiver.urls import is_root

if TYPE_CHECKING:  # annotations only
    from archiver.fetch import Fetcher
    from archiver.warc.record import WarcRecorder

__all__ = ["Capturer", "UrlOutcome", "unfetched_capture"]

log = logging.getLogger("archiver.pipeline")

HTML_TYPES = ("text/html", "application/xhtml+xml")
CSS_TYPE = "text/css"


@dataclass(frozen=True)
class UrlOutcome:
    """What capturing one URL gave: capture rows (every attempt, every hop), the final page's content, its class."""

    url: str
    captures: tuple[Capture, ...]
    extracted: Extracted | None
    response_ref: RecordRef | None  # the final response record, if any
    classification: Classification | None = None
    # What the final page needs to look like itself (found when its PageKind asks): the HTML's requisites,
    # or a stylesheet's @import and url(), or an iframe's own (no iframe inside it).
    requisites: tuple[Requisite, ...] = ()
    # Rows of the same capture event that are not hops of this fetch: the browser's requests, its screenshot.
    extra_captures: tuple[Capture, ...] = ()

    @property
    def final_capture(self) -> Capture | None:
        return self.captures[-1] if self.captures else None

    @property
    def failure(self) -> Observation | None:
        return self.captures[-1].failure if self.captures else None

    @property
    def final_status(self) -> int | None:
        return self.captures[-1].http_status if self.captures else None

    @property
    def text(self) -> str | None:
        return self.extracted.text if self.extracted is not None else None

    @property
    def not_modified(self) -> bool:
        """The fetch ended in a 304 confirming the previous capture: its text is that capture's."""
        final = self.final_capture
        return final is not None and final.http_status == NOT_MODIFIED and final.refers_to_record_id is not None


@dataclass(frozen=True)
class PageKind:
    """How a URL is fetched and extracted, by what it is to the user: a registered article or a reference."""

    ignore_robots: bool = False
    search_text_for_date: bool = False
    find_requisites: bool = False  # read the page's (or stylesheet's) requisites from its body
    extract: bool = True  # extract text and links (not for a requisite: an iframe is no reference)
    in_iframe: bool = False  # an iframe's own page: its iframes are not followed (one level)


REFERENCE = PageKind()


class StopRequested(Exception):
    """The cycle is stopping: this URL was not fetched and is left for the next run."""


class Capturer:
    """Fetches, records and extracts URLs; shared by the worker threads of one cycle.

    `previous` (check/capture) is the URL's last complete capture: its validators
    are sent, and a response repeating its payload is written as a revisit record.
    """

    def __init__(self, fetcher: Fetcher, recorder: WarcRecorder, fetch_settings: FetchSettings, *,
                 sleep: Callable[[float], None] | None = None, stage_times: StageTimes | None = None,
                 should_stop: Callable[[], bool] = lambda: False, extractor: PageExtractor | None = None) -> None:
        self.fetcher = fetcher
        self.extractor = extractor or PageExtractor(0)
        self.should_stop = should_stop
        self.recorder = recorder
        self.settings = fetch_settings
        # How a retry waits: by default in its host's queue on the frontier (holding no slot, and no
        # thread from other hosts); a test passes a sleep of its own to skip the wait.
        self.sleep = sleep
        self.stage = stage_timer(stage_times)
        self.stage_times = stage_times
        self._probes: dict[str, Probe | None] = {}
        self.probe_captures: list[Capture] = []  # the probes' own captures, collected for the database
        self._probe_locks: dict[str, threading.Lock] = {}
        self._probe_guard = threading.Lock()

    def capture(self, url: str) -> UrlOutcome:
        """One attempt: fetch, write every hop to the WARC, extract the final page if it is HTML."""
        fetch = self._fetch(url, None)
        try:
            return self._record(fetch, None)
        finally:
            fetch.close()

    def check(self, url: str, previous: PreviousCapture | None = None, *, article: bool = False,
              requisites: bool = False) -> UrlOutcome:
        """Capture with bounded retries of transient failures, then classify (with a soft-404 probe if needed).

        `article`: a page the user registered. robots.txt is skipped for it when
        robots_ignore_for_articles is on, and its text is searched for a publication date.
        """
        page = PageKind(ignore_robots=article and self.settings.robots_ignore_for_articles,
                        search_text_for_date=article, find_requisites=requisites)
        captures: list[Capture] = []
        not_before = 0.0
        for attempt in range(1, self.settings.retries + 2):
            if self.should_stop() and not captures:
                raise StopRequested(url)  # a worker that was still waiting starts nothing new
            fetch, outcome = self._fetch_recorded(url, previous, captures, page, not_before)
            try:
                captures.extend(outcome.captures)
                delay = None
                if attempt <= self.settings.retries:
                    delay = retry_delay(fetch, attempt, backoff=self.settings.retry_backoff, cap=self.settings.retry_after_cap)
                if delay is None:
                    classification = self._classify(fetch, outcome)
                    return replace(outcome, url=url, captures=tuple(captures), classification=classification)
            finally:
                fetch.close()
            log.debug("retrying %s in %.1fs (attempt %d: %s)", url, delay, attempt, outcome.failure or outcome.final_status)
            if self.sleep is not None:
                self.sleep(delay)
            else:
                not_before = self.fetcher.now() + delay
        raise AssertionError("unreachable: the last attempt always returns")

    def capture_once(self, url: str, previous: PreviousCapture | None, page: PageKind) -> UrlOutcome:
        """One fetch (conditional with `previous`'s validators), recorded; no retry, no classification: a requisite."""
        captures: list[Capture] = []
        fetch, outcome = self._fetch_recorded(url, previous, captures, page)
        fetch.close()
        return replace(outcome, url=url, captures=(*captures, *outcome.captures))

    def _fetch_recorded(self, url: str, previous: PreviousCapture | None, captures: list[Capture], page: PageKind,
                        not_before: float = 0.0) -> tuple[Fetch, UrlOutcome]:
        """Fetch (conditionally, when `previous` has validators) and record.

        A 304 that confirms nothing we hold is kept as evidence (its captures go to `captures`),
        and the URL is fetched again without validators to see what it serves.
        """
        fetch = self._fetch(url, previous, page.ignore_robots, not_before)
        outcome = self._record_or_close(fetch, previous, page)
        if not is_unconfirmed_304(fetch, previous):
            return fetch, outcome
        captures.extend(outcome.captures)
        fetch.close()
        fetch = self._fetch(url, None, page.ignore_robots)
        return fetch, self._record_or_close(fetch, previous, page)

    def _record_or_close(self, fetch: Fetch, previous: PreviousCapture | None, page: PageKind) -> UrlOutcome:
        """_record(); a fetch it fails on (a full disk: RecordError) is closed here, the caller never gets it."""
        try:
            return self._record(fetch, previous, page)
        except BaseException:
            fetch.close()
            raise

    def _fetch(self, url: str, previous: PreviousCapture | None, ignore_robots: bool = False,
               not_before: float = 0.0) -> Fetch:
        with self.stage("fetch"):
            headers = previous.conditional_headers() if previous else None
            fetch = self.fetcher.fetch(url, extra_headers=headers, ignore_robots=ignore_robots, not_before=not_before)
            # A meta refresh or script redirect is a hop like a 3xx: its target is fetched into the same Fetch.
            return follow_client_redirects(
                fetch, lambda target: self.fetcher.fetch(target, ignore_robots=ignore_robots),
                self.settings.max_redirects)

    def _classify(self, fetch: Fetch, outcome: UrlOutcome) -> Classification:
        if outcome.not_modified:
            with self.stage("classify"):
                return classify_not_modified(fetch)
        probe = self._probe_for(fetch)
        with self.stage("classify"):
            return classify(fetch, outcome.extracted, probe)

    # -- soft-404 probes ---------------------------------------------------------------------

    def _probe_for(self, fetch: Fetch) -> Probe | None:
        """The random-sibling probe for a non-root URL that answered 2xx; fetched once per host and parent path."""
        final = fetch.final
        if final is None or not 200 <= final.status < 300 or is_root(fetch.url):
            return None
        parts = urlsplit(fetch.url)
        key = f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/"
        with self._probe_guard:
            lock = self._probe_locks.setdefault(key, threading.Lock())
        with lock:  # one probe per key, even when several links of one folder finish together
            if key not in self._probes:
                self._probes[key] = self._fetch_probe(fetch.url)
            return self._probes[key]

    def _fetch_probe(self, url: str) -> Probe | None:
        token = "".join(secrets.choice(string.ascii_lowercase) for _ in range(25))
        probe_url = probe_url_for(url, token)
        outcome = self.capture(probe_url)  # recorded too: the probe is part of the evidence
        with self._probe_guard:
            self.probe_captures.extend(outcome.captures)
        last = outcome.final_capture
        if last is None or last.failure is not None:
            return None
        redirects = len(outcome.captures) - 1
        return Probe(probe_url, last.url, redirects, last.http_status, outcome.text or "")

    def take_probe_captures(self) -> list[Capture]:
        with self._probe_guard:
            taken, self.probe_captures = self.probe_captures, []
        return taken

    # -- recording ---------------------------------------------------------------------------

    def _record(self, fetch: Fetch, previous: PreviousCapture | None, page: PageKind = REFERENCE) -> UrlOutcome:
        """Extract the final page (in memory: the fetch streamed it already), then write the WARC records."""
        with self.stage("extract"):  # this thread's part: the extraction, or handing it to a worker
            content = self._extract_final(fetch, page) if page.extract else None  # None for a 304 too
            requisites = _requisites_of(fetch, page) if page.find_requisites else ()
        if content is not None and content.in_worker and self.stage_times is not None:
            self.stage_times.add("extract", content.cpu_seconds)
        extracted = content.extracted if content is not None else None
        with self.stage("record"):
            refs = write_hops(self.recorder, fetch, previous)
            note_client_redirects(self.recorder, fetch, refs)
            response_ref = refs[-1] if refs and fetch.final is not None else None
            # A revisit's outlinks are those of the record it refers to: no second metadata record.
            if extracted is not None and response_ref is not None and response_ref.record_type == "response":
                outlinks = [("outlink", link.url) for link in extracted.links if link.supported]
                # One capture event, one WARC-Date (WARC/1.1 5.4): the outlinks are dated as their response.
                self.recorder.write_metadata(fetch.final_url, response_ref.record_id, outlinks, date=response_ref.date)
        captures = tuple(capture_rows(fetch, refs, content, previous))
        return UrlOutcome(fetch.url, captures, extracted, response_ref, requisites=requisites)

    def _extract_final(self, fetch: Fetch, page: PageKind) -> ExtractedPage | None:
        final = fetch.final
        if final is None or not 200 <= final.status < 300 or final.content_type not in HTML_TYPES:
            return None
        try:
            return self.extractor(final.body.decoded, final.url, charset_of(final.header("Content-Type")),
                                  page.search_text_for_date, captured_at=final.started_at)
        except Exception:  # extraction of hostile HTML must fail this page only
            log.exception("extraction failed for %s", final.url)
            return None


def _requisites_of(fetch: Fetch, page: PageKind) -> tuple[Requisite, ...]:
    """The requisites a complete 2xx HTML page or stylesheet names (what was read of it: the extraction cap)."""
    final = fetch.final
    if final is None or not 200 <= final.status < 300:
        return ()
    charset = charset_of(final.header("Content-Type"))
    try:
        if final.content_type == CSS_TYPE:
            return tuple(css_requisites(final.body.decoded.decode(charset or "utf-8", errors="replace"), final.url))
        if final.content_type in HTML_TYPES:
            found = html_requisites(decode_html(final.body.decoded, charset), final.url)
            return tuple(r for r in found if not (page.in_iframe and r.kind == RequisiteKind.IFRAME))
    except LookupError:  # an unknown charset name
        return ()
    except Exception:  # hostile markup must fail this page's requisites only
        log.exception("reading the requisites of %s failed", final.url)
    return ()

