"""The daemon's timetable: [schedule] as APScheduler 3 triggers, jobs kept in archiver's own database.

The only module that imports apscheduler. Jobs live in the `apscheduler_jobs`
table that APScheduler's SQLAlchemyJobStore creates beside our tables, so a
restarted daemon knows when each job was due: runs missed while it was down are
coalesced into ONE catch-up run (or skipped, beyond `misfire_grace_time`), and
every such run is logged. Jobs run one at a time (one worker): a capture and a
check at once would double the load on the sites and on the database.

A stored job names a function, not an object, so every job is
`run_scheduled_job(job_id)`, which hands the id to the daemon that is running.
Databases written before the package was re-filed name it by its old module,
`archiver.schedule:run_scheduled_job`: that name still resolves to this module
(LEGACY_MODULES), and the daemon's first start rewrites each stored job under
its new name, keeping its due time.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
from datetime import datetime, timedelta
from typing import Callable

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED, EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from archiver.errors import ConfigError
from archiver.settings import ScheduleSettings, parse_duration
from archiver.store import Store

log = logging.getLogger("archiver.daemon.schedule")

# Where run_scheduled_job lived before, as job stores written then still name it. APScheduler
# resolves a stored "module:function" with __import__, which finds a module in sys.modules first.
LEGACY_MODULES = ("archiver.schedule",)
for _legacy in LEGACY_MODULES:
    sys.modules.setdefault(_legacy, sys.modules[__name__])

JOB_IDS = ("capture", "check", "report")
JOBSTORE_TABLE = "apscheduler_jobs"
_COUNT_LIMIT = 10_000  # fire times counted when logging missed runs; beyond that, "10000 or more"
# Between the first runs of new jobs, so that they run in JOB_IDS order: the report shows the capture.
_FIRST_RUN_SPACING = timedelta(seconds=1)
_EXPECTED = 'as "interval 1h", "cron 0 7 * * *" (minute hour day month weekday) or "off"'

_runner: Callable[[str], None] | None = None


def parse_trigger(key: str, value: str, jitter: float):
    """The trigger for one [schedule] value; None for "off"; ConfigError naming `key` otherwise."""
    kind, _, rest = value.strip().partition(" ")
    jitter_seconds = int(jitter) or None
    if kind.lower() == "off" and not rest:
        return None
    if kind.lower() == "interval":
        try:
            seconds = parse_duration(key, rest.strip() or "none")
        except ConfigError:
            raise ConfigError(key, value, 'an interval such as "interval 1h" or "interval 30m"') from None
        if seconds <= 0:
            raise ConfigError(key, value, "an interval longer than 0s")
        return IntervalTrigger(seconds=seconds, jitter=jitter_seconds)
    fields = rest.split()
    if kind.lower() == "cron" and len(fields) == 5:
        minute, hour, day, month, day_of_week = fields
        try:
            return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week,
                               jitter=jitter_seconds)
        except ValueError as exc:
            raise ConfigError(key, value, f"a valid cron expression ({exc})") from None
    raise ConfigError(key, value, f"a schedule {_EXPECTED}")


def parse_schedule(settings: ScheduleSettings) -> dict[str, object]:
    """Every job's trigger (None when off), checking the whole [schedule] table first."""
    if settings.misfire_grace_time < 1:
        raise ConfigError("schedule.misfire_grace_time", settings.misfire_grace_time, "at least 1s")
    return {job_id: parse_trigger(f"schedule.{job_id}", getattr(settings, job_id), settings.jitter)
            for job_id in JOB_IDS}


def run_scheduled_job(job_id: str) -> None:
    """What every stored job calls: the running daemon does the work."""
    if _runner is None:
        log.error("job %s is due but no daemon is running it", job_id)
        return
    _runner(job_id)


def _same_schedule(old, new) -> bool:
    # str() names the interval or the cron fields; jitter and zone are not in it.
    return (type(old) is type(new) and str(old) == str(new) and old.jitter == new.jitter
            and str(old.timezone) == str(new.timezone))


def _fire_times(trigger, first: datetime, until: datetime) -> list[datetime]:
    """Fire times from `first` up to `until`, at most _COUNT_LIMIT of them."""
    times, when = [], first
    while when is not None and when <= until and len(times) < _COUNT_LIMIT:
        times.append(when)
        when = trigger.get_next_fire_time(when, until)
    return times


