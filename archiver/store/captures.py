"""Captures (the evidence rows behind WARC records) and runs (one cycle each)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Connection, select

from archiver.errors import StoreError
from archiver.models import Capture, Observation, Run
from archiver.store.engine import Database
from archiver.store.schema import captures, runs

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
CAPTURE_FIELDS = (
    "run_id", "article_id", "url", "requested_url", "hop", "fetched_at", "http_status", "content_type",
    "warc_file", "warc_offset", "warc_length", "record_id", "payload_digest", "truncated", "text_hash",
    "text_fingerprint", "failure", "failure_detail",
)


def _capture_row(capture: Capture) -> dict[str, Any]:
    row = {name: getattr(capture, name) for name in CAPTURE_FIELDS}
    fingerprint = capture.text_fingerprint
    if fingerprint is not None and not INT64_MIN <= fingerprint <= INT64_MAX:
        # Folding an unsigned value here would hand back a different number on read.
        raise ValueError(f"text_fingerprint {fingerprint} is not a signed 64-bit int (see compare.simhash64)")
    row["failure"] = capture.failure.value if capture.failure is not None else None
    row["failure_detail"] = capture.failure_detail or ""
    return row


def _capture_from_row(row: Any) -> Capture:
    values = {name: getattr(row, name) for name in CAPTURE_FIELDS}
    values["failure"] = Observation(row.failure) if row.failure else None
    values["failure_detail"] = row.failure_detail or ""
    return Capture(**values)


class CaptureQueries:
    _db: Database

    def add_captures(self, new_captures: Sequence[Capture]) -> list[int]:
        """Insert the captures in one transaction; return their ids in the order given."""
        rows = [_capture_row(capture) for capture in new_captures]
        if not rows:
            return []
        insert = captures.insert().returning(captures.c.id, sort_by_parameter_order=True)

        def work(connection: Connection) -> list[int]:
            return list(connection.execute(insert, rows).scalars())

        return self._db.write("add captures", work)

    def captures_for_url(self, url: str) -> list[Capture]:
        """Every capture whose response URL is `url`, newest first."""
        query = (
            select(captures)
            .where(captures.c.url == url)
            .order_by(captures.c.fetched_at.desc(), captures.c.hop.desc(), captures.c.id.desc())
        )
        with self._db.read("read captures") as connection:
            return [_capture_from_row(row) for row in connection.execute(query)]

    def start_run(self, kind: str, now: datetime) -> int:
        values = {"kind": kind, "started_at": now, "status": "running", "counts": {}, "pid": os.getpid()}

        def work(connection: Connection) -> int:
            return connection.execute(runs.insert().values(values).returning(runs.c.id)).scalar_one()

        return self._db.write("start a run", work)

    def finish_run(self, run_id: int, status: str, counts: dict, now: datetime, error: str | None = None) -> None:
        values = {"status": status, "counts": dict(counts), "finished_at": now, "error": error}

        def work(connection: Connection) -> None:
            updated = connection.execute(runs.update().where(runs.c.id == run_id).values(values))
            if updated.rowcount != 1:
                raise StoreError(f"no run with id {run_id}")

        self._db.write("finish a run", work)

    def last_run(self) -> Run | None:
        """The most recently started run, finished or not."""
        query = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)
        with self._db.read("read runs") as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return None
        return Run(id=row.id, kind=row.kind, started_at=row.started_at, finished_at=row.finished_at,
                   status=row.status, counts=dict(row.counts or {}))
