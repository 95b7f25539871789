"""Captures: the evidence rows behind WARC records."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from sqlalchemy import Connection, Select, bindparam, func, or_, select

from archiver.models import Capture
from archiver.store.engine import Database
from archiver.store.rows import IN_CHUNK, capture_from_row, capture_values, in_chunks
from archiver.store.schema import captures


def final_hops(*conditions):
    """The captures matching `conditions` as a subquery, and the condition that a row ended its fetch.

    A fetch's hops are consecutive captures of one requested_url, hop 0, 1, 2 ...; only its
    last hop (the next capture of that URL starts a new fetch, at hop 0) is what the fetch got.
    """
    next_hop = func.lead(captures.c.hop).over(partition_by=captures.c.requested_url, order_by=captures.c.id)
    fetched = select(captures, next_hop.label("next_hop")).where(*conditions).subquery()
    return fetched, or_(fetched.c.next_hop.is_(None), fetched.c.next_hop <= fetched.c.hop)


@lru_cache(maxsize=1)
def _last_complete_query() -> Select:
    """last_complete_captures' query, built once: a check asks it once per URL, and building these
    subqueries of every column cost more than running them (20 ms a URL; a million URLs a check)."""
    fetched, ended = final_hops(captures.c.requested_url.in_(bindparam("urls", expanding=True)))
    newest_first = func.row_number().over(
        partition_by=fetched.c.requested_url, order_by=(fetched.c.fetched_at.desc(), fetched.c.id.desc()))
    complete = (
        select(fetched, newest_first.label("rank"))
        .where(ended, fetched.c.http_status >= 200, fetched.c.http_status < 300,
               fetched.c.truncated.is_(None), fetched.c.failure.is_(None), fetched.c.record_id.is_not(None))
        .subquery()
    )
    return select(complete).where(complete.c.rank == 1)


class CaptureQueries:
    _db: Database

    def add_captures(self, new_captures: Sequence[Capture]) -> list[int]:
        """Insert the captures in one transaction; return their ids in the order given."""
        rows = [capture_values(capture) for capture in new_captures]
        if not rows:
            return []
        insert = captures.insert().returning(captures.c.id, sort_by_parameter_order=True)

        def work(connection: Connection) -> list[int]:
            return list(connection.execute(insert, rows).scalars())

        return self._db.write("add captures", work)

    def recorded_ids(self, record_ids: Sequence[str]) -> set[str]:
        """Those of `record_ids` (WARC-Record-IDs) that some capture row already points at."""
        found: set[str] = set()
        with self._db.read("read captures") as connection:
            for chunk in in_chunks(record_ids):
                found.update(connection.execute(select(captures.c.record_id).where(captures.c.record_id.in_(chunk)))
                             .scalars())
        return found

    def captures_for_url(self, url: str) -> list[Capture]:
        """Every capture whose response URL is `url`, newest first."""
        query = (
            select(captures)
            .where(captures.c.url == url)
            .order_by(captures.c.fetched_at.desc(), captures.c.hop.desc(), captures.c.id.desc())
        )
        with self._db.read("read captures") as connection:
            return [capture_from_row(row) for row in connection.execute(query)]

    def last_complete_captures(self, urls: Sequence[str]) -> dict[str, tuple[Capture, Capture]]:
        """For each of `urls` (requested URLs) that has one: its newest fetch that ended in a complete 2xx
        response kept in a WARC, and the capture whose response record holds that payload (the same
        capture, or the one its revisit record refers to)."""
        wanted = list(dict.fromkeys(urls))
        newest: dict[str, Capture] = {}
        with self._db.read("read captures") as connection:
            for start in range(0, len(wanted), IN_CHUNK):
                for row in connection.execute(_last_complete_query(), {"urls": wanted[start : start + IN_CHUNK]}):
                    newest[row.requested_url] = capture_from_row(row)
            referred = self._captures_of_records(connection, [c.refers_to_record_id for c in newest.values()])
        found = {}
        for url, capture in newest.items():
            holder = capture if capture.refers_to_record_id is None else referred.get(capture.refers_to_record_id)
            if holder is not None:  # a revisit whose response record has no row is no base to build on
                found[url] = (capture, holder)
        return found

    @staticmethod
    def _captures_of_records(connection: Connection, record_ids: Sequence[str | None]) -> dict[str, Capture]:
        """The first capture of each WARC record id."""
        wanted = sorted({record_id for record_id in record_ids if record_id})
        found: dict[str, Capture] = {}
        for start in range(0, len(wanted), IN_CHUNK):
            query = (select(captures).where(captures.c.record_id.in_(wanted[start : start + IN_CHUNK]))
                     .order_by(captures.c.id.desc()))
            for row in connection.execute(query):
                found[row.record_id] = capture_from_row(row)  # descending ids: the first one wins
        return found
