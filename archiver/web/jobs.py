"""Background work for the UI's actions: one worker thread, so a page never waits on the network.

Each action becomes a Job the UI lists (queued, running, done, failed) with what the pipeline said.
The work is the same pipeline the CLI runs (`archiver archive URL`, `archiver check --all --article URL`).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from archiver.pipeline import article_from_cli, open_pipeline, utc_now
from archiver.settings import Settings

KEPT_JOBS = 200  # the newest jobs the UI remembers; older ones drop off
log = logging.getLogger("archiver.web")


@dataclass
class Job:
    id: int
    kind: str  # "archive" or "recheck"
    target: str  # the URL acted on
    queued_at: datetime
    state: str = "queued"  # queued, running, done, failed
    finished_at: datetime | None = None
    result: list[str] = field(default_factory=list)  # lines for a person


class JobRunner:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utc_now):
        self._settings = settings
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archiver-web-job")
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def archive(self, url: str) -> Job:
        """Capture `url` now as an article (ValueError for a URL the CLI would refuse too)."""
        article = article_from_cli(url)
        return self._submit("archive", article.url, lambda: self._archive(article))

    def recheck(self, article_url: str) -> Job:
        return self._submit("recheck", article_url, lambda: self._recheck(article_url))

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self, limit: int = 20) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))[:limit]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, kind: str, target: str, work: Callable[[], list[str]]) -> Job:
        with self._lock:
            job = Job(next(self._ids), kind, target, self._clock())
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[], list[str]]) -> None:
        job.state = "running"
        try:
            job.result = work()
            job.state = "done"
        except Exception as exc:  # a job's failure is shown on its page; the UI goes on serving
            log.exception("web job %s (%s %s) failed", job.id, job.kind, job.target)
            job.result = [f"{type(exc).__name__}: {exc}"]
            job.state = "failed"
        finally:
            job.finished_at = self._clock()

    def _archive(self, article) -> list[str]:
        with open_pipeline(self._settings) as pipeline:
            [summary] = pipeline.archive([article], "web")
        if not summary.captured:
            return [f"not captured: {summary.failure or 'unknown failure'}"]
        return [f"captured {summary.title or summary.url}",
                f"{summary.references} reference(s): {summary.references_captured} captured, "
                f"{summary.references_unanswered} unanswered"]

    def _recheck(self, article_url: str) -> list[str]:
        with open_pipeline(self._settings) as pipeline:
            summary = pipeline.check(include_not_due=True, article_url=article_url)
        lines = [f"checked {summary.checked} URL(s): "
                 + (", ".join(f"{verdict} {n}" for verdict, n in sorted(summary.by_verdict.items())) or "nothing")]
        for name in ("newly_dead", "newly_rotten", "newly_drifted", "moved", "recovered"):
            lines += [f"{name.replace('_', ' ')}: {url}" for url in getattr(summary, name)]
        lines += [f"article changed: {url}" for url in summary.articles_changed]
        return lines
