"""One capture cycle: fetch -> record -> extract -> store, for articles and their references.

The only place the stages are composed. Workers fetch, write WARC records and
extract text in parallel; the database is written from the calling thread
only, after the WARC bytes it points at are flushed.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Iterable

from archiver.compare import simhash64, text_hash
from archiver.extract import extract
from archiver.fetch import Fetcher
from archiver.record import WarcRecorder, recover_open_files
from archiver.store import Store
from archiver.models import Article, Capture, Extracted, Fetch, Link, Observation, RecordRef
from archiver.urls import normalize_url

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class UrlOutcome:
    """What capturing one URL gave: the capture rows (one per hop) and, for HTML, its extracted content."""

    url: str
    captures: tuple[Capture, ...]
    extracted: Extracted | None
    response_ref: RecordRef | None  # the final response record, if any

    @property
    def failure(self) -> Observation | None:
        return self.captures[-1].failure if self.captures else None

    @property
    def final_status(self) -> int | None:
        return self.captures[-1].http_status if self.captures else None


@dataclass
class ArticleSummary:
    url: str
    article_id: int
    title: str | None = None
    captured: bool = False
    failure: str | None = None
    references: int = 0
    references_captured: int = 0
    failed_by_class: Counter = field(default_factory=Counter)


class Pipeline:
    """Composes fetcher, recorder, extractor and store into capture cycles."""

    def __init__(self, settings, store, fetcher, recorder, *, clock: Clock = utc_now, on_progress=None):
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.recorder = recorder
        self.clock = clock
        self.on_progress = on_progress or (lambda advance=0, total=0, description="": None)

    # -- one URL ---------------------------------------------------------------------------

    def capture_url(self, url: str) -> UrlOutcome:
        """Fetch one URL, write every hop to the WARC, extract the final page if it is HTML."""
        fetch = self.fetcher.fetch(url)
        try:
            refs = self.recorder.write_fetch(fetch) if fetch.exchanges else []
            extracted = self._extract_final(fetch)
            response_ref = refs[-1] if refs and fetch.final is not None else None
            if extracted is not None and response_ref is not None:
                self.recorder.write_metadata(
                    fetch.final_url,
                    response_ref.record_id,
                    [("outlink", link.url) for link in extracted.links],
                )
            return UrlOutcome(url, tuple(self._captures(fetch, refs, extracted)), extracted, response_ref)
        finally:
            fetch.close()

    def _extract_final(self, fetch: Fetch) -> Extracted | None:
        final = fetch.final
        if final is None or not 200 <= final.status < 300 or final.content_type not in HTML_TYPES:
            return None
        try:
            return extract(final.body.decoded, final.url, content_type_charset=_charset(final.header("Content-Type")))
        except Exception:  # extraction of hostile HTML must fail this page only
            log.exception("extraction failed for %s", final.url)
            return None

    def _captures(self, fetch: Fetch, refs: list[RecordRef], extracted: Extracted | None) -> Iterable[Capture]:
        if not fetch.exchanges:
            yield Capture(
                url=fetch.url, requested_url=fetch.url, hop=0, fetched_at=fetch.started_at,
                http_status=None, content_type=None, warc_file=None, warc_offset=None,
                warc_length=None, record_id=None, payload_digest=None,
                failure=fetch.failure, failure_detail=fetch.failure_detail,
            )
            return
        last = len(fetch.exchanges) - 1
        for hop, (exchange, ref) in enumerate(zip(fetch.exchanges, refs)):
            is_last = hop == last
            text = extracted.text if is_last and extracted is not None else None
            yield Capture(
                url=exchange.url, requested_url=fetch.url, hop=hop, fetched_at=exchange.started_at,
                http_status=exchange.status, content_type=exchange.content_type or None,
                warc_file=ref.warc_file, warc_offset=ref.offset, warc_length=ref.length,
                record_id=ref.record_id, payload_digest=exchange.body.payload_digest,
                truncated=exchange.body.truncated,
                text_hash=text_hash(text) if text is not None else None,
                text_fingerprint=simhash64(text) if text is not None else None,
                failure=fetch.failure if is_last else None,
                failure_detail=fetch.failure_detail if is_last else "",
            )

    # -- articles --------------------------------------------------------------------------

    def archive(self, articles: Iterable[Article], run_kind: str = "archive") -> list[ArticleSummary]:
        """Register and capture each article and every reference in its body."""
        run_id = self.store.start_run(run_kind, self.clock())
        summaries: list[ArticleSummary] = []
        totals: Counter = Counter()
        status, error = "ok", None
        try:
            for article in articles:
                summary = self._archive_article(article, run_id)
                summaries.append(summary)
                totals["articles"] += 1
                totals["articles_captured"] += summary.captured
                totals["references"] += summary.references
                totals["references_captured"] += summary.references_captured
                totals.update({f"failed_{kind}": n for kind, n in summary.failed_by_class.items()})
        except BaseException as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.store.finish_run(run_id, status, dict(totals), self.clock(), error=error)
        log.info("run %s %s: %s", run_id, run_kind, dict(totals))
        return summaries

    def _archive_article(self, article: Article, run_id: int) -> ArticleSummary:
        article_id, _ = self.store.add_article(article, self.clock())
        summary = ArticleSummary(url=article.url, article_id=article_id)
        self.on_progress(description=article.url)
        page = self.capture_url(article.url)
        self.store.add_captures([_with_ids(c, article_id, run_id) for c in page.captures])
        if page.failure is not None or page.extracted is None:
            summary.failure = str(page.failure) if page.failure else f"HTTP {page.final_status} (not an HTML page)"
            log.info("article %s not captured: %s", article.url, summary.failure)
            return summary
        summary.captured = True
        summary.title = page.extracted.title
        self.store.update_article_extracted(article_id, page.extracted, page.captures[-1].fetched_at)
        self.store.replace_links(article_id, page.extracted.links, self.clock())
        summary.references = len(page.extracted.links)
        self.on_progress(total=len(page.extracted.links))
        for link, outcome in self._capture_references(page.extracted.links):
            self.store.add_captures([_with_ids(c, article_id, run_id) for c in outcome.captures])
            failure = _reference_failure(outcome)
            if failure is None:
                summary.references_captured += 1
            else:
                summary.failed_by_class[failure] += 1
            self.on_progress(advance=1)
        return summary

    def _capture_references(self, links: Iterable[Link]):
        """Yield (link, outcome) as each reference finishes; unsupported links are recorded without a fetch."""
        supported: list[Link] = []
        for link in links:
            if link.supported:
                supported.append(link)
            else:
                yield link, self._unfetched(link.url, Observation.UNSUPPORTED, "not an http(s) URL")
        with ThreadPoolExecutor(max_workers=self.settings.fetch.global_concurrency, thread_name_prefix="fetch") as pool:
            futures = {pool.submit(self.capture_url, link.url): link for link in supported}
            for future in as_completed(futures):
                link = futures[future]
                try:
                    yield link, future.result()
                except Exception as exc:  # a bug in one reference's capture must not sink the article
                    log.exception("capturing %s failed", link.url)
                    yield link, self._unfetched(link.url, Observation.CONNECTION_ERROR, f"internal error: {exc}")

    def _unfetched(self, url: str, failure: Observation, detail: str) -> UrlOutcome:
        capture = Capture(
            url=url, requested_url=url, hop=0, fetched_at=self.clock(), http_status=None,
            content_type=None, warc_file=None, warc_offset=None, warc_length=None,
            record_id=None, payload_digest=None, failure=failure, failure_detail=detail,
        )
        return UrlOutcome(url, (capture,), None, None)


def _with_ids(capture: Capture, article_id: int, run_id: int) -> Capture:
    return replace(capture, article_id=article_id, run_id=run_id)


def _reference_failure(outcome: UrlOutcome) -> str | None:
    """The class a reference failed with, for the summary: a fetch failure or an HTTP error status."""
    if outcome.failure is not None:
        return str(outcome.failure)
    status = outcome.final_status
    if status is None or status >= 400:
        return f"http_{status}"
    return None


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def article_from_cli(url: str) -> Article:
    """An article given on the command line: its URL normalised, or ValueError with the reason."""
    return Article(url=normalize_url(url), source="cli")


@contextmanager
def open_store(settings):
    """The database for these settings, schema upgraded; closed on exit."""
    store = Store.open(settings.storage.database_url)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_pipeline(settings, *, clock: Clock = utc_now, on_progress=None):
    """Store, fetcher and WARC recorder wired into a Pipeline; everything closed (WARCs renamed) on exit."""
    warc_dir = settings.storage.warc_dir
    warc_dir.mkdir(parents=True, exist_ok=True)
    for recovered in recover_open_files(warc_dir):
        log.warning("recovered unfinished WARC %s", recovered.name)
    with open_store(settings) as store:
        fetcher = Fetcher(settings.fetch)
        recorder = WarcRecorder(warc_dir, settings.storage.warc_prefix, settings.storage.warc_max_bytes)
        try:
            yield Pipeline(settings, store, fetcher, recorder, clock=clock, on_progress=on_progress)
        finally:
            recorder.close()
            fetcher.close()
