"""Runs (one row per cycle), and the runs whose process is gone.

A run row names the process that runs it (host and pid), and that process beats a
heartbeat into it while it works (archiver.pipeline.summary.RunScope). A run still
`running` is abandoned when its process is known to be dead (this host, no such pid)
or when it missed ABANDONED_AFTER of heartbeats (any host: the pid of another machine
means nothing here). A SIGKILL, a power cut or a full disk leaves such a row behind;
every run start marks them `interrupted`, so none stays `running` forever.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, exists, func, select

from archiver.errors import StoreError
from archiver.models import Run
from archiver.processes import process_alive
from archiver.store.engine import Database
from archiver.store.schema import links, observations, run_tallies, runs

HEARTBEAT_INTERVAL = timedelta(minutes=1)
ABANDONED_AFTER = 10 * HEARTBEAT_INTERVAL  # ten missed heartbeats: the process is gone or frozen


def this_host() -> str:
    return socket.gethostname()[:255]


def abandoned_because(row: Any, host: str, now: datetime, alive: Callable[[int], bool]) -> str | None:
    """Why the `running` run `row` is abandoned, or None while its process may still be at work."""
    if row.host == host and row.pid is not None and row.pid != os.getpid() and not alive(row.pid):
        return f"its process (pid {row.pid} on {host}) is gone"
    last_sign = row.heartbeat_at or row.started_at  # a run from before migration 0005 has no heartbeat
    if now - last_sign > ABANDONED_AFTER:
        return f"no heartbeat since {last_sign:%Y-%m-%d %H:%M:%S} UTC"
    return None


class RunQueries:
    _db: Database

    def start_run(self, kind: str, now: datetime, *, pid: int | None = None, host: str | None = None) -> int:
        """A new `running` run of this process (or of `pid` on `host`); abandoned runs are marked first."""
        values = {"kind": kind, "started_at": now, "status": "running", "counts": {}, "pid": pid or os.getpid(),
                  "host": host or this_host(), "heartbeat_at": now}

        def work(connection: Connection) -> int:
            self._interrupt_abandoned(connection, now)
            return connection.execute(runs.insert().values(values).returning(runs.c.id)).scalar_one()

        return self._db.write("start a run", work)

    def beat_run(self, run_id: int, now: datetime) -> None:
        """The run's process is still at work."""
        self._db.write("beat a run's heartbeat",
                       lambda connection: connection.execute(
                           runs.update().where(runs.c.id == run_id).values(heartbeat_at=now)))

    def finish_run(self, run_id: int, status: str, counts: dict, now: datetime, error: str | None = None) -> None:
        values = {"status": status, "counts": dict(counts), "finished_at": now, "error": error, "heartbeat_at": now}

        # Counted in a read before the write: at a million links the count of the references the run checked
        # reads every observation it made (seconds on SQLite), which must not hold the write lock.
        with self._db.read("count a run's tally") as connection:
            tally = _count_tally(connection, run_id)

        def work(connection: Connection) -> None:
            updated = connection.execute(runs.update().where(runs.c.id == run_id).values(values))
            if updated.rowcount != 1:
                raise StoreError(f"no run with id {run_id}")
            _keep_tally(connection, run_id, tally, now)

        self._db.write("finish a run", work)

    def interrupt_abandoned_runs(self, now: datetime) -> dict[int, str]:
        """Mark every abandoned run `interrupted`; return {run id: why}."""
        return self._db.write("mark abandoned runs interrupted",
                              lambda connection: self._interrupt_abandoned(connection, now))

    @staticmethod
    def _interrupt_abandoned(connection: Connection, now: datetime,
                             alive: Callable[[int], bool] = process_alive) -> dict[int, str]:
        host = this_host()
        running = connection.execute(select(runs.c.id, runs.c.pid, runs.c.host, runs.c.started_at,
                                            runs.c.heartbeat_at).where(runs.c.status == "running")).all()
        gone = {}
        for row in running:
            reason = abandoned_because(row, host, now, alive)
            if reason is not None:
                gone[row.id] = reason
                # Finished, as far as anyone knows, when it last gave a sign of life.
                connection.execute(runs.update().where(runs.c.id == row.id, runs.c.status == "running").values(
                    status="interrupted", finished_at=row.heartbeat_at or row.started_at,
                    error=f"interrupted: {reason}"))
                # What its checks left (no later run has checked anything yet); rare enough to count in the lock.
                _keep_tally(connection, row.id, _count_tally(connection, row.id), now)
        return gone

    def run_tallies(self, run_ids: list[int]) -> dict[int, tuple[int, dict[str, int]]]:
        """{run id: (references its checks covered, {verdict: references with it after the run})} of the
        runs among `run_ids` that kept a tally as they ended (runs from before migration 0012 have none)."""
        query = select(run_tallies.c.run_id, run_tallies.c.references_checked, run_tallies.c.verdicts).where(
            run_tallies.c.run_id.in_(run_ids))
        with self._db.read("read run tallies") as connection:
            return {row.run_id: (row.references_checked, dict(row.verdicts)) for row in connection.execute(query)}

    def last_run(self) -> Run | None:
        """The most recently started run, finished or not."""
        query = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)
        with self._db.read("read runs") as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return None
        return Run(id=row.id, kind=row.kind, started_at=row.started_at, finished_at=row.finished_at,
                   status=row.status, counts=dict(row.counts or {}))


def _count_tally(connection: Connection, run_id: int) -> tuple[int, dict[str, int]] | None:
    """(references whose URL the run checked, {verdict: references with it now}), or None for a run that made
    no observation (it has no bar in the history chart)."""
    if not connection.execute(select(exists().where(observations.c.run_id == run_id))).scalar():
        return None
    verdicts = connection.execute(select(links.c.verdict, func.count()).where(links.c.verdict.is_not(None))
                                  .group_by(links.c.verdict)).all()
    checked = connection.execute(select(func.count()).select_from(links).where(
        links.c.url.in_(select(observations.c.url).where(observations.c.run_id == run_id)))).scalar_one()
    return int(checked), {verdict: int(n) for verdict, n in verdicts}


def _keep_tally(connection: Connection, run_id: int, tally: tuple[int, dict[str, int]] | None, now: datetime) -> None:
    """Keep the run's tally (run_tallies) as it ends; a run that ends twice (finished after being marked
    interrupted) keeps the later one."""
    if tally is None:
        return
    connection.execute(delete(run_tallies).where(run_tallies.c.run_id == run_id))
    connection.execute(run_tallies.insert().values(run_id=run_id, references_checked=tally[0], verdicts=tally[1],
                                                   tallied_at=now))
