"""The daemon process: one per data dir, jobs on schedule, and a stop that loses nothing.

Stopping (SIGTERM or SIGINT): the scheduler takes no new job and the running
pipeline starts no new URL; fetches already running get `stop_timeout` to
finish, then the run ends as usual (WARCs closed and renamed, run row
finished, exit 0). If the deadline passes, or a second signal comes, the
daemon closes the running pipeline's WARC itself (renamed, complete records
only), marks its run interrupted and leaves at once, with exit 0: every
committed row points at bytes already in a closed WARC.

Signals are blocked in every thread and taken by one thread with sigwait, so
no handler ever runs in the middle of a lock the main thread holds.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from archiver.daemon.jobs import JOBS, JobContext
from archiver.daemon.lock import LOCK_FILE_NAME, DaemonLock
from archiver.daemon.schedule import DaemonScheduler, parse_schedule
from archiver.errors import RecordError, StoreError
from archiver.pipeline import Pipeline, open_store, utc_now
from archiver.pipeline.storage import check_data_dir
from archiver.settings import Settings

log = logging.getLogger("archiver.daemon")

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class _SealedRecorder:
    """Stands in for a recorder closed at the deadline: a write still under way fails, opening no new file."""

    def __getattr__(self, name: str):
        raise RecordError("the daemon is stopping: its WARC files are closed")


class Daemon:
    """Runs `jobs` on the [schedule] until stopped; see the module docstring for how it stops."""

    def __init__(self, settings: Settings, *, jobs: dict[str, Callable[[JobContext], None]] | None = None,
                 exit_now: Callable[[int], None] = os._exit):
        self.settings = settings
        self.jobs = JOBS if jobs is None else jobs
        self._exit_now = exit_now  # leaves with jobs still running; tests pass a harmless one
        self._stopping = threading.Event()
        self._hurry = False
        self._state = threading.Condition()  # guards _active, _hurry, _scheduler
        self._active: dict[str, list[Pipeline]] = {}  # running job -> its open pipelines
        self._scheduler: DaemonScheduler | None = None

    def run(self, *, handle_signals: bool = True) -> int:
        """Hold the data dir's lock and run jobs until stop(); the exit code. LockHeld if another daemon runs."""
        parse_schedule(self.settings.schedule)  # a bad [schedule] stops us before anything else
        check_data_dir(self.settings.storage, writing=True)  # so does a data dir it cannot write in (exit 3)
        if handle_signals:
            self._take_signals()
        with DaemonLock(self.settings.storage.data_dir / LOCK_FILE_NAME), open_store(self.settings) as store:
            for run_id, why in store.interrupt_abandoned_runs(utc_now()).items():
                log.warning("run %s was left running: marked interrupted (%s)", run_id, why)
            # The schema is at head (open_store) before the job store adds its table beside ours.
            scheduler = DaemonScheduler(self.settings.schedule, store, self._run_job)
            with self._state:
                self._scheduler = scheduler
            if self._stopping.is_set():
                scheduler.stop()
            log.info("daemon %d started on %s (database %s)", os.getpid(), self.settings.storage.data_dir, store.url)
            try:
                scheduler.run()
            except Exception:  # e.g. the job store's database gone: stop as on a signal, then fail
                log.exception("the scheduler failed; stopping")
                self.stop("scheduler failure")
                self._finish_running_jobs(exit_code=1)
                raise
            return self._finish_running_jobs()

    def stop(self, reason: str = "stop requested") -> None:
        """First call: no new jobs or URLs, running fetches get stop_timeout. Second: cut them off now."""
        with self._state:
            first = not self._stopping.is_set()
            self._stopping.set()
            self._hurry = not first
            self._state.notify_all()
            scheduler = self._scheduler
        if not first:
            log.warning("%s again: closing the running jobs' WARCs now", reason)
            return
        log.info("%s: stopping; running fetches get up to %ss to finish", reason, self.settings.schedule.stop_timeout)
        if scheduler is not None:
            scheduler.stop()

    # -- jobs --------------------------------------------------------------------------------

    def _run_job(self, job_id: str) -> None:
        with self._state:  # with stop(): a job either counts as running or never starts
            if self._stopping.is_set():
                log.info("job %s not started: the daemon is stopping", job_id)
                return
            self._active[job_id] = []
        started = time.monotonic()
        try:
            self.jobs[job_id](JobContext(self.settings, self._stopping.is_set, lambda p: self._tracking(job_id, p)))
            log.info("job %s finished in %.1fs", job_id, time.monotonic() - started)
        except Exception as exc:  # the daemon outlives a failing job; the next run tries again
            log.error("job %s failed after %.1fs: %s: %s", job_id, time.monotonic() - started,
                      type(exc).__name__, exc, exc_info=True)
        finally:
            with self._state:
                del self._active[job_id]
                self._state.notify_all()

    @contextmanager
    def _tracking(self, job_id: str, pipeline: Pipeline) -> Iterator[None]:
        with self._state:
            self._active[job_id].append(pipeline)
        try:
            yield
        finally:
            with self._state:
                self._active[job_id].remove(pipeline)

    # -- stopping ----------------------------------------------------------------------------

    def _take_signals(self) -> None:
        # Before any other thread exists: threads inherit the mask, so only the sigwait thread sees them.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)

        def wait_for_signals() -> None:
            while True:
                self.stop(signal.Signals(signal.sigwait(STOP_SIGNALS)).name)

        threading.Thread(target=wait_for_signals, name="archiver-signals", daemon=True).start()

    def _finish_running_jobs(self, exit_code: int = 0) -> int:
        deadline = time.monotonic() + self.settings.schedule.stop_timeout
        with self._state:
            while self._active and not self._hurry and (left := deadline - time.monotonic()) > 0:
                self._state.wait(left)
            if not self._active:
                log.info("daemon %d stopped; every WARC is closed", os.getpid())
                return exit_code
            running = {job_id: list(pipelines) for job_id, pipelines in self._active.items()}
        log.warning("stop: %s still running; closing %s WARCs and leaving", ", ".join(running),
                    "their" if len(running) > 1 else "its")
        for pipelines in running.values():
            for pipeline in pipelines:
                _close_abruptly(pipeline)
        logging.shutdown()  # flush the log files: nothing after this point runs
        sys.stderr.flush()
        self._exit_now(exit_code)
        return exit_code


def _close_abruptly(pipeline: Pipeline) -> None:
    """Close `pipeline`'s WARC (renamed, complete records only) and mark its run interrupted."""
    recorder, pipeline.capturer.recorder = pipeline.capturer.recorder, _SealedRecorder()
    try:
        while recorder.current_file is not None:  # again if a write under way opened a new file
            recorder.close()
    except RecordError as exc:
        log.error("stop: %s", exc)
    run_id = pipeline.run_id
    if run_id is not None:
        try:
            pipeline.store.finish_run(run_id, "interrupted", {}, utc_now(), error="cut off at the daemon's stop deadline")
        except StoreError as exc:
            log.error("stop: cannot mark run %s interrupted: %s", run_id, exc)
