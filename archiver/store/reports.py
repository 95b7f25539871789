"""Read-only queries for reports: articles with their health, their links, captures, and verdicts over time.

Nothing here writes. Reports are built from the tables the check cycle already
fills (articles, links, captures, observations, runs); no table exists for them.
Every query takes a bounded slice (a page of articles after a given id, a chunk of
URLs), so a report streams through an archive of any size; a web UI can page the
same way (report_article_page is keyset pagination).
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import exists, func, select, tuple_

from archiver.models import Capture
from archiver.store.engine import Database
from archiver.store.rows import capture_from_row, in_chunks
from archiver.store.schema import articles, captures, link_overrides, links, observations, runs

NEWS_ARTICLE_COLUMNS = ("id", "url", "title", "seed_title")  # what a line of news names its article by
cited = links.alias("cited")  # the same article's links, for the newest last_seen among them
KEYSET_SPAN = 50  # ids a news query looks at per row it may return (see _keyset_page)

REPORT_ARTICLE_COLUMNS = (  # not seed_text: a report never shows it, and it is the largest column
    "id", "url", "canonical_url", "title", "clean_title", "seed_title", "published", "published_raw", "modified",
    "seed_date",
    "added_at", "last_captured_at", "verdict", "last_checked_at",
)
UNCHECKED = "unchecked"


def _with_failing_link(verdicts: Sequence[str], after_id: int | None = None):
    """The articles citing at least one link whose verdict is one of `verdicts` (ix_links_article_id_verdict).

    `after_id` is said again on the links' side: PostgreSQL merges the two indexes, and without it
    each page would walk the links index from the first article again.
    """
    condition = exists().where(links.c.article_id == articles.c.id, _failing(verdicts))
    return condition if after_id is None else condition.where(links.c.article_id > after_id)


def _failing(verdicts: Sequence[str]):
    """A link whose verdict is one of `verdicts` and that no reviewer has overridden (archiver serve)."""
    overridden = exists().where(link_overrides.c.url == links.c.url)
    return links.c.verdict.in_(list(verdicts)) & ~overridden


class ReportQueries:
    _db: Database

    def report_article_page(self, after_id: int | None, limit: int, *, article_id: int | None = None,
                            failing: Sequence[str] = ()) -> list[dict]:
        """Up to `limit` articles with ids above `after_id`, by id (keyset pagination: pass the last id back).

        `article_id`: only that one. `failing`: only articles citing a link with one of these verdicts.
        """
        query = select(*(articles.c[name] for name in REPORT_ARTICLE_COLUMNS)).order_by(articles.c.id).limit(limit)
        if after_id is not None:
            query = query.where(articles.c.id > after_id)
        if article_id is not None:
            query = query.where(articles.c.id == article_id)
        if failing:
            query = query.where(_with_failing_link(failing, after_id))
        with self._db.read("read articles for a report") as connection:
            return [row._asdict() for row in connection.execute(query)]

    def report_summary(self, article_id: int | None = None, failing: Sequence[str] = ()) -> dict:
        """{"articles", "references" (one per article and link), "by_verdict" {verdict: references},
        "failing_articles" (citing a link with a `failing` verdict), "failing_references"}, counted by the
        database; a link a reviewer overrode fails nothing."""
        article_query = select(func.count()).select_from(articles)
        link_query = select(func.coalesce(links.c.verdict, UNCHECKED).label("verdict"), func.count().label("n"))
        failing_query = select(func.count()).select_from(articles).where(_with_failing_link(failing or ("",)))
        failing_links = select(func.count()).select_from(links).where(_failing(failing or ("",)))
        if article_id is not None:
            article_query = article_query.where(articles.c.id == article_id)
            link_query = link_query.where(links.c.article_id == article_id)
            failing_query = failing_query.where(articles.c.id == article_id)
            failing_links = failing_links.where(links.c.article_id == article_id)
        with self._db.read("count a report") as connection:
            total = connection.execute(article_query).scalar_one()
            by_verdict = {row.verdict: int(row.n) for row in connection.execute(link_query.group_by(links.c.verdict))}
            failing_articles = connection.execute(failing_query).scalar_one() if failing else 0
            failing_references = connection.execute(failing_links).scalar_one() if failing else 0
        merged: dict[str, int] = {}
        for verdict, n in by_verdict.items():  # NULL and "unchecked" would be two groups
            merged[verdict] = merged.get(verdict, 0) + n
        return {"articles": int(total), "references": sum(merged.values()), "by_verdict": merged,
                "failing_articles": int(failing_articles), "failing_references": int(failing_references)}

    def report_links(self, article_ids: Sequence[int], verdicts: Sequence[str] | None = None) -> list[dict]:
        """The links of these articles, per article in links_for_article's order (current body order first).

        `verdicts`: only links with one of these verdicts that no reviewer overrode. Each row says whether the article's latest
        capture still has the link ("still_linked": its last_seen is the article's newest).
        """
        order = (links.c.article_id, links.c.last_seen.desc(), links.c.position, links.c.id)
        newest = (select(links.c.article_id, func.max(links.c.last_seen).label("newest"))
                  .group_by(links.c.article_id))
        found: list[dict] = []
        with self._db.read("read links for a report") as connection:
            for chunk in in_chunks(sorted(article_ids)):  # ascending ids: the chunks come out in article order
                latest = newest.where(links.c.article_id.in_(chunk)).subquery()
                query = (select(links, (links.c.last_seen == latest.c.newest).label("still_linked"))
                         .join(latest, latest.c.article_id == links.c.article_id)
                         .where(links.c.article_id.in_(chunk)).order_by(*order))
                if verdicts is not None:
                    query = query.where(_failing(verdicts))
                found.extend({**row._asdict(), "still_linked": bool(row.still_linked)}
                             for row in connection.execute(query))
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

    def latest_verdicts_before(self, urls: Sequence[str], before: datetime) -> dict[str, str]:
        """The verdict after the newest check of each URL made strictly before `before` (that check's url and
        verdict alone: a report asks this for every reference, and whole rows cost more to read than to find)."""
        latest: dict[str, str] = {}
        with self._db.read("read verdicts for a report") as connection:
            for chunk in in_chunks(urls):
                newest_first = func.row_number().over(
                    partition_by=observations.c.url,
                    order_by=(observations.c.checked_at.desc(), observations.c.id.desc()),
                )
                ranked = (select(observations.c.url, observations.c.verdict, newest_first.label("rank"))
                          .where(observations.c.url.in_(chunk), observations.c.checked_at < before).subquery())
                for url, verdict in connection.execute(select(ranked.c.url, ranked.c.verdict)
                                                       .where(ranked.c.rank == 1)):
                    latest[url] = verdict
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
                # `run_id + 0`: no index on that side, so even a planner without statistics takes the
                # URL index (a run's observations are the whole archive; a chunk's URLs are a thousand).
                query = select(observations.c.checked_at, observations.c.id, observations.c.run_id,
                               observations.c.url, observations.c.verdict).where(
                    observations.c.url.in_(chunk), (observations.c.run_id + 0).in_(list(run_ids)))
                found.extend(tuple(row) for row in connection.execute(query))
        found.sort()
        return [(run_id, url, verdict) for _, _, run_id, url, verdict in found]

    def report_news_links(self, verdict: str, changed_since: datetime | None, after_id: int | None, limit: int, *,
                          article_id: int | None = None) -> tuple[list[dict], int | None]:
        """Up to `limit` links whose verdict is `verdict`, got at or after `changed_since` (verdict_since; any
        time when None), that their article still has, by link id after `after_id` (keyset pagination), and
        the after_id of the next page (None: there is none).

        The candidates for news of one kind (report/news.py decides which are news). Each row: the link's
        "id", "article_id", "url", "verdict", and its article's "article_url" and "article_label".
        """
        query = (select(links.c.id, links.c.article_id, links.c.url, links.c.verdict)
                 .where(links.c.verdict == verdict, _still_linked()).order_by(links.c.id))
        if changed_since is not None:
            query = query.where(links.c.verdict_since >= changed_since)
        if article_id is not None:
            query = query.where(links.c.article_id == article_id)
        with self._db.read("read news for a report") as connection:
            rows, after_id = _keyset_page(connection, query, links.c.id, after_id, limit, spans=article_id is None)
            # Their articles by id, a second read: joined in one query, PostgreSQL hashes every article first.
            named = _articles_by_id(connection, [row["article_id"] for row in rows])
        return [{**row, "article_url": named[row["article_id"]]["url"],
                 "article_label": _label(named[row["article_id"]])} for row in rows], after_id

    def news_candidates(self, changed_since: datetime | None, after: tuple[datetime, int] | None, limit: int, *,
                        article_id: int | None = None) -> tuple[list[dict], tuple[datetime, int] | None]:
        """Up to `limit` links whose verdict changed at or after `changed_since` (verdict_since; every judged
        link when None) that their article still has, in (verdict_since, id) order after `after`; and the
        `after` of the next page (None: there is none); only the links of `article_id` when given. Each row:
        "url", "verdict".

        Read on the (verdict_since, id) index alone: a walk costs what changed since `changed_since`, not the
        archive, which is how a report counts its news (report/news.py) without reading every link. (No
        condition on the verdict: SQLite would take the verdict index for it and sort every match per page.)
        """
        key = (links.c.verdict_since, links.c.id)
        query = (select(links.c.verdict_since, links.c.id, links.c.url, links.c.verdict)
                 .where(links.c.verdict_since.is_not(None), _still_linked()).order_by(*key).limit(limit))
        if changed_since is not None:
            query = query.where(links.c.verdict_since >= changed_since)
        if after is not None:
            query = query.where(tuple_(*key) > tuple_(*after))
        if article_id is not None:
            query = query.where(links.c.article_id == article_id)
        with self._db.read("read news for a report") as connection:
            rows = connection.execute(query).all()
        following = (rows[-1].verdict_since, rows[-1].id) if len(rows) == limit else None
        return [{"url": row.url, "verdict": row.verdict} for row in rows], following

    def report_edited_articles(self, checked_since: datetime | None, after_id: int | None, limit: int, *,
                               article_id: int | None = None) -> tuple[list[dict], int | None]:
        """Up to `limit` articles, by id after `after_id`, with a check at or after `checked_since` (any time
        when None) that found their own text changed (content_change other than unchanged), and the after_id
        of the next page (None: there is none): the candidates for "article edited" news. Each row: "id",
        "url", "label"."""
        changed = (select(observations.c.id).where(observations.c.url == articles.c.url,
                                                   observations.c.content_change.is_not(None),
                                                   observations.c.content_change != "unchanged").limit(1))
        if checked_since is not None:
            changed = changed.where(observations.c.checked_at >= checked_since)
        # A scalar subquery, not EXISTS: PostgreSQL would make EXISTS a merge join over every observation.
        query = (select(*(articles.c[name] for name in NEWS_ARTICLE_COLUMNS))
                 .where(changed.scalar_subquery().is_not(None)).order_by(articles.c.id))
        if article_id is not None:
            query = query.where(articles.c.id == article_id)
        with self._db.read("read edited articles for a report") as connection:
            rows, after_id = _keyset_page(connection, query, articles.c.id, after_id, limit, spans=article_id is None)
        return [{"id": row["id"], "url": row["url"], "label": _label(row)} for row in rows], after_id


def _still_linked():
    """The link is in its article's latest capture: its last_seen is the newest among the article's links."""
    newest = select(func.max(cited.c.last_seen)).where(cited.c.article_id == links.c.article_id).scalar_subquery()
    return links.c.last_seen == newest


def _keyset_page(connection, query, key, after_id: int | None, limit: int, *, spans: bool) -> tuple[list[dict], int | None]:
    """Up to `limit` rows of `query` (ordered by `key`, an integer id) with keys above `after_id`, and the
    after_id of the next page (None when the table has no more).

    With `spans`, each statement looks at KEYSET_SPAN * limit ids at most (key > after AND key <= after +
    span): however few rows match, no statement walks the whole table, so a walk costs time linear in the
    table on planners that would otherwise scan it (or sort every match) once per page.
    """
    start = after_id or 0
    if not spans:
        rows = [row._asdict() for row in connection.execute(query.where(key > start).limit(limit))]
        return rows, (rows[-1]["id"] if len(rows) == limit else None)
    top = connection.execute(select(func.max(key))).scalar() or 0
    rows: list[dict] = []
    while start < top and len(rows) < limit:
        end = start + KEYSET_SPAN * limit
        wanted = limit - len(rows)
        found = [row._asdict() for row in connection.execute(query.where(key > start, key <= end).limit(wanted))]
        rows += found
        start = found[-1]["id"] if len(found) == wanted else end
    return rows, (start if start < top else None)


def _articles_by_id(connection, ids: Sequence[int]) -> dict[int, dict]:
    found = {}
    for chunk in in_chunks(ids):
        query = select(*(articles.c[name] for name in NEWS_ARTICLE_COLUMNS)).where(articles.c.id.in_(chunk))
        found.update({row.id: row._asdict() for row in connection.execute(query)})
    return found


def _label(article: dict) -> str:
    """How a report names an article: its title, else the seed document's, else its URL."""
    return article["title"] or article["seed_title"] or article["url"]
