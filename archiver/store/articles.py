"""Articles and the links in their bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Sequence

from sqlalchemy import Connection, Insert, and_, case, exists, func, not_, select
from sqlalchemy.dialects import postgresql, sqlite

from archiver.errors import StoreError
from archiver.models import Article, Extracted, Link
from archiver.store.engine import Database
from archiver.store.schema import articles, captures, links

SEED_FIELDS = ("seed_title", "seed_date", "seed_text")
ARTICLE_PAGE = 1000  # articles per page of article_pages (ids fit one IN list)


def dialect_insert(connection: Connection, table) -> Insert:
    """An INSERT that knows ON CONFLICT for this backend (both spell it the same way)."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def _seed_updates(existing: Any, article: Article) -> dict[str, Any]:
    """Seed fields the new registration brings: given values replace, missing ones never erase."""
    updates = {name: getattr(article, name) for name in SEED_FIELDS
               if getattr(article, name) is not None and getattr(article, name) != getattr(existing, name)}
    if article.source and not existing.source:
        updates["source"] = article.source
    return updates


class ArticleQueries:
    _db: Database

    def add_article(self, article: Article, now: datetime) -> tuple[int, bool]:
        """Register `article` by its URL (as given: callers normalise); return (id, created)."""

        def work(connection: Connection) -> tuple[int, bool]:
            find = select(articles).where(articles.c.url == article.url)
            existing = connection.execute(find).one_or_none()
            created = False
            if existing is None:
                values = {"url": article.url, "source": article.source, "added_at": now,
                          **{name: getattr(article, name) for name in SEED_FIELDS}}
                insert = dialect_insert(connection, articles).values(values)
                inserted = connection.execute(insert.on_conflict_do_nothing().returning(articles.c.id)).scalar()
                if inserted is not None:
                    return inserted, True
                existing = connection.execute(find).one()  # another process registered it a moment ago
            updates = _seed_updates(existing, article)
            if updates:
                connection.execute(articles.update().where(articles.c.id == existing.id).values(updates))
            return existing.id, created

        return self._db.write("add an article", work)

    def get_article_id(self, url: str) -> int | None:
        with self._db.read("read articles") as connection:
            return connection.execute(select(articles.c.id).where(articles.c.url == url)).scalar()

    def registered_articles(self, ids: Sequence[int] | None = None) -> list[Article]:
        """Registered articles as they were registered (URL, source, seed fields), oldest first; only `ids` if given."""
        return list(self._articles_by_id(ids).values())

    def articles_by_id(self, ids: Sequence[int]) -> dict[int, Article]:
        return self._articles_by_id(ids)

    def never_checked_articles(self) -> list[Article]:
        """Articles registered but not yet captured or checked: what a cycle archives first."""
        return list(self._articles_by_id(None, articles.c.last_checked_at.is_(None)).values())

    def _articles_by_id(self, ids: Sequence[int] | None, *conditions) -> dict[int, Article]:
        query = select(articles.c.id, articles.c.url, articles.c.source, *(articles.c[name] for name in SEED_FIELDS))
        if ids is not None:
            query = query.where(articles.c.id.in_(list(ids)))
        with self._db.read("read articles") as connection:
            rows = connection.execute(query.where(*conditions).order_by(articles.c.id)).all()
        return {row.id: Article(**{k: v for k, v in row._asdict().items() if k != "id"}) for row in rows}

    def list_articles(self) -> list[dict]:
        """Every article with its link counts (article_page's rows), oldest first."""
        return [row for page in self.article_pages() for row in page]

    def article_pages(self, page_size: int = ARTICLE_PAGE) -> Iterator[list[dict]]:
        """list_articles a page at a time (keyset on id): an archive of any size in bounded memory."""
        after = 0
        while True:
            with self._db.read("list articles") as connection:
                ids = list(connection.execute(select(articles.c.id).where(articles.c.id > after)
                                              .order_by(articles.c.id).limit(page_size)).scalars())
            if ids:
                yield self._articles_with_counts(ids)
            if len(ids) < page_size:
                return
            after = ids[-1]

    def newest_articles(self, limit: int) -> list[dict]:
        """The `limit` most recently registered articles with their link counts, oldest first."""
        with self._db.read("list articles") as connection:
            ids = list(connection.execute(select(articles.c.id).order_by(articles.c.id.desc()).limit(limit)).scalars())
        return self._articles_with_counts(sorted(ids))

    def article_totals(self) -> dict[str, int]:
        """{"articles", "references"}: how many articles, and links (one per article and link)."""
        with self._db.read("count articles") as connection:
            total = connection.execute(select(func.count()).select_from(articles)).scalar_one()
            references = connection.execute(select(func.count()).select_from(links)).scalar_one()
        return {"articles": int(total), "references": int(references)}

    def _articles_with_counts(self, ids: Sequence[int]) -> list[dict]:
        """The articles `ids` with link counts; a link is captured when one of its fetches got an HTTP response,
        failed when it was fetched but never got one (DNS, timeout ...). The rest were never fetched.

        Each count is an index look-up per link (captures (requested_url, http_status)): call it a page at a time.
        """
        if not ids:
            return []
        fetched = exists().where(captures.c.requested_url == links.c.url)
        answered = exists().where(captures.c.requested_url == links.c.url, captures.c.http_status.is_not(None))
        per_article = (
            select(
                links.c.article_id,
                func.count().label("link_count"),
                func.sum(case((answered, 1), else_=0)).label("captured_link_count"),
                func.sum(case((and_(fetched, not_(answered)), 1), else_=0)).label("failed_link_count"),
            )
            .where(links.c.article_id.in_(list(ids)))
            .group_by(links.c.article_id)
            .subquery()
        )
        counts = [func.coalesce(per_article.c[name], 0).label(name)
                  for name in ("link_count", "captured_link_count", "failed_link_count")]
        query = (
            select(articles.c.id, articles.c.url, articles.c.title, articles.c.seed_title, articles.c.source,
                   articles.c.canonical_url, articles.c.added_at, articles.c.last_captured_at, *counts)
            .select_from(articles.outerjoin(per_article, per_article.c.article_id == articles.c.id))
            .where(articles.c.id.in_(list(ids)))
            .order_by(articles.c.id)
        )
        with self._db.read("list articles") as connection:
            rows = connection.execute(query).all()
        return [_with_int_counts(row._asdict()) for row in rows]

    def update_article_extracted(self, article_id: int, extracted: Extracted, captured_at: datetime) -> None:
        """Record what extraction found in the page captured at `captured_at` (links: see replace_links)."""
        values = {"canonical_url": extracted.canonical_url, "title": extracted.title,
                  "clean_title": extracted.clean_title, "byline": extracted.byline,
                  "published": extracted.published, "published_raw": extracted.published_raw,
                  "modified": extracted.modified, "language": extracted.language, "last_captured_at": captured_at}

        def work(connection: Connection) -> None:
            updated = connection.execute(articles.update().where(articles.c.id == article_id).values(values))
            if updated.rowcount != 1:
                raise StoreError(f"no article with id {article_id}")

        self._db.write("update an article", work)

    def replace_links(self, article_id: int, article_links: Sequence[Link], now: datetime) -> None:
        """Upsert the links the article has now; links it no longer has stay, with their old last_seen."""
        first_by_url: dict[str, Link] = {}
        for link in article_links:
            first_by_url.setdefault(link.url, link)  # one row per URL: ON CONFLICT may touch a row only once
        rows = [{"article_id": article_id, "url": link.url, "anchor_text": link.text, "position": link.position,
                 "supported": link.supported, "first_seen": now, "last_seen": now}
                for link in first_by_url.values()]
        if not rows:
            return

        def work(connection: Connection) -> None:
            insert = dialect_insert(connection, links)
            refreshed = {name: insert.excluded[name] for name in ("anchor_text", "position", "supported", "last_seen")}
            connection.execute(insert.on_conflict_do_update(index_elements=["article_id", "url"], set_=refreshed), rows)

        self._db.write("replace links", work)

    def links_for_article(self, article_id: int) -> list[dict]:
        """Every link the article ever had: the latest set in body order, then the ones it no longer has
        (they keep their old last_seen), most recently seen first."""
        order = (links.c.last_seen.desc(), links.c.position, links.c.id)
        query = select(links).where(links.c.article_id == article_id).order_by(*order)
        with self._db.read("read links") as connection:
            return [row._asdict() for row in connection.execute(query)]


def _with_int_counts(row: dict) -> dict:
    # SUM over no rows and some drivers' numeric types: make every count a plain int.
    for name in ("link_count", "captured_link_count", "failed_link_count"):
        row[name] = int(row[name] or 0)
    return row
