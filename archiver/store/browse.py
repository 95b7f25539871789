"""Read-only queries for the review UI (archiver.web): each page asks for one screenful, never the archive.

Lists are keyset-paginated (`WHERE id < :after ORDER BY id DESC LIMIT n`), so page 1,000 costs what
page 1 does. Aggregates over every link (verdict counts, the history chart, hosts) are the only reads
that grow with the archive; the UI caches them per data_version().
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import case, func, or_, select

from archiver.store.engine import Database
from archiver.store.rows import ObservationRow, in_chunks, observation_from_row
from archiver.store.schema import articles, captures, link_overrides, links, observations, runs

ARTICLE_COLUMNS = (articles.c.id, articles.c.url, articles.c.canonical_url, articles.c.title, articles.c.seed_title,
                   articles.c.published, articles.c.seed_date, articles.c.verdict, articles.c.added_at,
                   articles.c.last_checked_at, articles.c.last_captured_at)


@dataclass(frozen=True)
class ArticleFilter:
    """What the articles page asks for; every field optional. Dates are ISO text, compared as text."""

    text: str = ""  # in the title or the URL, case-insensitive
    verdict: str = ""
    host: str = ""  # the article URL's host (and port), exactly
    date_from: str = ""  # the article's date (published, else the seed document's) on or after
    date_to: str = ""  # ... and on or before (a whole day: 2026-01-05 includes 2026-01-05T23:00)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class BrowseQueries:
    _db: Database

    def data_version(self) -> tuple:
        """Changes whenever a check, a capture, a new link or an override changes: the UI's cache key."""
        query = select(select(func.max(observations.c.id)).scalar_subquery(),
                       select(func.max(captures.c.id)).scalar_subquery(),
                       select(func.max(links.c.id)).scalar_subquery(),
                       select(func.max(runs.c.id)).scalar_subquery(),
                       select(func.count()).select_from(link_overrides).scalar_subquery(),
                       select(func.max(link_overrides.c.created_at)).scalar_subquery())
        with self._db.read("read the data version") as connection:
            return tuple(connection.execute(query).one())

    def link_verdict_totals(self) -> tuple[int, dict[str, int | None]]:
        """(articles, {verdict or None: links}): every citation counted, as the reports count references."""
        with self._db.read("count links by verdict") as connection:
            article_count = connection.execute(select(func.count()).select_from(articles)).scalar_one()
            rows = connection.execute(select(links.c.verdict, func.count()).group_by(links.c.verdict)).all()
        return int(article_count), {verdict: int(n) for verdict, n in rows}

    def run_verdict_history(self, limit: int) -> list[dict]:
        """The newest `limit` runs that checked anything, oldest first: {"id", "kind", "started_at", "counts"},
        counts being the verdicts those checks left, as the run recorded them when it ended (runs.counts:
        "verdict_dead": 3 ...). Reads the runs table only: a run still going shows once it ends."""
        query = (select(runs.c.id, runs.c.kind, runs.c.started_at, runs.c.counts)
                 .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit * 10))
        found = []
        with self._db.read("read the run history") as connection:
            for row in connection.execute(query):
                counts = {key.removeprefix("verdict_"): int(n) for key, n in (row.counts or {}).items()
                          if key.startswith("verdict_") and n}
                if counts:
                    found.append({"id": row.id, "kind": row.kind, "started_at": row.started_at, "counts": counts})
                if len(found) == limit:
                    break
        return found[::-1]

    def links_by_host_and_verdict(self) -> list[tuple[str, str | None, int]]:
        """(host, verdict, links) over every http(s) link: one GROUP BY in the database, the host cut from
        the URL there (lower-cased; port kept). The one archive-wide read of the hosts page."""
        after_scheme = func.instr(links.c.url, "//") + 2
        if self._db.backend == "postgresql":
            host = func.lower(func.split_part(links.c.url, "/", 3))
        else:
            rest = func.substr(links.c.url, after_scheme)
            host = func.lower(case((func.instr(rest, "/") > 0, func.substr(rest, 1, func.instr(rest, "/") - 1)),
                                   else_=rest))
        host = case((links.c.url.like("http%://%"), host), else_="(not http)").label("host")
        query = select(host, links.c.verdict, func.count()).group_by(host, links.c.verdict)
        with self._db.read("count links by host") as connection:
            return [(name, verdict, int(n)) for name, verdict, n in connection.execute(query)]

    def recent_link_changes(self, since: datetime | None, limit: int) -> list[dict]:
        """Links whose verdict changed at or after `since` (newest first, at most `limit`), with their article.

        Two reads: the links by the verdict_since index, then their articles by id. Joined in one query,
        PostgreSQL hashes every article first (270 ms at 100,000 articles)."""
        query = (select(links.c.id, links.c.url, links.c.verdict, links.c.verdict_since, links.c.article_id)
                 .where(links.c.verdict_since.is_not(None))
                 .order_by(links.c.verdict_since.desc(), links.c.id.desc()).limit(limit))
        if since is not None:
            query = query.where(links.c.verdict_since >= since)
        with self._db.read("read recent changes") as connection:
            rows = [row._asdict() for row in connection.execute(query)]
            ids = list({row["article_id"] for row in rows})
            cited = {row.id: row for row in connection.execute(
                select(articles.c.id, articles.c.title, articles.c.seed_title, articles.c.url)
                .where(articles.c.id.in_(ids)))} if ids else {}
        return [{**row, "title": cited[row["article_id"]].title, "seed_title": cited[row["article_id"]].seed_title,
                 "article_url": cited[row["article_id"]].url} for row in rows]

    def search_articles(self, wanted: ArticleFilter, *, after_id: int | None, limit: int,
                        failing: Sequence[str] = ("dead", "rotten", "drifted")) -> list[dict]:
        """One page of articles matching `wanted`, newest registration first, after the id `after_id`.

        Each row also has `link_count` and `failing_count` (its links with a verdict in `failing`)."""
        query = select(*ARTICLE_COLUMNS).order_by(articles.c.id.desc()).limit(limit)
        if after_id is not None:
            query = query.where(articles.c.id < after_id)
        if wanted.text:
            pattern = f"%{_like_escaped(wanted.text)}%"
            # SQLite's LIKE ignores ASCII case already; ilike would add lower() on three columns of every row.
            match = "like" if self._db.backend == "sqlite" else "ilike"
            query = query.where(or_(*(getattr(column, match)(pattern, escape="\\")
                                      for column in (articles.c.title, articles.c.seed_title, articles.c.url))))
        if wanted.verdict:
            query = query.where(articles.c.verdict.is_(None) if wanted.verdict == "unchecked"
                                else articles.c.verdict == wanted.verdict)
        if wanted.host:
            host = _like_escaped(wanted.host.lower())
            query = query.where(or_(articles.c.url.like(f"http://{host}/%", escape="\\"),
                                    articles.c.url.like(f"https://{host}/%", escape="\\")))
        dated = func.coalesce(articles.c.published, articles.c.seed_date)
        if wanted.date_from:
            query = query.where(dated >= wanted.date_from)
        if wanted.date_to:
            query = query.where(dated < wanted.date_to + "\uffff")  # the whole day, whatever time follows
        with self._db.read("search articles") as connection:
            rows = [row._asdict() for row in connection.execute(query)]
            counts = self._link_counts(connection, [row["id"] for row in rows], failing)
        return [{**row, **counts.get(row["id"], {"link_count": 0, "failing_count": 0})} for row in rows]

    @staticmethod
    def _link_counts(connection, article_ids: list[int], failing: Sequence[str]) -> dict[int, dict[str, int]]:
        if not article_ids:
            return {}
        failing_links = func.sum(case((links.c.verdict.in_(list(failing)), 1), else_=0))
        query = (select(links.c.article_id, func.count(), failing_links).where(links.c.article_id.in_(article_ids))
                 .group_by(links.c.article_id))
        return {article_id: {"link_count": int(n), "failing_count": int(bad or 0)}
                for article_id, n, bad in connection.execute(query)}

    def article_row(self, article_id: int) -> dict | None:
        with self._db.read("read an article") as connection:
            row = connection.execute(select(*ARTICLE_COLUMNS).where(articles.c.id == article_id)).first()
        return row._asdict() if row else None

    def article_links(self, article_id: int) -> list[dict]:
        """The article's links, those of its latest capture first, each in body order."""
        query = (select(links).where(links.c.article_id == article_id)
                 .order_by(links.c.last_seen.desc(), links.c.position, links.c.id))
        with self._db.read("read an article's links") as connection:
            return [row._asdict() for row in connection.execute(query)]

    def recent_observations(self, urls: Sequence[str], per_url: int) -> dict[str, list[ObservationRow]]:
        """The newest `per_url` checks of each URL, newest first."""
        found: dict[str, list[ObservationRow]] = {}
        with self._db.read("read observation histories") as connection:
            for chunk in in_chunks(urls, 200):
                newest_first = func.row_number().over(
                    partition_by=observations.c.url, order_by=(observations.c.checked_at.desc(),
                                                               observations.c.id.desc()))
                ranked = select(observations, newest_first.label("rank")).where(
                    observations.c.url.in_(chunk)).subquery()
                query = select(ranked).where(ranked.c.rank <= per_url).order_by(ranked.c.url, ranked.c.rank)
                for row in connection.execute(query):
                    found.setdefault(row.url, []).append(observation_from_row(row))
        return found

    def text_hashes_of_captures(self, capture_ids: Sequence[int]) -> dict[int, str]:
        with self._db.read("read capture text hashes") as connection:
            query = select(captures.c.id, captures.c.text_hash).where(captures.c.id.in_(list(capture_ids)),
                                                                       captures.c.text_hash.is_not(None))
            return dict(connection.execute(query).all())

    def answered_capture_times(self, urls: Sequence[str]) -> dict[str, tuple[datetime, datetime]]:
        """(earliest, latest) time each URL was captured with a 2xx answer written to a WARC."""
        found: dict[str, tuple[datetime, datetime]] = {}
        with self._db.read("read capture times") as connection:
            for chunk in in_chunks(urls):
                query = (select(captures.c.requested_url, func.min(captures.c.fetched_at),
                                func.max(captures.c.fetched_at))
                         .where(captures.c.requested_url.in_(chunk), captures.c.warc_file.is_not(None),
                                captures.c.http_status >= 200, captures.c.http_status < 300)
                         .group_by(captures.c.requested_url))
                for url, first, last in connection.execute(query):
                    found[url] = (first, last)
        return found

    def citing_articles(self, url: str, limit: int) -> list[dict]:
        """Articles whose body links to `url` (newest first), with the anchor text they use."""
        query = (select(*ARTICLE_COLUMNS, links.c.anchor_text, links.c.position, links.c.last_seen)
                 .select_from(links.join(articles, articles.c.id == links.c.article_id))
                 .where(links.c.url == url).order_by(articles.c.id.desc()).limit(limit))
        with self._db.read("read citing articles") as connection:
            return [row._asdict() for row in connection.execute(query)]

    def link_captures(self, url: str, limit: int) -> list[dict]:
        """Every hop of the fetches that started from `url`, newest first, with its WARC record's place."""
        query = (select(captures.c.id, captures.c.url, captures.c.hop, captures.c.fetched_at, captures.c.http_status,
                        captures.c.content_type, captures.c.warc_file, captures.c.warc_offset,
                        captures.c.warc_length, captures.c.record_id, captures.c.payload_digest,
                        captures.c.failure, captures.c.failure_detail, captures.c.truncated)
                 .where(captures.c.requested_url == url)
                 .order_by(captures.c.fetched_at.desc(), captures.c.hop, captures.c.id.desc()).limit(limit))
        with self._db.read("read a link's captures") as connection:
            return [row._asdict() for row in connection.execute(query)]
