"""Capture and check cycles: the one place the stages are composed.

Worker threads fetch, write WARC records, extract and classify (capture.py);
this thread alone writes the database, always after the WARC bytes it points
at are flushed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from archiver.errors import RecordError
from archiver.fetch.task_run import TaskRun
from archiver.judge.classify import Classification
from archiver.models import Article, Capture, Extracted, Observation
from archiver.pipeline.browser_capture import browser_capturer, with_browser_capture
from archiver.pipeline.capture import Capturer, StopRequested, UrlOutcome, unfetched_capture
from archiver.pipeline.check_results import Checked, previous_captures, record_check
from archiver.pipeline.conditional import PreviousCapture
from archiver.pipeline.extraction import PageExtractor
from archiver.pipeline.memento_lookups import find_public_copies
from archiver.pipeline.references import RunReferences
from archiver.pipeline.requisites import RequisiteItem, RunRequisites, previous_requisite, with_stored_requisites
from archiver.pipeline.summary import ArticleSummary, CheckSummary, RunScope
from archiver.pipeline.timing import StageTimes, stage_timer
from archiver.settings import Settings
from archiver.urls import is_supported, normalize_url

if TYPE_CHECKING:  # annotations only: the package's __init__ builds them
    from archiver.fetch import Fetcher
    from archiver.store import Store
    from archiver.warc.record import WarcRecorder

log = logging.getLogger("archiver.pipeline")

# Worker threads per request slot: a worker also waits for its next request (a probe, a redirect to
# another host, a retry) and records and extracts; the frontier bounds the requests, not the threads.
WORKERS_PER_REQUEST_SLOT = 4

WallClock = Callable[[], datetime]  # the time of day: an aware UTC datetime, utc_now unless a test fakes it
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    """Composes fetcher, recorder, extractor, classifier and store into capture and check cycles."""

    def __init__(self, settings: Settings, store: Store, fetcher: Fetcher, recorder: WarcRecorder, *,
                 clock: WallClock = utc_now, on_progress=None, sleep: Callable[[float], None] | None = None,
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
        self.browser = browser_capturer(settings, fetcher, recorder, self._previous_payload)
        self.stage = stage_timer(stage_times)  # benchmarks' CPU account of the "store" stage
        self.on_progress = on_progress or (lambda advance=0, total=0, description="": None)

    # -- cycles ------------------------------------------------------------------------------

    def archive(self, articles: Iterable[Article], run_kind: str = "archive") -> list[ArticleSummary]:
        """Register and capture each article now, and check every reference of every article.

        Articles and references share the frontier: an article's references are queued as soon
        as it is stored, each URL once per run, so per-host politeness, not article order,
        bounds the wall time.
        """
        with self._run(run_kind) as (run_id, totals, checks):
            self.capturer.fetcher.new_check()
            registered = [(self.store.add_article(article, self.clock())[0], article) for article in articles]
            summaries = self._cycle(registered, run_id, checks, RunReferences())
            totals.update(self._find_public_copies())
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
            registered = list(self.store.articles_by_id(article_ids).items())
            due = self.store.due_link_batches(now, article_id=article_id,
                                             include_not_due=include_not_due or article_id is not None)
            self._cycle(registered, run_id, checks, None, due)
            totals.update(checks.counts())
            totals.update(self._find_public_copies())
        return checks

    def _find_public_copies(self) -> Counter:
        """Public archives' copies of failing references (pipeline/memento_lookups.py): counts for the run."""
        return find_public_copies(self.store, self.capturer.fetcher, self.settings.memento, self.clock, self.should_stop)

    # -- the cycle: articles and references on one frontier ---------------------------------

    def _cycle(self, registered: list[tuple[int, Article]], run_id: int, checks: CheckSummary,
               references: RunReferences | None, due: Iterable[list[str]] = ()) -> list[ArticleSummary]:
        """Capture `registered` and check the `due` URL batches on the frontier; store each result here.

        With `references` (archive), each stored article's references are queued at once. Workers
        fetch, record and extract; this thread alone writes the database, after the WARC bytes a
        row points at are flushed. Returns the articles' summaries in the order given.
        """
        summaries: dict[int, ArticleSummary] = {}
        if self.should_stop():
            return []
        fetch_settings = self.settings.fetch
        with TaskRun(self.capturer.fetcher.politeness.frontier, self._capture_item,
                     threads=fetch_settings.global_concurrency * WORKERS_PER_REQUEST_SLOT) as run:
            for article_id, article in registered:
                run.put(article.url, ArticleItem(article_id, article))
            self.on_progress(total=len(registered))
            for batch in due:
                for url in batch:
                    run.put(url, url)
                self.on_progress(total=len(batch))
            requisites = RunRequisites(self.settings.capture, run.put, self._write_embeds)
            for item, outcome, error in run.results():
                if self.should_stop():
                    run.stop()  # queued work waits for the next run; running fetches finish
                url = item.article.url if isinstance(item, ArticleItem) else getattr(item, "url", item)
                outcome = self._outcome_or_failure(url, outcome, error, run)
                if outcome is None:
                    continue
                if isinstance(item, RequisiteItem):
                    self._store_requisite(item, outcome, requisites, run_id)
                    continue
                if isinstance(item, ArticleItem):
                    self.on_progress(advance=1, description=url)
                    summary, extracted = self._store_article(item.article_id, item.article, outcome, run_id, checks)
                    summaries[item.article_id] = summary
                    requisites.page_captured(outcome, item.article_id, self.settings.fetch.robots_ignore_for_articles)
                    if references is not None and extracted is not None:
                        self._queue_references(run, references, summary, extracted, run_id, checks)
                    continue
                self.on_progress(advance=1)
                _, checked = self._store_check(outcome, run_id, references.article_of(url) if references else None)
                checks.note(checked)
                requisites.page_captured(outcome, None, False)
                if references is not None:
                    references.checked(outcome)
        self._store_probe_captures(run_id)
        return [summaries[article_id] for article_id, _ in registered if article_id in summaries]

    def _capture_item(self, item: ArticleItem | RequisiteItem | str) -> UrlOutcome:
        """On a worker: capture an article page, check a reference, or fetch a requisite, each with its
        last complete capture."""
        capture = self.settings.capture
        if isinstance(item, RequisiteItem):
            with self.stage("store"):
                previous = previous_requisite(self.store, item.url)
            outcome = self.capturer.capture_once(item.url, previous, item.page_kind(capture.css_depth))
            return with_stored_requisites(outcome, item, previous, self.settings.storage.warc_dir, capture.css_depth,
                                          self.settings.fetch.max_extract_bytes)
        if isinstance(item, ArticleItem):
            # No validators for an article page: its links and metadata come from its body, so a 304 would
            # leave nothing to extract them from. An unchanged page is still written as a small revisit record.
            previous = self._previous(item.article.url, validators=False)
            outcome = self.capturer.check(item.article.url, previous, article=True,
                                          requisites=capture.requisites_for_articles and self.browser is None)
            if self.browser is None:
                return outcome
            return with_browser_capture(self.browser, outcome, ignore_robots=self.settings.fetch.robots_ignore_for_articles)
        return self.capturer.check(item, self._previous(item), requisites=capture.requisites_for_references)

    def _previous_payload(self, url: str) -> PreviousCapture | None:
        """On a worker: a URL's last complete capture, for a revisit record (no validators: the browser needs
        the body itself, which a 304 would not bring)."""
        with self.stage("store"):
            return previous_requisite(self.store, url, validators=False)

    def _store_requisite(self, item: RequisiteItem, outcome: UrlOutcome, requisites: RunRequisites,
                         run_id: int) -> None:
        """A requisite's capture rows (for the next run's validators and exports), then its pages told."""
        with self.stage("store"):
            self.store.add_captures([tagged(c, requisites.article_of(item.url), run_id) for c in outcome.captures])
        requisites.fetched(item, outcome)

    def _write_embeds(self, page_url: str, response_id: str, date: datetime, lines: list[tuple[str, str]]) -> None:
        """The metadata record tying a page to its requisites (written once they are all recorded)."""
        self.capturer.recorder.write_metadata(page_url, response_id, lines, date=date)

    def _previous(self, url: str, *, validators: bool = True) -> PreviousCapture | None:
        with self.stage("store"):  # a read on the worker: rows are written on the cycle's thread only
            found = self.store.together("read a previous capture",
                                        lambda: previous_captures(self.store, [url], validators=validators),
                                        writing=False)
            return found.get(url)

    def _queue_references(self, run: TaskRun, references: RunReferences, summary: ArticleSummary,
                          extracted: Extracted, run_id: int, checks: CheckSummary) -> None:
        fetch, unsupported = references.cite(summary, list(extracted.links))
        self.on_progress(total=len(fetch) + len(unsupported))
        for url in unsupported:  # not http(s): nothing to fetch, recorded as such
            outcome = unsupported_outcome(url, self.clock())
            _, checked = self._store_check(outcome, run_id, summary.article_id)
            checks.note(checked)
            references.checked(outcome)
            self.on_progress(advance=1)
        for url in fetch:
            run.put(url, url)

    def _outcome_or_failure(self, url: str, outcome: UrlOutcome | None, error: BaseException | None,
                            run: TaskRun) -> UrlOutcome | None:
        """A worker's outcome; for a failure, what to store (None: nothing, the URL waits for the next run)."""
        if error is None:
            return outcome
        if isinstance(error, StopRequested):
            return None
        if isinstance(error, RecordError):  # the WARCs cannot be written: take no new fetches, fail the run
            run.stop()
            raise error
        if not isinstance(error, Exception):
            raise error  # KeyboardInterrupt and the like end the cycle
        log.error("capturing %r failed", url, exc_info=error)  # a bug in one URL's capture must not sink the cycle
        return _unfetched(url, self.clock(), Observation.CONNECTION_ERROR, "internal error")

    def _store_probe_captures(self, run_id: int) -> None:
        probes = self.capturer.take_probe_captures()
        if probes:
            with self.stage("store"):
                self.store.add_captures([tagged(c, None, run_id) for c in probes])

    def _store_article(self, article_id: int, article: Article, page: UrlOutcome, run_id: int,
                       checks: CheckSummary) -> tuple[ArticleSummary, Extracted | None]:
        summary = ArticleSummary(url=article.url, article_id=article_id)
        def store_page() -> Checked:
            capture_ids = self.store.add_captures([tagged(c, article_id, run_id) for c in page.captures])
            self.store.add_captures([tagged(c, article_id, run_id) for c in page.extra_captures])
            checked = record_check(self.store, self.settings.health, page, capture_ids, self.clock(), run_id,
                                   seed_text=article.seed_text, keep_diff=True)
            self.store.set_article_health(article_id, checked.verdict, checked.row.checked_at, checked.next_check_at)
            if page.extracted is not None:
                self.store.update_article_extracted(article_id, page.extracted, page.captures[-1].fetched_at)
                self.store.replace_links(article_id, page.extracted.links, self.clock())
            return checked

        with self.stage("store"):
            checked = self.store.together("store an article's capture", store_page)
        summary.change = checked.row.content_change
        if checked.row.content_change not in (None, "unchanged"):
            checks.articles_changed.append(article.url)
        if page.extracted is None:
            summary.failure = str(page.failure or checked.row.observation)
            log.info("article %s not captured: %s", article.url, summary.failure)
            return summary, None
        summary.captured, summary.title = True, page.extracted.title
        return summary, page.extracted

    def _store_check(self, outcome: UrlOutcome, run_id: int, article_id: int | None) -> tuple[UrlOutcome, Checked]:
        def store_check() -> Checked:
            capture_ids = self.store.add_captures([tagged(c, article_id, run_id) for c in outcome.captures])
            checked = record_check(self.store, self.settings.health, outcome, capture_ids, self.clock(), run_id)
            self.store.set_link_health(outcome.url, checked.verdict, checked.row.checked_at, checked.next_check_at)
            return checked

        with self.stage("store"):  # one transaction: one commit per check, where each call made its own
            checked = self.store.together("store a check", store_check)
        log.debug("checked %s: %s (HTTP %s)", outcome.url, checked.row.observation, checked.row.http_status)
        return outcome, checked

    # -- runs --------------------------------------------------------------------------------

    def _run(self, kind: str) -> RunScope:
        return RunScope(self, kind)


@dataclass(frozen=True)
class ArticleItem:
    """A registered article to capture (a reference is queued as its bare URL)."""

    article_id: int
    article: Article


def tagged(capture: Capture, article_id: int | None, run_id: int) -> Capture:
    return replace(capture, article_id=article_id, run_id=run_id)


def _unfetched(url: str, when: datetime, failure: Observation, detail: str) -> UrlOutcome:
    classification = Classification(failure, detail)
    return UrlOutcome(url, (unfetched_capture(url, when, failure, detail),), None, None, classification)


def unsupported_outcome(url: str, when: datetime) -> UrlOutcome:
    return _unfetched(url, when, Observation.UNSUPPORTED, "not an http(s) URL")


def article_from_cli(url: str) -> Article:
    """An article given on the command line: its URL normalised, or ValueError naming the URL and the reason."""
    normalized = normalize_url(url)
    if not is_supported(normalized):  # ftp:, file:, javascript:, data: ... there is no page to capture
        raise ValueError(f"unsupported URL {url!r}: archiver captures only http and https pages")
    return Article(url=normalized, source="cli")
