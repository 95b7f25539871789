"""The daemon in-process: schedules, jobs on time, a failing job, the lock, status beside a daemon.

Jobs are injected (or run on a loopback site); intervals are fractions of a second; every wait
is on an event or a condition with a bounded timeout.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import sqlite3
import threading
from contextlib import ExitStack, closing, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from archiver.cli.commands import main
from archiver.daemon import JOBS, Daemon, JobContext
from archiver.daemon.lock import LOCK_FILE_NAME, DaemonLock, LockHeld, read_lock_holder
from archiver.daemon.schedule import DaemonScheduler, parse_trigger, scheduled_runs
from archiver.errors import ConfigError, RecordError
from archiver.pipeline import open_store
from archiver.settings import load_settings
from archiver.store import Store
from support.fakeweb import HTML, reference_page
from support.loopback import LoopbackServer, Reply
from support.waiting import eventually
from support.warc_audit import audit_warc

WAIT = 20  # seconds: an upper bound for things that take milliseconds


LOOPBACK_FETCH = {"fetch.allow_private_networks": True, "fetch.per_host_delay": 0, "fetch.retries": 0,
                  "fetch.respect_robots": False}


def daemon_settings(tmp_path, more: dict | None = None, **schedule):
    values = {"capture": "interval 0.2s", "check": "interval 0.2s", "report": "interval 0.2s", "jitter": 0,
              "stop_timeout": "5s", **schedule}
    overrides = {"storage.data_dir": str(tmp_path / "archives"), **{f"schedule.{k}": v for k, v in values.items()}}
    return load_settings(env={}, overrides={**overrides, **(more or {})})


@contextmanager
def running(daemon: Daemon):
    """`daemon` running on a thread; stopped (and its exit code checked) on leaving."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", daemon.run(handle_signals=False)))
    thread.start()
    try:
        yield
    finally:
        daemon.stop("test over")
        thread.join(WAIT)
    assert not thread.is_alive(), "the daemon did not stop"
    assert result.get("code") == 0


@pytest.mark.parametrize("value, kind", [("interval 1h", "interval"), ("interval 90s", "interval"),
                                         ("cron 0 7 * * *", "cron"), ("cron */15 8-18 * * mon-fri", "cron")])
def test_schedules_parse(value, kind):
    assert type(parse_trigger("schedule.capture", value, 30)).__name__.lower().startswith(kind)


@pytest.mark.parametrize("value", ["hourly", "interval", "interval soon", "interval 0s", "cron 0 7 * *",
                                   "cron 61 * * * *", "cron 0 7 * * someday"])
def test_bad_schedules_are_config_errors_naming_the_key(value):
    with pytest.raises(ConfigError) as info:
        parse_trigger("schedule.check", value, 0)
    assert info.value.key == "schedule.check"


def test_off_means_no_job():
    assert parse_trigger("schedule.report", "off", 0) is None


