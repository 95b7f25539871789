"""Read-only queries for reports: articles with their health, their links, captures, and verdicts over time.

Nothing here writes. Reports are built from the tables the check cycle already
fills (articles, links, captures, observations, runs); no table exists for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import exists, func, select

from archiver.models import Capture
from archiver.store.engine import Database
from archiver.store.rows import ObservationRow, capture_from_row, in_chunks, observation_from_row
from archiver.store.schema import articles, captures, links, observations, runs

REPORT_ARTICLE_COLUMNS = (
    "id", "url", "canonical_url", "title", "clean_title", "seed_title", "published", "published_raw", "modified",
    "seed_date", "seed_text",
    "added_at", "last_captured_at", "verdict", "last_checked_at",
)


class ReportQueries:
    _db: Database

    def report_articles(self, article_id: int | None = None) -> list[dict]:
        """Every article (or only `article_id`) with its extracted fields, seed fields and health, oldest first."""
        query = select(*(articles.c[name] for name in REPORT_ARTICLE_COLUMNS)).order_by(articles.c.id)
        if article_id is not None:
            query = query.where(articles.c.id == article_id)
        with self._db.read("read articles for a report") as connection:
            return [row._asdict() for row in connection.execute(query)]

    def report_links(self, article_ids: Sequence[int]) -> list[dict]:
        """The links of these articles, per article in links_for_article's order (current body order first)."""
        order = (links.c.article_id, links.c.last_seen.desc(), links.c.position, links.c.id)
        found: list[dict] = []
        with self._db.read("read links for a report") as connection:
            for chunk in in_chunks(sorted(article_ids)):  # ascending ids: the chunks come out in article order
                query = select(links).where(links.c.article_id.in_(chunk)).order_by(*order)
                found.extend(row._asdict() for row in connection.execute(query))
        return found

    def report_captures(self, requested_urls: Sequence[str]) -> dict[str, list[tuple[int, Capture]]]:
        """(id, capture) of every fetch hop that started from each URL, oldest first, keyed by requested URL."""
        by_url: dict[str, list[tuple[int, Capture]]] = {}
        with self._db.read("read captures for a report") as connection:
            for chunk in in_chunks(requested_urls):
                query = (select(captures).where(captures.c.requested_url.in_(chunk))
                         .order_by(captures.c.fetched_at, captures.c.id))
                for row in connection.execute(query):
                    by_url.setdefault(row.requested_url, []).append((row.id, capture_from_row(row)))
        return by_url

    def latest_observations_before(self, urls: Sequence[str], before: datetime) -> dict[str, ObservationRow]:
        """The newest check of each URL made strictly before `before`: the state a change is measured from."""
        latest: dict[str, ObservationRow] = {}
        with self._db.read("read observations for a report") as connection:
            for chunk in in_chunks(urls):
                newest_first = func.row_number().over(
                    partition_by=observations.c.url,
                    order_by=(observations.c.checked_at.desc(), observations.c.id.desc()),
                )
                ranked = (select(observations, newest_first.label("rank"))
                          .where(observations.c.url.in_(chunk), observations.c.checked_at < before).subquery())
                for row in connection.execute(select(ranked).where(ranked.c.rank == 1)):
                    latest[row.url] = observation_from_row(row)
        return latest

    def observed_runs(self, limit: int) -> list[dict]:
        """The newest `limit` runs that made at least one observation, oldest first: {"id", "kind", "started_at"}."""
        observed = exists().where(observations.c.run_id == runs.c.id)
        query = (select(runs.c.id, runs.c.kind, runs.c.started_at).where(observed)
                 .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit))
        with self._db.read("read runs for a report") as connection:
            rows = [row._asdict() for row in connection.execute(query)]
        rows.reverse()
        return rows

    def verdicts_in_runs(self, urls: Sequence[str], run_ids: Sequence[int]) -> list[tuple[int, str, str]]:
        """(run_id, url, verdict after the check) of every check of `urls` made by `run_ids`, in check order."""
        found: list[tuple[datetime, int, int, str, str]] = []
        if not run_ids:
            return []
        with self._db.read("read verdicts for a report") as connection:
            for chunk in in_chunks(urls):
                query = select(observations.c.checked_at, observations.c.id, observations.c.run_id,
                               observations.c.url, observations.c.verdict).where(
                    observations.c.url.in_(chunk), observations.c.run_id.in_(list(run_ids)))
                found.extend(tuple(row) for row in connection.execute(query))
        found.sort()
        return [(run_id, url, verdict) for _, _, run_id, url, verdict in found]