class DaemonScheduler:
    """A BlockingScheduler over a SQLAlchemyJobStore in `store`'s database, running `runner(job_id)` on schedule."""

    def __init__(self, settings: ScheduleSettings, store: Store, runner: Callable[[str], None]):
        self.triggers = parse_schedule(settings)
        self.grace = settings.misfire_grace_time
        self.jitter = settings.jitter
        self._runner = runner
        self._jobstore = SQLAlchemyJobStore(engine=store.job_store_engine(writing=True), tablename=JOBSTORE_TABLE)
        self._stop_requested = threading.Event()
        self._scheduler = BlockingScheduler(
            jobstores={"default": self._jobstore},
            executors={"default": _StopAwareExecutor(self._stop_requested)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(self.grace)},
        )
        self._scheduler.add_listener(self._on_event, EVENT_JOB_SUBMITTED | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self._scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        self._expected: dict[str, datetime | None] = {}  # each job's next due time as last seen

    def run(self) -> None:
        """Bring the stored jobs in line with the settings, then run them until stop()."""
        global _runner
        _runner = self._runner
        self._jobstore.start(self._scheduler, "default")  # creates the table; read what it holds first
        self._reconcile(datetime.now(self._scheduler.timezone))
        self._scheduler.start()  # blocks until stop()

    def stop(self) -> None:
        """Take no more jobs (callable from any thread but the scheduler's own); running ones go on."""
        self._stop_requested.set()
        try:
            self._scheduler.shutdown(wait=False)
        except SchedulerNotRunningError:
            pass  # not started yet: _on_started stops it as soon as it starts

    def _reconcile(self, now: datetime) -> None:
        # A job never stored before runs now (within jitter), not one whole interval after the first start.
        first_runs = now + timedelta(seconds=random.uniform(0, self.jitter))
        for position, (job_id, trigger) in enumerate(self.triggers.items()):
            stored = self._jobstore.lookup_job(job_id)
            if trigger is None:
                if stored is not None:
                    self._jobstore.remove_job(job_id)
                log.info("job %s: off", job_id)
                continue
            keep = stored is not None and stored.next_run_time is not None and _same_schedule(stored.trigger, trigger)
            # The stored due time survives a restart unless the schedule itself changed.
            if keep:
                due = {"next_run_time": stored.next_run_time}
            elif stored is None:
                due = {"next_run_time": first_runs + position * _FIRST_RUN_SPACING}
            else:
                due = {}
            self._scheduler.add_job(run_scheduled_job, trigger, args=(job_id,), id=job_id, name=job_id,
                                    replace_existing=True, **due)
            self._expected[job_id] = due.get("next_run_time")
            missed = _fire_times(trigger, stored.next_run_time, now) if keep else []
            if missed:
                late = now - missed[-1] > timedelta(seconds=self.grace)
                log.warning("job %s: %s%d run(s) were due while the daemon was stopped (first %s, last %s); %s",
                            job_id, "" if len(missed) < _COUNT_LIMIT else "at least ", len(missed),
                            _when(missed[0]), _when(missed[-1]),
                            "all later than misfire_grace_time: no catch-up run" if late
                            else "coalesced into one catch-up run now")
            log.info("job %s: %s%s", job_id, trigger,
                     "" if keep else " (new job: first run now)" if stored is None else " (new schedule)")

    def _on_started(self, _event) -> None:
        if self._stop_requested.is_set():
            self._scheduler.shutdown(wait=False)

    def _on_event(self, event) -> None:
        job_id = event.job_id
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s: run due at %s skipped: more than misfire_grace_time (%ds) late",
                        job_id, _when(event.scheduled_run_time), self.grace)
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            log.warning("job %s: run due at %s skipped: its previous run is still going",
                        job_id, _when(event.scheduled_run_times[-1]))
        else:
            due, first = event.scheduled_run_times[-1], self._expected.get(job_id)
            coalesced = _fire_times(self.triggers[job_id], first, due) if first is not None else [due]
            if len(coalesced) > 1:
                log.info("job %s: %d runs due since %s coalesced into one", job_id, len(coalesced), _when(first))
        job = self._scheduler.get_job(job_id)
        self._expected[job_id] = job.next_run_time if job else None


class _StopAwareExecutor(ThreadPoolExecutor):
    """One worker; a job handed over after stop() is dropped with a line in the log.

    shutdown() from another thread waits for the scheduler thread's current round, but a round
    that was already waiting for the job stores' lock still runs after it, and its submit to the
    closed pool would fail as "cannot schedule new futures after shutdown", logged as an error
    with a traceback, for a job that must not start anyway.
    """

    def __init__(self, stopping: threading.Event):
        super().__init__(max_workers=1)
        self._stopping = stopping

    def _do_submit_job(self, job, run_times) -> None:
        try:
            super()._do_submit_job(job, run_times)
        except RuntimeError:
            if not self._stopping.is_set():
                raise
            log.info("job %s not started: the daemon is stopping", job.id)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S %Z}"


def scheduled_runs(store: Store) -> dict[str, datetime | None]:
    """Each stored job's next due time, read from the job store table; {} before any daemon made it.

    Read only: the table is the daemon's to create.
    """
    if not store.has_table(JOBSTORE_TABLE):
        return {}
    jobstore = SQLAlchemyJobStore(engine=store.job_store_engine(writing=False), tablename=JOBSTORE_TABLE)
    with store.failures_as_store_errors("read the job store"):
        jobstore.start(BlockingScheduler(), "default")  # finds the table: nothing to create
        return {job.id: job.next_run_time for job in jobstore.get_all_jobs()}