def test_daemon_with_a_bad_schedule_exits_3_naming_the_key(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHIVER_SCHEDULE_CAPTURE", "every hour")
    assert main(["--data-dir", str(tmp_path / "archives"), "daemon"]) == 3
    assert "schedule.capture" in capsys.readouterr().err
    assert not (tmp_path / "archives" / LOCK_FILE_NAME).exists()  # nothing was started


def test_the_daemon_runs_each_job_and_survives_one_that_raises(tmp_path):
    calls = {name: 0 for name in ("capture", "check", "report")}
    done = {name: threading.Event() for name in calls}

    def job(name):
        def run(context):
            calls[name] += 1
            if name == "capture" and calls[name] == 1:
                raise RuntimeError("the first capture fails")
            if calls[name] >= 2:
                done[name].set()
        return run

    daemon = Daemon(daemon_settings(tmp_path), jobs={name: job(name) for name in calls})
    with running(daemon):
        for name, event in done.items():
            assert event.wait(WAIT), f"{name} did not run twice"


def test_a_second_lock_on_the_data_dir_is_refused_and_names_the_holder(tmp_path):
    path = tmp_path / LOCK_FILE_NAME
    assert read_lock_holder(path) is None
    with DaemonLock(path):
        holder = read_lock_holder(path)
        assert holder is not None and holder.pid == os.getpid()
        with pytest.raises(LockHeld) as info:
            DaemonLock(path).acquire()
        assert f"pid {os.getpid()}" in str(info.value) and "one daemon" in str(info.value)
    assert read_lock_holder(path) is None  # released: the next daemon may start
    with DaemonLock(path):
        pass


def test_a_daemon_refuses_a_data_dir_another_daemon_holds(tmp_path):
    settings = daemon_settings(tmp_path)
    with DaemonLock(settings.storage.data_dir / LOCK_FILE_NAME):
        with pytest.raises(LockHeld):
            Daemon(settings, jobs={}).run(handle_signals=False)


def _scheduled_runs(settings):
    with Store.open(settings.storage.database_url) as store:
        return scheduled_runs(store)


def test_status_beside_a_daemon_shows_it_and_the_next_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    settings = daemon_settings(tmp_path, capture="interval 1h", check="cron 0 7 * * *", report="off")
    with running(Daemon(settings, jobs={})):
        # The job store is written as the scheduler starts; wait until status can read it.
        assert _eventually(lambda: set(_scheduled_runs(settings)) == {"capture", "check"})
        assert main(["--data-dir", str(settings.storage.data_dir), "status", "--require-daemon"]) == 0
    out = capsys.readouterr().out
    assert f"daemon: running (pid {os.getpid()}" in out
    assert "next runs: capture " in out and ", check " in out and "report" not in out.split("next runs:")[1]
    assert "references by verdict: no links yet" in out
    assert main(["--data-dir", str(settings.storage.data_dir), "status", "--require-daemon"]) == 1
    assert "daemon: not running" in capsys.readouterr().out


def _eventually(predicate, timeout: float = WAIT) -> bool:
    return eventually(predicate, timeout)


def test_a_first_daemon_runs_every_job_at_start_and_a_restart_keeps_their_due_times(tmp_path):
    """A new user's first capture comes at once, not one interval later; a restart runs nothing early."""
    settings = daemon_settings(tmp_path, capture="interval 1h", check="interval 1h", report="cron 0 7 * * *")
    ran: list[str] = []
    all_ran = threading.Event()

    def job(name):
        def run(context):
            ran.append(name)
            if len(ran) == 3:
                all_ran.set()
        return run

    jobs = {name: job(name) for name in ("capture", "check", "report")}
    with running(Daemon(settings, jobs=jobs)):
        assert all_ran.wait(WAIT), f"only {ran} ran at the first start"
    assert ran == ["capture", "check", "report"]  # in the pipeline's order: the report shows the capture
    due = _scheduled_runs(settings)
    assert all(when > datetime.now(timezone.utc) + timedelta(minutes=30) for when in (due["capture"], due["check"]))

    with running(Daemon(settings, jobs=jobs)):
        pass
    assert _scheduled_runs(settings) == due and len(ran) == 3


def test_a_stop_lets_the_running_fetch_finish_then_starts_no_new_article(tmp_path):
    """The graceful path: the article being fetched is stored, the rest wait for the next run."""
    daemon_box: list[Daemon] = []

    def first_article(seen):  # the stop arrives while this very fetch is running
        daemon_box[0].stop("test stop")
        return Reply(headers=HTML, body=reference_page("First"))

    with LoopbackServer() as site:
        site.routes["/a1"] = first_article
        site.fallback = Reply(headers=HTML, body=reference_page("Other"))
        (tmp_path / "list.txt").write_text("".join(site.url(f"/a{n}") + "\n" for n in (1, 2, 3)))
        settings = daemon_settings(tmp_path, {"sources.articles": [str(tmp_path / "list.txt")], **LOOPBACK_FETCH,
                                              "fetch.global_concurrency": 1}, check="off", report="off")
        daemon = Daemon(settings, exit_now=lambda code: pytest.fail("the graceful path must not cut anything off"))
        daemon_box.append(daemon)
        thread = threading.Thread(target=lambda: daemon_box.append(daemon.run(handle_signals=False)))
        thread.start()
        thread.join(WAIT)
        assert not thread.is_alive() and daemon_box[-1] == 0
        # One worker: /a2 and /a3 wait in the pool's queue, and the stop cancels them.
        assert [seen.path for seen in site.requests if seen.path in ("/a1", "/a2", "/a3")] == ["/a1"]
    with open_store(settings) as store:
        assert store.last_run().status == "interrupted"
        assert [a.url for a in store.never_checked_articles()] == [site.url("/a2"), site.url("/a3")]
    assert list(settings.storage.warc_dir.glob("*.warc.gz")) and not list(settings.storage.warc_dir.glob("*.open"))


def test_at_the_deadline_the_daemon_closes_the_running_jobs_warc_itself(tmp_path):
    ready, release, exits = threading.Event(), threading.Event(), []
    seen: dict = {}

    def stuck(context):  # a job whose fetch never ends: it holds an open WARC
        with context.pipeline() as pipeline:
            pipeline.capturer.recorder.write_metadata("urn:test:stuck", None, [("note", "held open")])
            seen["pipeline"] = pipeline
            ready.set()
            release.wait(WAIT)

    settings = daemon_settings(tmp_path, check="off", report="off", stop_timeout="0.2s")
    daemon = Daemon(settings, jobs={"capture": stuck}, exit_now=exits.append)
    result = []
    thread = threading.Thread(target=lambda: result.append(daemon.run(handle_signals=False)))
    thread.start()
    try:
        assert ready.wait(WAIT)
        assert list(settings.storage.warc_dir.glob("*.open"))
        daemon.stop("test stop")
        thread.join(WAIT)
        assert exits == [0] and result == [0]
        assert not list(settings.storage.warc_dir.glob("*.open"))
        [warc] = settings.storage.warc_dir.glob("*.warc.gz")
        assert "urn:test:stuck" in [record["uri"] for record in audit_warc(warc)]
        with pytest.raises(RecordError):  # a write still under way opens no new file
            seen["pipeline"].capturer.recorder.write_metadata("urn:test:late", None, [])
    finally:
        release.set()


def test_the_report_job_writes_the_cycle_reports(tmp_path):
    settings = daemon_settings(tmp_path)
    with open_store(settings):
        pass
    context = JobContext(settings, should_stop=lambda: False, track=lambda pipeline: ExitStack())
    JOBS["report"](context)
    names = {path.name for path in (settings.storage.data_dir / "reports").iterdir()}
    assert {"latest.html", "latest.json"} <= names


class _Lines(logging.Handler):
    """Collects formatted log lines; attached to the loggers themselves, which may not propagate."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_job_due_as_the_scheduler_stops_is_dropped_not_an_error(tmp_path):
    """APScheduler's loop runs one more round after shutdown(): a job due then meets a closed pool.

    It must not start, and must not be logged as an error with a traceback (the daemon's stop is
    routine). The job is made due behind the sleeping loop's back, through the job store.
    """
    settings = daemon_settings(tmp_path, capture="interval 1h", check="off", report="off")
    database = Store.open(settings.storage.database_url)
    ran, lines = [], _Lines()
    loggers = [logging.getLogger("apscheduler"), logging.getLogger("archiver.daemon.schedule")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(lines)
        logger.setLevel(logging.INFO)
    scheduler = DaemonScheduler(settings.schedule, database, ran.append)
    thread = threading.Thread(target=scheduler.run)
    try:
        thread.start()
        store = scheduler._jobstore  # the test reaches in: only the job store can make a job due unseen
        assert _eventually(lambda: ran == ["capture"])  # a new job's first run, at start
        assert _eventually(lambda: scheduler._scheduler.running and store.lookup_job("capture") is not None)
        job = store.lookup_job("capture")
        job._modify(next_run_time=datetime.now(timezone.utc) - timedelta(seconds=1))
        store.update_job(job)
        scheduler.stop()
        thread.join(WAIT)
    finally:
        for logger, level in zip(loggers, levels):
            logger.removeHandler(lines)
            logger.setLevel(level)
        database.close()
    assert not thread.is_alive() and ran == ["capture"]
    assert not [line for line in lines.lines if "Error submitting" in line], lines.lines
    assert "job capture not started: the daemon is stopping" in lines.lines


# A database written by the daemon before the package was re-filed (commit dc8e7b7): schema 0004, and
# APScheduler's jobs naming their function by its old module, archiver.schedule:run_scheduled_job.
JOBS_BEFORE_REFILE = Path(__file__).parent / "data" / "jobs-before-refile.db"
OLD_REFERENCE, NEW_REFERENCE = b"archiver.schedule:run_scheduled_job", b"archiver.daemon.schedule:run_scheduled_job"


def _stored_jobs(database: Path) -> dict[str, tuple[float, bytes]]:
    with closing(sqlite3.connect(database)) as connection:
        return {job_id: (due, state) for job_id, due, state
                in connection.execute("SELECT id, next_run_time, job_state FROM apscheduler_jobs")}


def _make_due(database: Path, job_id: str, when: datetime) -> None:
    """Move one stored job's due time, as if the daemon had been stopped since before it; its function is kept."""
    with closing(sqlite3.connect(database)) as connection, connection:
        (blob,) = connection.execute("SELECT job_state FROM apscheduler_jobs WHERE id = ?", (job_id,)).fetchone()
        state = pickle.loads(blob)
        state["next_run_time"] = when
        connection.execute("UPDATE apscheduler_jobs SET next_run_time = ?, job_state = ? WHERE id = ?",
                           (when.timestamp(), pickle.dumps(state, pickle.HIGHEST_PROTOCOL), job_id))


def test_a_database_from_before_the_refiling_still_runs_its_jobs(tmp_path):
    data_dir = tmp_path / "archives"
    data_dir.mkdir()
    database = data_dir / "archiver.db"
    shutil.copyfile(JOBS_BEFORE_REFILE, database)
    now = datetime.now(timezone.utc)
    _make_due(database, "capture", now - timedelta(minutes=1))
    # The other two due later, whatever day the test runs on: only the capture is late.
    _make_due(database, "check", now + timedelta(hours=3))
    _make_due(database, "report", (now + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0))
    before = _stored_jobs(database)
    assert set(before) == {"capture", "check", "report"}
    assert all(OLD_REFERENCE in state for _, state in before.values())
    # The fixture's schedule, so the daemon keeps each stored due time; any lateness still gets its catch-up run.
    settings = daemon_settings(tmp_path, capture="interval 1h", check="interval 6h", report="cron 0 7 * * *",
                               misfire_grace_time="3650d")

    with Store.open(settings.storage.database_url) as store:  # `status` reads the old jobs and drops none
        assert set(scheduled_runs(store)) == {"capture", "check", "report"}

    captured = threading.Event()
    jobs = {"capture": lambda context: captured.set(), "check": lambda context: None, "report": lambda context: None}
    with running(Daemon(settings, jobs=jobs)):
        assert captured.wait(WAIT), "the stored capture job did not run"

    after = _stored_jobs(database)
    assert set(after) == {"capture", "check", "report"}
    assert all(NEW_REFERENCE in state and OLD_REFERENCE not in state for _, state in after.values())
    assert after["check"][0] == before["check"][0] and after["report"][0] == before["report"][0]  # due times kept
    assert after["capture"][0] > datetime.now(timezone.utc).timestamp()  # ran, and is due again later
