"""Capture and check cycles: the one place the stages are composed.

Worker threads fetch, write WARC records, extract and classify (capture.py);
this thread alone writes the database, always after the WARC bytes it points
at are flushed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from archiver.errors import RecordError
from archiver.judge.classify import Classification
from archiver.models import Article, Capture, Extracted, Observation
from archiver.pipeline.capture import Capturer, StopRequested, UrlOutcome, unfetched_capture
from archiver.pipeline.check_results import Checked, previous_captures, record_check
from archiver.pipeline.extraction import PageExtractor
from archiver.pipeline.memento_lookups import find_public_copies
from archiver.pipeline.summary import ArticleSummary, CheckSummary, RunScope
from archiver.pipeline.timing import StageTimes, stage_timer
from archiver.settings import Settings
from archiver.urls import is_supported, normalize_url

if TYPE_CHECKING:  # annotations only: the package's __init__ builds them
    from archiver.fetch import Fetcher
    from archiver.store import Store
    from archiver.warc.record import WarcRecorder

log = logging.getLogger("archiver.pipeline")

WallClock = Callable[[], datetime]  # the time of day: an aware UTC datetime, utc_now unless a test fakes it
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    """Composes fetcher, recorder, extractor, classifier and store into capture and check cycles."""

    def __init__(self, settings: Settings, store: Store, fetcher: Fetcher, recorder: WarcRecorder, *,
                 clock: WallClock = utc_now, on_progress=None, sleep: Callable[[float], None] = time.sleep,
                 stage_times: StageTimes | None = None, should_stop: Callable[[], bool] = lambda: False,
                 extractor: PageExtractor | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        # The daemon's stop request: checked between URLs; fetches already running finish.
        self.should_stop = should_stop
        self.run_id: int | None = None  # the run in progress, for a daemon that must close it itself
        self.capturer = Capturer(fetcher, recorder, settings.fetch, sleep=sleep, stage_times=stage_times,
                                 should_stop=should_stop, extractor=extractor)
        self.stage = stage_timer(stage_times)  # benchmarks' CPU account of the "store" stage
        self.on_progress = on_progress or (lambda advance=0, total=0, description="": None)

    # -- cycles ------------------------------------------------------------------------------

    def archive(self, articles: Iterable[Article], run_kind: str = "archive") -> list[ArticleSummary]:
        """Register and capture each article now, then check every reference of every article.

        All references share one worker pool (deduplicated across articles), so per-host
        politeness, not article order, bounds the wall time.
        """
        with self._run(run_kind) as (run_id, totals, checks):
            self.capturer.fetcher.new_check()
            registered = [(self.store.add_article(article, self.clock())[0], article) for article in articles]
            pages = self._capture_articles(registered, run_id, checks)
            owners: dict[str, list[ArticleSummary]] = {}
            unsupported: set[str] = set()
            for summary, extracted in pages:
                for link in extracted.links if extracted else ():
                    owners.setdefault(link.url, []).append(summary)
                    if not link.supported:
                        unsupported.add(link.url)
                summary.references = len(extracted.links) if extracted else 0
            self.on_progress(total=len(owners))
            first_owner = {url: summaries[0].article_id for url, summaries in owners.items()}
            for outcome, checked in self._check_urls(list(owners), run_id, first_owner, unsupported):
                checks.note(checked)
                for summary in owners[outcome.url]:
                    summary.note_reference(outcome)
                self.on_progress(advance=1)
            totals.update(self._find_public_copies())
            summaries = [summary for summary, _ in pages]
            totals["articles"] += len(summaries)
            totals["articles_captured"] += sum(s.captured for s in summaries)
            totals["references"] += sum(s.references for s in summaries)
            totals["references_captured"] += sum(s.references_captured for s in summaries)
        return summaries

    def check(self, *, include_not_due: bool = False, article_url: str | None = None) -> CheckSummary:
        """Re-capture the articles and re-check the references that are due (or all, or one article's)."""
        now = self.clock()
        article_id = None
        if article_url is not None:
            article_id = self.store.get_article_id(normalize_url(article_url))
            if article_id is None:
                raise LookupError(f"no registered article {article_url}")
        with self._run("check") as (run_id, totals, checks):
            self.capturer.fetcher.new_check()
            article_ids = [article_id] if article_id is not None else self.store.due_article_ids(now, include_not_due=include_not_due)
            self._capture_articles(list(self.store.articles_by_id(article_ids).items()), run_id, checks)
            urls = self.store.due_link_urls(now, article_id=article_id, include_not_due=include_not_due or article_id is not None)
            self.on_progress(total=len(urls))
            for _, checked in self._check_urls(urls, run_id, {}):
                checks.note(checked)
                self.on_progress(advance=1)
            totals.update(checks.counts())
            totals.update(self._find_public_copies())
        return checks

    def _find_public_copies(self) -> Counter:
        """Public archives' copies of failing references (pipeline/memento_lookups.py): counts for the run."""
        return find_public_copies(self.store, self.capturer.fetcher, self.settings.memento, self.clock, self.should_stop)

    # -- articles ----------------------------------------------------------------------------

    def _capture_articles(self, registered: list[tuple[int, Article]], run_id: int,
                          checks: CheckSummary) -> list[tuple[ArticleSummary, Extracted | None]]:
        """Capture the article pages on the worker pool; store each here; return them in the order given."""
        # No validators for an article page: its links and metadata come from its body, so a 304 would
        # leave nothing to extract them from. An unchanged page is still written as a small revisit record.
        with self.stage("store"):
            previous = previous_captures(self.store, [article.url for _, article in registered], validators=False)
        done: dict[int, tuple[ArticleSummary, Extracted | None]] = {}
        capture = lambda item: self.capturer.check(item[1].url, previous.get(item[1].url), article=True)
        for (article_id, article), page in self._pooled(registered, capture):
            self.on_progress(description=article.url)
            if page is None:
                page = _unfetched(article.url, self.clock(), Observation.CONNECTION_ERROR, "internal error")
            done[article_id] = self._store_article(article_id, article, page, run_id, checks)
        return [done[article_id] for article_id, _ in registered if article_id in done]

    def _store_article(self, article_id: int, article: Article, page: UrlOutcome, run_id: int,
                       checks: CheckSummary) -> tuple[ArticleSummary, Extracted | None]:
        summary = ArticleSummary(url=article.url, article_id=article_id)
        with self.stage("store"):
            capture_ids = self.store.add_captures([_tagged(c, article_id, run_id) for c in page.captures])
            checked = record_check(self.store, self.settings.health, page, capture_ids, self.clock(), run_id,
                                   seed_text=article.seed_text, keep_diff=True)
            self.store.set_article_health(article_id, checked.verdict, checked.row.checked_at, checked.next_check_at)
        summary.change = checked.row.content_change
        if checked.row.content_change not in (None, "unchanged"):
            checks.articles_changed.append(article.url)
        if page.extracted is None:
            summary.failure = str(page.failure or checked.row.observation)
            log.info("article %s not captured: %s", article.url, summary.failure)
            return summary, None
        summary.captured, summary.title = True, page.extracted.title
        with self.stage("store"):
            self.store.update_article_extracted(article_id, page.extracted, page.captures[-1].fetched_at)
            self.store.replace_links(article_id, page.extracted.links, self.clock())
        return summary, page.extracted

    # -- references --------------------------------------------------------------------------

    def _check_urls(self, urls: list[str], run_id: int, article_of: Mapping[str, int],
                    unsupported: set[str] = frozenset()) -> Iterator[tuple[UrlOutcome, Checked]]:
        """Check each URL on the worker pool; store captures and observations here, as each one finishes.

        Each worker gets the URL's last complete capture, looked up here (workers never touch the store).
        """
        for url in urls:
            if url in unsupported:
                yield self._store_check(_unsupported(url, self.clock()), run_id, article_of.get(url))
        fetchable = [url for url in urls if url not in unsupported]
        with self.stage("store"):
            previous = previous_captures(self.store, fetchable)
        for url, outcome in self._pooled(fetchable, lambda url: self.capturer.check(url, previous.get(url))):
            if outcome is None:
                outcome = _unfetched(url, self.clock(), Observation.CONNECTION_ERROR, "internal error")
            yield self._store_check(outcome, run_id, article_of.get(url))
        probes = self.capturer.take_probe_captures()
        if probes:
            with self.stage("store"):
                self.store.add_captures([_tagged(c, None, run_id) for c in probes])

    def _pooled(self, items: list[T], work: Callable[[T], UrlOutcome]) -> Iterator[tuple[T, UrlOutcome | None]]:
        """Run `work` on the worker pool; yield (item, outcome) as each finishes, None if it raised.

        Once the daemon asks to stop, queued items are cancelled; running ones finish and are yielded.
        """
        if self.should_stop():
            return
        with ThreadPoolExecutor(max_workers=self.settings.fetch.global_concurrency, thread_name_prefix="fetch") as pool:
            futures = {pool.submit(work, item): item for item in items}
            for future in as_completed(futures):
                if self.should_stop():
                    pool.shutdown(wait=False, cancel_futures=True)
                if future.cancelled():
                    continue
                try:
                    yield futures[future], future.result()
                except StopRequested:
                    continue
                except RecordError:  # the WARCs cannot be written: take no new fetches, fail the run
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
                except Exception:  # a bug in one URL's capture must not sink the cycle
                    log.exception("capturing %r failed", futures[future])
                    yield futures[future], None

    def _store_check(self, outcome: UrlOutcome, run_id: int, article_id: int | None) -> tuple[UrlOutcome, Checked]:
        with self.stage("store"):
            capture_ids = self.store.add_captures([_tagged(c, article_id, run_id) for c in outcome.captures])
            checked = record_check(self.store, self.settings.health, outcome, capture_ids, self.clock(), run_id)
            self.store.set_link_health(outcome.url, checked.verdict, checked.row.checked_at, checked.next_check_at)
        log.debug("checked %s: %s (HTTP %s)", outcome.url, checked.row.observation, checked.row.http_status)
        return outcome, checked

    # -- runs --------------------------------------------------------------------------------

    def _run(self, kind: str) -> RunScope:
        return RunScope(self, kind)


def _tagged(capture: Capture, article_id: int | None, run_id: int) -> Capture:
    return replace(capture, article_id=article_id, run_id=run_id)


def _unfetched(url: str, when: datetime, failure: Observation, detail: str) -> UrlOutcome:
    classification = Classification(failure, detail)
    return UrlOutcome(url, (unfetched_capture(url, when, failure, detail),), None, None, classification)


def _unsupported(url: str, when: datetime) -> UrlOutcome:
    return _unfetched(url, when, Observation.UNSUPPORTED, "not an http(s) URL")


def article_from_cli(url: str) -> Article:
    """An article given on the command line: its URL normalised, or ValueError naming the URL and the reason."""
    normalized = normalize_url(url)
    if not is_supported(normalized):  # ftp:, file:, javascript:, data: ... there is no page to capture
        raise ValueError(f"unsupported URL {url!r}: archiver captures only http and https pages")
    return Article(url=normalized, source="cli")
