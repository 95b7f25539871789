"""Capture and check cycles: the one place the stages are composed.

Worker threads fetch, write WARC records, extract and classify (capture.py);
this thread alone writes the database, always after the WARC bytes it points
at are flushed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

from archiver.classify import Classification
from archiver.models import Article, Capture, Observation
from archiver.pipeline.capture import Capturer, UrlOutcome, unfetched_capture
from archiver.pipeline.health import Checked, previous_captures, record_check
from archiver.pipeline.timing import StageTimes, stage_timer
from archiver.urls import normalize_url

log = logging.getLogger("archiver.pipeline")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class ArticleSummary:
    url: str
    article_id: int
    title: str | None = None
    captured: bool = False
    failure: str | None = None
    change: str | None = None  # the article's own content change against its baseline
    references: int = 0
    references_captured: int = 0
    failed_by_class: Counter = field(default_factory=Counter)


@dataclass
class CheckSummary:
    """What one check changed: the news a user wants first."""

    checked: int = 0
    by_observation: Counter = field(default_factory=Counter)
    by_verdict: Counter = field(default_factory=Counter)
    newly_dead: list[str] = field(default_factory=list)
    newly_rotten: list[str] = field(default_factory=list)
    newly_drifted: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    articles_changed: list[str] = field(default_factory=list)

    def note(self, checked: Checked) -> None:
        self.checked += 1
        self.by_observation[checked.row.observation] += 1
        self.by_verdict[checked.verdict] += 1
        if checked.previous_verdict == checked.verdict:
            return
        lists = {"dead": self.newly_dead, "rotten": self.newly_rotten, "drifted": self.newly_drifted, "moved": self.moved}
        if checked.verdict in lists:
            lists[checked.verdict].append(checked.url)
        if checked.judgement.recovered:
            self.recovered.append(checked.url)

    def counts(self) -> dict[str, int]:
        return {"checked": self.checked, **{f"observed_{k}": v for k, v in self.by_observation.items()},
                **{f"verdict_{k}": v for k, v in self.by_verdict.items()}}


class Pipeline:
    """Composes fetcher, recorder, extractor, classifier and store into capture and check cycles."""

    def __init__(self, settings, store, fetcher, recorder, *, clock: Clock = utc_now, on_progress=None,
                 sleep: Callable[[float], None] = time.sleep, stage_times: StageTimes | None = None,
                 should_stop: Callable[[], bool] = lambda: False):
        self.settings = settings
        self.store = store
        self.clock = clock
        # The daemon's stop request: checked between URLs; fetches already running finish.
        self.should_stop = should_stop
        self.run_id: int | None = None  # the run in progress, for a daemon that must close it itself
        self.capturer = Capturer(fetcher, recorder, settings.fetch, sleep=sleep, stage_times=stage_times)
        self.stage = stage_timer(stage_times)  # benchmarks' CPU account of the "store" stage
        self.on_progress = on_progress or (lambda advance=0, total=0, description="": None)

    # -- cycles ------------------------------------------------------------------------------

    def archive(self, articles: Iterable[Article], run_kind: str = "archive") -> list[ArticleSummary]:
        """Register and capture each article now, and check every reference in its body."""
        summaries: list[ArticleSummary] = []
        with self._run(run_kind) as (run_id, totals, checks):
            for article in articles:
                if self.should_stop():
                    break
                article_id, _ = self.store.add_article(article, self.clock())
                summary = self._archive_article(article_id, article, run_id, checks)
                summaries.append(summary)
                totals["articles"] += 1
                totals["articles_captured"] += summary.captured
                totals["references"] += summary.references
                totals["references_captured"] += summary.references_captured
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
            article_ids = [article_id] if article_id is not None else self.store.due_article_ids(now, include_not_due=include_not_due)
            for due_id, article in self.store.articles_by_id(article_ids).items():
                if self.should_stop():
                    break
                self._archive_article(due_id, article, run_id, checks, links=False)
            urls = self.store.due_link_urls(now, article_id=article_id, include_not_due=include_not_due or article_id is not None)
            self.on_progress(total=len(urls))
            for _, checked in self._check_urls(urls, run_id, article_id=None):
                checks.note(checked)
                self.on_progress(advance=1)
            totals.update(checks.counts())
        return checks

    # -- articles ----------------------------------------------------------------------------

    def _archive_article(self, article_id: int, article: Article, run_id: int, checks: CheckSummary,
                         *, links: bool = True) -> ArticleSummary:
        summary = ArticleSummary(url=article.url, article_id=article_id)
        self.on_progress(description=article.url)
        # No validators for an article page: its links and metadata come from its body, so a 304 would
        # leave nothing to extract them from. An unchanged page is still written as a small revisit record.
        previous = previous_captures(self.store, [article.url], validators=False).get(article.url)
        page = self.capturer.check(article.url, previous)
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
            return summary
        summary.captured, summary.title = True, page.extracted.title
        with self.stage("store"):
            self.store.update_article_extracted(article_id, page.extracted, page.captures[-1].fetched_at)
            self.store.replace_links(article_id, page.extracted.links, self.clock())
        if not links:
            return summary
        summary.references = len(page.extracted.links)
        self.on_progress(total=len(page.extracted.links))
        for outcome, checked in self._check_urls([link.url for link in page.extracted.links], run_id, article_id,
                                                 unsupported={l.url for l in page.extracted.links if not l.supported}):
            checks.note(checked)
            failure = _reference_failure(outcome)
            if failure is None:
                summary.references_captured += 1
            else:
                summary.failed_by_class[failure] += 1
            self.on_progress(advance=1)
        return summary

    # -- references --------------------------------------------------------------------------

    def _check_urls(self, urls: list[str], run_id: int, article_id: int | None,
                    unsupported: set[str] = frozenset()) -> Iterator[tuple[UrlOutcome, Checked]]:
        """Check each URL on the worker pool; store captures and observations here, as each one finishes.

        Each worker gets the URL's last complete capture, looked up here (workers never touch the store).
        """
        for url in urls:
            if url in unsupported:
                yield self._store_check(_unsupported(url, self.clock()), run_id, article_id)
        fetchable = [] if self.should_stop() else [url for url in urls if url not in unsupported]
        with self.stage("store"):
            previous = previous_captures(self.store, fetchable)
        with ThreadPoolExecutor(max_workers=self.settings.fetch.global_concurrency, thread_name_prefix="fetch") as pool:
            futures = {pool.submit(self.capturer.check, url, previous.get(url)): url for url in fetchable}
            for future in as_completed(futures):
                if self.should_stop():
                    pool.shutdown(wait=False, cancel_futures=True)  # the queued URLs; running ones finish
                if future.cancelled():
                    continue
                url = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # a bug in one reference's capture must not sink the cycle
                    log.exception("checking %s failed", url)
                    outcome = _unfetched(url, self.clock(), Observation.CONNECTION_ERROR, f"internal error: {exc}")
                yield self._store_check(outcome, run_id, article_id)
        probes = self.capturer.take_probe_captures()
        if probes:
            with self.stage("store"):
                self.store.add_captures([_tagged(c, None, run_id) for c in probes])

    def _store_check(self, outcome: UrlOutcome, run_id: int, article_id: int | None) -> tuple[UrlOutcome, Checked]:
        with self.stage("store"):
            capture_ids = self.store.add_captures([_tagged(c, article_id, run_id) for c in outcome.captures])
            checked = record_check(self.store, self.settings.health, outcome, capture_ids, self.clock(), run_id)
            self.store.set_link_health(outcome.url, checked.verdict, checked.row.checked_at, checked.next_check_at)
        log.debug("checked %s: %s (HTTP %s)", outcome.url, checked.row.observation, checked.row.http_status)
        return outcome, checked

    # -- runs --------------------------------------------------------------------------------

    def _run(self, kind: str):
        return _RunScope(self, kind)


class _RunScope:
    """A run row around a cycle: finished as ok, or failed with the error, whatever happens."""

    def __init__(self, pipeline: Pipeline, kind: str):
        self.pipeline, self.kind = pipeline, kind
        self.totals: Counter = Counter()
        self.checks = CheckSummary()

    def __enter__(self):
        self.run_id = self.pipeline.run_id = self.pipeline.store.start_run(self.kind, self.pipeline.clock())
        return self.run_id, self.totals, self.checks

    def __exit__(self, exc_type, exc, tb) -> None:
        status, error = ("ok", None) if exc is None else ("failed", f"{exc_type.__name__}: {exc}")
        if exc is None and self.pipeline.should_stop():
            status = "interrupted"  # stopped between URLs: what it did is stored, the rest waits
        self.pipeline.run_id = None
        counts = {**self.checks.counts(), **self.totals}
        self.pipeline.store.finish_run(self.run_id, status, counts, self.pipeline.clock(), error=error)
        log.info("run %s %s %s: %s", self.run_id, self.kind, status, counts)


def _tagged(capture: Capture, article_id: int | None, run_id: int) -> Capture:
    return replace(capture, article_id=article_id, run_id=run_id)


def _unfetched(url: str, when: datetime, failure: Observation, detail: str) -> UrlOutcome:
    classification = Classification(failure, detail)
    return UrlOutcome(url, (unfetched_capture(url, when, failure, detail),), None, None, classification)


def _unsupported(url: str, when: datetime) -> UrlOutcome:
    return _unfetched(url, when, Observation.UNSUPPORTED, "not an http(s) URL")


def _reference_failure(outcome: UrlOutcome) -> str | None:
    """The observation a reference failed with, for the summary; None when it answered healthily."""
    observation = outcome.classification.observation if outcome.classification else outcome.failure
    if observation in (Observation.OK, Observation.REDIRECTED):
        return None
    return str(observation)


def article_from_cli(url: str) -> Article:
    """An article given on the command line: its URL normalised, or ValueError with the reason."""
    return Article(url=normalize_url(url), source="cli")
