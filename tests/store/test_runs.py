"""Runs and their processes: a run whose process is gone is marked interrupted at the next start (both backends)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import sqlalchemy
from alembic import command

from archiver.models import Article, Link
from archiver.store import HEARTBEAT_INTERVAL, Store
from archiver.store.engine import connect
from archiver.store.migrate import alembic_config
from archiver.store.rows import ObservationRow
from archiver.store.runs import ABANDONED_AFTER, this_host
from archiver.store.schema import runs

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def dead_pid() -> int:
    """The pid of a process that has exited (and was reaped): nothing runs under it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def statuses(database_url: str) -> dict[int, tuple[str, str | None]]:
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {row.id: (row.status, row.error) for row in connection.execute(sqlalchemy.select(runs))}
    finally:
        engine.dispose()


def test_a_run_whose_process_is_gone_is_interrupted_at_the_next_start(store, database_url):
    killed = store.start_run("archive", T0, pid=dead_pid())
    assert statuses(database_url)[killed][0] == "running"
    alive_here = store.start_run("check", T0, pid=os.getppid())  # the next start; pytest's parent is alive
    status, error = statuses(database_url)[killed]
    assert status == "interrupted" and "is gone" in error and this_host() in error

    elsewhere = store.start_run("check", T0, pid=1, host="another-host")  # pid 1 there means nothing here
    silent_elsewhere = store.start_run("check", T0, pid=1, host="a-third-host")
    later = T0 + ABANDONED_AFTER  # no run has missed too many heartbeats yet
    store.beat_run(elsewhere, later)
    store.beat_run(alive_here, later)
    now = later + HEARTBEAT_INTERVAL
    newest = store.start_run("archive", now)
    found = statuses(database_url)
    assert found[silent_elsewhere][0] == "interrupted" and "no heartbeat since" in found[silent_elsewhere][1]
    assert found[alive_here][0] == found[elsewhere][0] == found[newest][0] == "running"
    assert store.interrupt_abandoned_runs(now) == {}
    store.finish_run(newest, "ok", {}, now)
    assert store.last_run().status == "ok"


def test_a_run_from_before_the_heartbeat_column_is_judged_by_its_start(database_url):
    database = connect(database_url)
    try:  # a database at revision 0004, as an older archiver left it, with a run it never finished
        database.write("upgrade to 0004", lambda connection: command.upgrade(alembic_config(connection), "0004"))
        with database.engine.begin() as connection:
            connection.execute(sqlalchemy.text(
                "INSERT INTO runs (kind, started_at, status, counts, pid) VALUES ('run', :at, 'running', '{}', 1)"),
                {"at": T0.replace(tzinfo=None)})
    finally:
        database.dispose()
    with Store.open(database_url) as store:
        assert store.schema_revision() == "0012"
        assert store.interrupt_abandoned_runs(T0 + ABANDONED_AFTER) == {}  # as old as a heartbeat may be
        [(run_id, why)] = store.interrupt_abandoned_runs(T0 + ABANDONED_AFTER + timedelta(seconds=1)).items()
        assert why == "no heartbeat since 2026-12-01 09:00:00 UTC"
        assert statuses(database_url)[run_id][0] == "interrupted"


def test_a_run_keeps_its_tally_as_it_ends_finished_or_interrupted(store):
    first, _ = store.add_article(Article("https://news.example/one"), T0)
    second, _ = store.add_article(Article("https://news.example/two"), T0)
    store.replace_links(first, [Link("https://ref.example/a", "a", 0), Link("https://ref.example/b", "b", 1)], T0)
    store.replace_links(second, [Link("https://ref.example/a", "a", 0), Link("https://ref.example/c", "c", 1)], T0)

    def check(run_id: int, url: str, verdict: str) -> None:
        store.add_observation(ObservationRow(url=url, checked_at=T0, observation="ok", verdict=verdict, run_id=run_id))
        store.set_link_health(url, verdict, T0, T0 + timedelta(days=1))

    finished = store.start_run("check", T0)
    check(finished, "https://ref.example/a", "alive")
    check(finished, "https://ref.example/b", "dead")
    store.finish_run(finished, "ok", {}, T0)
    # a is cited twice: 3 references checked; c never checked has no verdict to count.
    assert store.run_tallies([finished]) == {finished: (3, {"alive": 2, "dead": 1})}

    killed = store.start_run("check", T0, pid=dead_pid())
    check(killed, "https://ref.example/c", "suspect")
    nothing = store.start_run("archive", T0)  # marks the killed run interrupted, with its tally
    store.finish_run(nothing, "ok", {}, T0)  # made no observation: no tally, and no bar in the chart
    assert store.run_tallies([finished, killed, nothing]) == {
        finished: (3, {"alive": 2, "dead": 1}), killed: (1, {"alive": 2, "dead": 1, "suspect": 1})}
