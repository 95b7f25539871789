"""Link health: observations (one per check of one URL), baseline texts, and verdicts on links and articles."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, Select, bindparam, case, func, literal, or_, select

from archiver.errors import StoreError
from archiver.models import Capture
from archiver.store.articles import dialect_insert
from archiver.store.captures import final_hops
from archiver.store.engine import Database
from archiver.store.rows import (
    IN_CHUNK,
    ObservationRow,
    capture_from_row,
    observation_from_row,
    observation_values,
    plain,
)
from archiver.store.schema import articles, captures, links, observations, runs, texts

UNCHECKED = "unchecked"
DUE_BATCH = 10_000  # due link URLs per query of a check  # verdict_counts' name for links never judged


@lru_cache(maxsize=2)
def _latest_query(of_urls: bool) -> Select:
    """latest_observations' query (for the bound list "urls", or for every URL), built once: a check asks
    it once per URL, and building a subquery of every column costs more than running it."""
    newest_first = func.row_number().over(
        partition_by=observations.c.url, order_by=(observations.c.checked_at.desc(), observations.c.id.desc()))
    ranked = select(observations, newest_first.label("rank"))
    if of_urls:
        ranked = ranked.where(observations.c.url.in_(bindparam("urls", expanding=True)))
    ranked = ranked.subquery()
    return select(ranked).where(ranked.c.rank == 1)


class HealthQueries:
    _db: Database

    # -- texts ------------------------------------------------------------------------------

    def save_text(self, text_hash: str, text: str) -> None:
        """Keep `text` under `text_hash` unless a text is already kept there (the first one stays)."""

        def work(connection: Connection) -> None:
            insert = dialect_insert(connection, texts).values(text_hash=text_hash, text=text)
            connection.execute(insert.on_conflict_do_nothing(index_elements=["text_hash"]))

        self._db.write("save a text", work)

    def get_text(self, text_hash: str) -> str | None:
        with self._db.read("read a text") as connection:
            return connection.execute(select(texts.c.text).where(texts.c.text_hash == text_hash)).scalar()

    # -- observations -----------------------------------------------------------------------

    def add_observation(self, row: ObservationRow) -> int:
        values = observation_values(row)

        def work(connection: Connection) -> int:
            return connection.execute(observations.insert().values(values).returning(observations.c.id)).scalar_one()

        return self._db.write("add an observation", work)

    def observations_for_url(self, url: str, limit: int | None = None) -> list[ObservationRow]:
        """The checks of `url`, oldest first; with `limit`, only the newest `limit` of them (still oldest first)."""
        if limit is not None and limit <= 0:
            return []
        query = (
            select(observations)
            .where(observations.c.url == url)
            .order_by(observations.c.checked_at.desc(), observations.c.id.desc())
            .limit(limit)
        )
        with self._db.read("read observations") as connection:
            rows = [observation_from_row(row) for row in connection.execute(query)]
        rows.reverse()
        return rows

    def latest_observations(self, urls: Sequence[str] | None = None) -> dict[str, ObservationRow]:
        """The newest check of each URL (of `urls`, or of every URL ever checked)."""
        if urls is not None:
            wanted = list(dict.fromkeys(urls))
            chunks: list[list[str] | None] = [wanted[i : i + IN_CHUNK] for i in range(0, len(wanted), IN_CHUNK)]
        else:
            chunks = [None]
        latest: dict[str, ObservationRow] = {}
        with self._db.read("read observations") as connection:
            for chunk in chunks:
                query, parameters = (_latest_query(False), {}) if chunk is None else (_latest_query(True),
                                                                                     {"urls": chunk})
                for row in connection.execute(query, parameters):
                    latest[row.url] = observation_from_row(row)
        return latest

    # -- captures behind observations ----------------------------------------------------------

    def baseline_capture(self, url: str) -> tuple[int, Capture] | None:
        """(id, capture) of the first fetch of `url` that ended in a 2xx page with a main text; None if none."""
        fetched, ended = final_hops(captures.c.requested_url == url)
        query = (
            select(fetched)
            .where(
                ended,
                fetched.c.http_status >= 200,
                fetched.c.http_status < 300,
                fetched.c.text_hash.is_not(None),
            )
            .order_by(fetched.c.fetched_at, fetched.c.id)
            .limit(1)
        )
        with self._db.read("read captures") as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else (row.id, capture_from_row(row))

    def capture_id_for_record(self, record_id: str) -> int | None:
        """The id of the capture of WARC record `record_id` (the first, should it appear twice)."""
        query = select(captures.c.id).where(captures.c.record_id == record_id).order_by(captures.c.id).limit(1)
        with self._db.read("read captures") as connection:
            return connection.execute(query).scalar()

    # -- verdicts and schedules ------------------------------------------------------------------

    def set_link_health(self, url: str, verdict: str, checked_at: datetime, next_check_at: datetime) -> None:
        """Record a check's verdict on every link to `url`; verdict_since moves only when the verdict changes."""
        verdict = plain(verdict)
        checked = literal(checked_at, links.c.verdict_since.type)
        since = case(
            (links.c.verdict.is_distinct_from(verdict), checked),
            else_=func.coalesce(links.c.verdict_since, checked),
        )
        values = {"verdict": verdict, "verdict_since": since, "last_checked_at": checked_at,
                  "next_check_at": next_check_at}

        def work(connection: Connection) -> None:
            connection.execute(links.update().where(links.c.url == url).values(values))

        self._db.write("set link health", work)

    def set_article_health(
        self, article_id: int, verdict: str | None, checked_at: datetime, next_check_at: datetime
    ) -> None:
        values = {"verdict": plain(verdict), "last_checked_at": checked_at, "next_check_at": next_check_at}

        def work(connection: Connection) -> None:
            updated = connection.execute(articles.update().where(articles.c.id == article_id).values(values))
            if updated.rowcount != 1:
                raise StoreError(f"no article with id {article_id}")

        self._db.write("set article health", work)

    def due_link_urls(
        self, now: datetime, *, article_id: int | None = None, include_not_due: bool = False
    ) -> list[str]:
        """Distinct supported link URLs never checked or due by `now` (every one with include_not_due), by URL."""
        return [url for batch in self.due_link_batches(now, article_id=article_id, include_not_due=include_not_due)
                for url in batch]

    def due_link_batches(
        self, now: datetime, *, article_id: int | None = None, include_not_due: bool = False,
        batch_size: int = DUE_BATCH,
    ) -> Iterator[list[str]]:
        """due_link_urls in batches of `batch_size`, each one short query (after the last URL of the one before).

        A check of a million links never holds one list of them; each batch is read when the one
        before it has been taken.
        """
        after = None
        while True:
            query = select(links.c.url).where(links.c.supported.is_(True)).distinct().order_by(links.c.url)
            if not include_not_due:
                query = query.where(or_(links.c.next_check_at.is_(None), links.c.next_check_at <= now))
            if article_id is not None:
                query = query.where(links.c.article_id == article_id)
            if after is not None:
                query = query.where(links.c.url > after)
            with self._db.read("read links") as connection:
                batch = list(connection.execute(query.limit(batch_size)).scalars())
            if batch:
                yield batch
            if len(batch) < batch_size:
                return
            after = batch[-1]

    def due_article_ids(self, now: datetime, *, include_not_due: bool = False) -> list[int]:
        """Articles never checked or due by `now` (every one with include_not_due), by id."""
        query = select(articles.c.id).order_by(articles.c.id)
        if not include_not_due:
            query = query.where(or_(articles.c.next_check_at.is_(None), articles.c.next_check_at <= now))
        with self._db.read("read articles") as connection:
            return list(connection.execute(query).scalars())

    # -- reports ----------------------------------------------------------------------------------

    def reference_verdict_counts(self) -> dict[str, int]:
        """How many references (one per article and link, as reports count them) have each verdict; never-judged
        ones count as 'unchecked'. Read from the verdict index: a tenth of verdict_counts' time at a million links."""
        query = select(links.c.verdict, func.count()).group_by(links.c.verdict)
        with self._db.read("count reference verdicts") as connection:
            rows = connection.execute(query).all()
        return {verdict or UNCHECKED: int(count) for verdict, count in rows}

    def verdict_counts(self) -> dict[str, int]:
        """How many distinct link URLs have each verdict; never-judged ones count as 'unchecked'.

        Groups every link by URL: about a second at a million links, so `status` does it only with --all."""
        per_url = select(links.c.url, func.max(links.c.verdict).label("verdict")).group_by(links.c.url).subquery()
        query = select(per_url.c.verdict, func.count()).group_by(per_url.c.verdict)
        with self._db.read("count verdicts") as connection:
            rows = connection.execute(query).all()
        return {verdict or UNCHECKED: int(count) for verdict, count in rows}

    def observation_history(self, since: datetime | None = None) -> list[dict]:
        """Per run that made observations (started at or after `since`), oldest first:
        {"run_id", "kind", "started_at", "counts": {verdict: observations}}."""
        query = (
            select(runs.c.id, runs.c.kind, runs.c.started_at, observations.c.verdict, func.count().label("n"))
            .select_from(runs.join(observations, observations.c.run_id == runs.c.id))
            .group_by(runs.c.id, runs.c.kind, runs.c.started_at, observations.c.verdict)
            .order_by(runs.c.started_at, runs.c.id, observations.c.verdict)
        )
        if since is not None:
            query = query.where(runs.c.started_at >= since)
        history: dict[int, dict] = {}
        with self._db.read("read observation history") as connection:
            for row in connection.execute(query):
                entry = history.setdefault(
                    row.id, {"run_id": row.id, "kind": row.kind, "started_at": row.started_at, "counts": {}}
                )
                entry["counts"][row.verdict] = int(row.n)
        return list(history.values())
