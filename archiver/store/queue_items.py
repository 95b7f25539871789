"""Queue mode's rows: the URLs of each queued run (once per run), the workers' heartbeats, the uploaded WARCs.

A queued run has one `queue_items` row per URL, unique on (run_id, url). Queueing a URL
already there does nothing, so an article's references are queued once however many
articles cite them and however often a message is redelivered. A worker stores a URL's
captures and observation in the same transaction that sets its done_at, and only if
done_at was still empty (mark_done): a second delivery of the message writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from archiver.store.articles import dialect_insert
from archiver.store.engine import Database
from archiver.store.schema import observations, queue_items, queue_workers, runs, warc_objects


@dataclass(frozen=True)
class QueueItem:
    run_id: int
    url: str
    kind: str  # "article" or "reference"
    article_id: int | None


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    kind: str
    started_at: datetime
    queued: int
    done: int


@dataclass(frozen=True)
class WorkerRow:
    name: str
    host: str
    pid: int
    threads: int
    started_at: datetime
    heartbeat_at: datetime
    processed: int


@dataclass(frozen=True)
class WarcObject:
    warc_file: str
    object_key: str
    index_key: str
    size: int
    sha256: str


class QueueQueries:
    _db: Database

    def queue_items(self, items: Sequence[QueueItem], now: datetime) -> list[QueueItem]:
        """Add the items not queued in their run yet; return those (the ones to send a message for)."""
        if not items:
            return []
        rows = [{"run_id": i.run_id, "url": i.url, "kind": i.kind, "article_id": i.article_id, "queued_at": now}
                for i in {(i.run_id, i.url): i for i in items}.values()]

        def work(connection: Connection) -> list[QueueItem]:
            insert = dialect_insert(connection, queue_items).on_conflict_do_nothing(index_elements=["run_id", "url"])
            added = connection.execute(insert.returning(queue_items.c.run_id, queue_items.c.url,
                                                        queue_items.c.kind, queue_items.c.article_id), rows).all()
            return [QueueItem(row.run_id, row.url, row.kind, row.article_id) for row in added]

        return self._db.write("queue URLs", work)

    def mark_done(self, run_id: int, url: str, worker: str, now: datetime) -> bool:
        """Set the item's done_at unless another delivery already did: True when this call did it.

        Inside Store.transaction() with the item's rows, this is the idempotency key: on PostgreSQL a
        concurrent delivery waits on the row lock, then finds done_at set and writes nothing.
        """
        update = (queue_items.update()
                  .where(queue_items.c.run_id == run_id, queue_items.c.url == url, queue_items.c.done_at.is_(None))
                  .values(done_at=now, worker=worker))
        return self._db.write("mark a queued URL done", lambda connection: connection.execute(update).rowcount == 1)

    def queued_item(self, run_id: int, url: str) -> tuple[QueueItem, bool] | None:
        """The item and whether it is done; None when (run, url) was never queued."""
        query = select(queue_items).where(queue_items.c.run_id == run_id, queue_items.c.url == url)
        with self._db.read("read a queued URL") as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return None
        return QueueItem(row.run_id, row.url, row.kind, row.article_id), row.done_at is not None

    def pending_items(self, run_id: int, *, article_id: int | None = None, kind: str | None = None) -> list[QueueItem]:
        """The run's items not done yet (of one citing article, or one kind, if given)."""
        query = select(queue_items).where(queue_items.c.run_id == run_id, queue_items.c.done_at.is_(None))
        if article_id is not None:
            query = query.where(queue_items.c.article_id == article_id)
        if kind is not None:
            query = query.where(queue_items.c.kind == kind)
        with self._db.read("read queued URLs") as connection:
            found = connection.execute(query.order_by(queue_items.c.id))
            return [QueueItem(r.run_id, r.url, r.kind, r.article_id) for r in found]

    def run_progress(self, run_id: int | None = None) -> list[RunProgress]:
        """Queued and done counts of each `running` run (or of `run_id`, whatever its status)."""
        done = func.count(queue_items.c.done_at)
        query = (select(runs.c.id, runs.c.kind, runs.c.started_at, func.count(queue_items.c.id).label("queued"),
                        done.label("done"))
                 .join(queue_items, queue_items.c.run_id == runs.c.id)
                 .group_by(runs.c.id, runs.c.kind, runs.c.started_at).order_by(runs.c.id))
        query = query.where(runs.c.id == run_id) if run_id is not None else query.where(runs.c.status == "running")
        with self._db.read("read queued runs") as connection:
            return [RunProgress(r.id, r.kind, r.started_at, r.queued, r.done) for r in connection.execute(query)]

    def run_status(self, run_id: int) -> str | None:
        """The run's status, or None when there is no such run."""
        with self._db.read("read a run") as connection:
            return connection.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar_one_or_none()

    def observation_counts(self, run_id: int) -> dict[str, int]:
        query = (select(observations.c.observation, func.count()).where(observations.c.run_id == run_id)
                 .group_by(observations.c.observation))
        with self._db.read("count a run's observations") as connection:
            return {name: count for name, count in connection.execute(query)}

    # -- workers -------------------------------------------------------------------------------

    def beat_worker(self, name: str, host: str, pid: int, threads: int, processed: int, now: datetime) -> None:
        def work(connection: Connection) -> None:
            updated = connection.execute(queue_workers.update().where(queue_workers.c.name == name)
                                         .values(heartbeat_at=now, processed=processed, threads=threads))
            if updated.rowcount == 0:
                connection.execute(queue_workers.insert().values(name=name, host=host, pid=pid, threads=threads,
                                                                 started_at=now, heartbeat_at=now, processed=processed))

        self._db.write("beat a worker's heartbeat", work)

    def forget_worker(self, name: str) -> None:
        delete = queue_workers.delete().where(queue_workers.c.name == name)
        self._db.write("forget a worker", lambda connection: connection.execute(delete))

    def workers_seen_since(self, since: datetime) -> list[WorkerRow]:
        query = select(queue_workers).where(queue_workers.c.heartbeat_at >= since).order_by(queue_workers.c.name)
        with self._db.read("read workers") as connection:
            return [WorkerRow(r.name, r.host, r.pid, r.threads, r.started_at, r.heartbeat_at, r.processed)
                    for r in connection.execute(query)]

    # -- WARCs in the bucket ---------------------------------------------------------------------

    def record_warc_object(self, stored: WarcObject, now: datetime) -> None:
        values = {"warc_file": stored.warc_file, "object_key": stored.object_key, "index_key": stored.index_key,
                  "size": stored.size, "sha256": stored.sha256, "uploaded_at": now}

        def work(connection: Connection) -> None:
            insert = dialect_insert(connection, warc_objects).on_conflict_do_update(
                index_elements=["warc_file"], set_={k: v for k, v in values.items() if k != "warc_file"})
            connection.execute(insert.values(values))

        self._db.write("record an uploaded WARC", work)

    def warc_objects(self) -> list[WarcObject]:
        with self._db.read("read uploaded WARCs") as connection:
            return [WarcObject(r.warc_file, r.object_key, r.index_key, r.size, r.sha256)
                    for r in connection.execute(select(warc_objects).order_by(warc_objects.c.id))]
