"""Capturing one URL: fetch (with retries), write every attempt to the WARC, extract, classify.

Runs on worker threads: it touches the network and the WARC recorder (which is
thread-safe) but never the database.
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import urlsplit

from archiver.classify import Classification, Probe, classify, probe_url_for
from archiver.compare import simhash64, text_hash
from archiver.extract import extract
from archiver.fetch.retry import retry_delay
from archiver.models import Capture, Extracted, Fetch, Observation, RecordRef
from archiver.urls import is_root

log = logging.getLogger("archiver.pipeline")

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class UrlOutcome:
    """What capturing one URL gave: capture rows (every attempt, every hop), the final page's content, its class."""

    url: str
    captures: tuple[Capture, ...]
    extracted: Extracted | None
    response_ref: RecordRef | None  # the final response record, if any
    classification: Classification | None = None

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


class Capturer:
    """Fetches, records and extracts URLs; shared by the worker threads of one cycle."""

    def __init__(self, fetcher, recorder, fetch_settings, *, sleep: Callable[[float], None] = time.sleep):
        self.fetcher = fetcher
        self.recorder = recorder
        self.settings = fetch_settings
        self.sleep = sleep
        self._probes: dict[str, Probe | None] = {}
        self.probe_captures: list[Capture] = []  # the probes' own captures, collected for the database
        self._probe_locks: dict[str, threading.Lock] = {}
        self._probe_guard = threading.Lock()

    def capture(self, url: str) -> UrlOutcome:
        """One attempt: fetch, write every hop to the WARC, extract the final page if it is HTML."""
        fetch = self.fetcher.fetch(url)
        try:
            return self._record(fetch)
        finally:
            fetch.close()

    def check(self, url: str) -> UrlOutcome:
        """Capture with bounded retries of transient failures, then classify (with a soft-404 probe if needed)."""
        captures: list[Capture] = []
        for attempt in range(1, self.settings.retries + 2):
            fetch = self.fetcher.fetch(url)
            try:
                outcome = self._record(fetch)
                captures.extend(outcome.captures)
                delay = None
                if attempt <= self.settings.retries:
                    delay = retry_delay(fetch, attempt, backoff=self.settings.retry_backoff, cap=self.settings.retry_after_cap)
                if delay is None:
                    probe = self._probe_for(fetch)
                    classification = classify(fetch, outcome.extracted, probe)
                    return UrlOutcome(url, tuple(captures), outcome.extracted, outcome.response_ref, classification)
            finally:
                fetch.close()
            log.debug("retrying %s in %.1fs (attempt %d: %s)", url, delay, attempt, outcome.failure or outcome.final_status)
            self.sleep(delay)
        raise AssertionError("unreachable: the last attempt always returns")

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

    def _record(self, fetch: Fetch) -> UrlOutcome:
        refs = self.recorder.write_fetch(fetch) if fetch.exchanges else []
        extracted = _extract_final(fetch)
        response_ref = refs[-1] if refs and fetch.final is not None else None
        if extracted is not None and response_ref is not None:
            outlinks = [("outlink", link.url) for link in extracted.links if link.supported]
            self.recorder.write_metadata(fetch.final_url, response_ref.record_id, outlinks)
        return UrlOutcome(fetch.url, tuple(_captures(fetch, refs, extracted)), extracted, response_ref)


def _extract_final(fetch: Fetch) -> Extracted | None:
    final = fetch.final
    if final is None or not 200 <= final.status < 300 or final.content_type not in HTML_TYPES:
        return None
    try:
        return extract(final.body.decoded, final.url, content_type_charset=_charset(final.header("Content-Type")))
    except Exception:  # extraction of hostile HTML must fail this page only
        log.exception("extraction failed for %s", final.url)
        return None


def _captures(fetch: Fetch, refs: list[RecordRef], extracted: Extracted | None) -> Iterable[Capture]:
    if not fetch.exchanges:
        yield unfetched_capture(fetch.url, fetch.started_at, fetch.failure, fetch.failure_detail)
        return
    last = len(fetch.exchanges) - 1
    for hop, (exchange, ref) in enumerate(zip(fetch.exchanges, refs)):
        # A cut body's text is incomplete: it is kept as evidence but never becomes a baseline or a comparison.
        complete = exchange.body.truncated is None
        text = extracted.text if hop == last and extracted is not None and complete else None
        yield Capture(
            url=exchange.url, requested_url=fetch.url, hop=hop, fetched_at=exchange.started_at,
            http_status=exchange.status, content_type=exchange.content_type or None,
            warc_file=ref.warc_file, warc_offset=ref.offset, warc_length=ref.length,
            record_id=ref.record_id, payload_digest=exchange.body.payload_digest,
            truncated=exchange.body.truncated,
            text_hash=text_hash(text) if text is not None else None,
            text_fingerprint=simhash64(text) if text is not None else None,
            failure=fetch.failure if hop == last else None,
            failure_detail=fetch.failure_detail if hop == last else "",
        )


def unfetched_capture(url: str, when, failure: Observation | None, detail: str) -> Capture:
    """A capture row for a URL that gave no response at all (refused, unresolvable, not http)."""
    return Capture(
        url=url, requested_url=url, hop=0, fetched_at=when, http_status=None, content_type=None,
        warc_file=None, warc_offset=None, warc_length=None, record_id=None, payload_digest=None,
        failure=failure, failure_detail=detail,
    )


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ")
    return None
