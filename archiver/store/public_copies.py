"""Public web archives: Memento look-ups and save-endpoint submissions of link URLs, one row per (url, archive, kind).

Only the latest state is kept. A failed look-up keeps the memento an earlier one
found (it is still a copy to point readers at) and is retried at the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import Connection, and_, or_, select

from archiver.store.articles import dialect_insert
from archiver.store.engine import Database
from archiver.store.rows import IN_CHUNK
from archiver.store.schema import articles, links, public_copies

LOOKUP, SUBMIT = "lookup", "submit"
FAILED = "failed"


@dataclass(frozen=True)
class PublicCopyRow:
    """The latest look-up (or submission) of `url` at `archive`."""

    url: str
    archive: str
    kind: str  # LOOKUP or SUBMIT
    status: str  # "found", "none", "failed", "submitted"
    looked_up_at: datetime
    memento_url: str | None = None
    memento_datetime: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class CitingArticle:
    """When an article citing a link was dated: its published or seed date as found, and its registration."""

    published: str | None
    seed_date: str | None
    added_at: datetime


class PublicCopyQueries:
    _db: Database

    def public_copy_candidates(self, archive: str, verdicts: Sequence[str], stale_before: datetime,
                               limit: int) -> dict[str, list[CitingArticle]]:
        """Up to `limit` supported link URLs with one of `verdicts` whose look-up at `archive` is missing,
        failed or older than `stale_before` (never looked up first, then the oldest), with their citing articles."""
        if limit <= 0 or not verdicts:
            return {}
        looked = public_copies.c
        joined = links.outerjoin(public_copies, and_(looked.url == links.c.url, looked.archive == archive,
                                                     looked.kind == LOOKUP))
        query = (select(links.c.url).select_from(joined)
                 .where(links.c.supported.is_(True), links.c.verdict.in_(list(verdicts)),
                        or_(looked.id.is_(None), looked.status == FAILED, looked.looked_up_at < stale_before))
                 .group_by(links.c.url, looked.looked_up_at)
                 .order_by(looked.looked_up_at.asc().nulls_first(), links.c.url)
                 .limit(limit))
        with self._db.read("read links for public archive look-ups") as connection:
            urls = list(connection.execute(query).scalars())
            return self._citing_articles(connection, urls)

    def submission_candidates(self, archive: str, verdicts: Sequence[str], limit: int) -> list[str]:
        """Up to `limit` supported link URLs with one of `verdicts` never submitted to `archive` (failed ones again)."""
        if limit <= 0 or not verdicts:
            return []
        sent = public_copies.c
        joined = links.outerjoin(public_copies, and_(sent.url == links.c.url, sent.archive == archive,
                                                     sent.kind == SUBMIT))
        query = (select(links.c.url).select_from(joined)
                 .where(links.c.supported.is_(True), links.c.verdict.in_(list(verdicts)),
                        or_(sent.id.is_(None), sent.status == FAILED))
                 .group_by(links.c.url).order_by(links.c.url).limit(limit))
        with self._db.read("read links for save-endpoint submissions") as connection:
            return list(connection.execute(query).scalars())

    @staticmethod
    def _citing_articles(connection: Connection, urls: list[str]) -> dict[str, list[CitingArticle]]:
        citing: dict[str, list[CitingArticle]] = {url: [] for url in urls}
        for start in range(0, len(urls), IN_CHUNK):
            query = (select(links.c.url, articles.c.published, articles.c.seed_date, articles.c.added_at)
                     .select_from(links.join(articles, articles.c.id == links.c.article_id))
                     .where(links.c.url.in_(urls[start : start + IN_CHUNK])).order_by(articles.c.id))
            for row in connection.execute(query):
                citing[row.url].append(CitingArticle(row.published, row.seed_date, row.added_at))
        return citing

    def record_public_copy(self, row: PublicCopyRow) -> None:
        """Keep `row` as the latest state of (url, archive, kind); a failure leaves the memento found before."""
        values = {"url": row.url, "archive": row.archive, "kind": row.kind, "status": row.status,
                  "memento_url": row.memento_url, "memento_datetime": row.memento_datetime,
                  "looked_up_at": row.looked_up_at, "detail": row.detail or ""}
        updated = ("status", "looked_up_at", "detail")
        if row.status != FAILED:
            updated += ("memento_url", "memento_datetime")

        def work(connection: Connection) -> None:
            insert = dialect_insert(connection, public_copies).values(values)
            connection.execute(insert.on_conflict_do_update(
                index_elements=["url", "archive", "kind"],
                set_={name: insert.excluded[name] for name in updated}))

        self._db.write("record a public archive look-up", work)

    def public_copies_for(self, urls: Sequence[str], *, found_only: bool = True) -> dict[str, list[PublicCopyRow]]:
        """Look-ups of each URL by archive name (with found_only, only those holding a memento); submissions too
        when not found_only."""
        by_url: dict[str, list[PublicCopyRow]] = {}
        wanted = list(dict.fromkeys(urls))
        with self._db.read("read public archive look-ups") as connection:
            for start in range(0, len(wanted), IN_CHUNK):
                query = (select(public_copies).where(public_copies.c.url.in_(wanted[start : start + IN_CHUNK]))
                         .order_by(public_copies.c.url, public_copies.c.kind, public_copies.c.archive))
                if found_only:
                    query = query.where(public_copies.c.kind == LOOKUP, public_copies.c.memento_url.is_not(None))
                for row in connection.execute(query):
                    by_url.setdefault(row.url, []).append(PublicCopyRow(
                        url=row.url, archive=row.archive, kind=row.kind, status=row.status,
                        looked_up_at=row.looked_up_at, memento_url=row.memento_url,
                        memento_datetime=row.memento_datetime, detail=row.detail or ""))
        return by_url
