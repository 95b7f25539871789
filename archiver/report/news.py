"""The news: references whose verdict changed, and articles whose own text changed, since a moment.

Never held whole: each kind is a PagedStream that reads its candidates from the store a page at a
time (store.report_news_links, keyset by link id) whenever a formatter writes it, and keeps the
ones that are news. How many there are of each kind is counted once, while the report is built, by
NewsCounter from the links changed since the cutoff (store.news_candidates), with the same test.

A reference is news of a kind when its article still has it, its verdict changed at a check at
or after the cutoff (links.verdict_since: set by the check that changed it), and change_kind of
its verdict before the cutoff and its verdict now says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime

from archiver.report.model import CHANGE_KINDS, UNCHECKED, ArticleChange, Changes, LinkChange, PagedStream

NEWSWORTHY = ("dead", "rotten", "drifted")  # a link turning into one of these is "newly ..."
FAILING = ("suspect", "dead", "rotten")
ANSWERING = ("alive", "moved", "drifted")  # the page answers again (drifted: with other content)
VERDICT_OF_KIND = {"newly_dead": "dead", "newly_rotten": "rotten", "newly_drifted": "drifted", "moved": "moved",
                   "recovered": "alive"}  # the one verdict now that each kind of news can have (change_kind)
ARTICLES_EDITED = "articles_edited"  # NewsCounter's key for the edited articles
Dress = Callable[[list[LinkChange]], list[LinkChange]]  # adds a page of changes' archived and public copies


def change_kind(before: str, now: str) -> str | None:
    """The news in a verdict going from `before` to `now`: newly_dead, newly_rotten, newly_drifted, moved,
    recovered, or None (no news: same verdict, or a move between shades of failing or of healthy)."""
    if before == now:
        return None
    if now in NEWSWORTHY:
        return f"newly_{now}"
    if now == "moved":
        return "moved"
    if before in FAILING and now in ANSWERING:
        return "recovered"
    return None


def edited(observation, cutoff: datetime | None):
    """The article's latest check when it is at or after `cutoff` and found the article's own text changed."""
    if observation is None or (cutoff is not None and observation.checked_at < cutoff):
        return None
    return observation if observation.content_change not in (None, "unchanged") else None


class NewsCounter:
    """How many changes of each kind (and ARTICLES_EDITED), counted once by `count`; `changes` streams them."""

    def __init__(self, store, cutoff: datetime | None) -> None:
        self.store, self.cutoff, self.counts = store, cutoff, Counter()

    def count(self, article_id: int | None, page_size: int) -> None:
        """Count the news (of one article, or of the whole archive) from its candidates alone: the links changed
        since the cutoff (store.news_candidates, on the verdict_since index) and the articles whose text
        changed. The links that did not change are never read."""
        after = None
        while True:
            rows, after = self.store.news_candidates(self.cutoff, after, page_size, article_id=article_id)
            rows = [row for row in rows if row["verdict"] in VERDICT_OF_KIND.values()]
            before = self._before(list(dict.fromkeys(row["url"] for row in rows)))
            self.counts.update(kind for row in rows
                               if (kind := change_kind(before.get(row["url"], UNCHECKED), row["verdict"])))
            if after is None:
                break
        self.counts[ARTICLES_EDITED] += sum(len(page) for page in self._article_pages(article_id, page_size))

    def _before(self, urls: list[str]) -> dict[str, str]:
        return self.store.latest_verdicts_before(urls, self.cutoff) if self.cutoff is not None and urls else {}

    def changes(self, article_id: int | None, page_size: int, dress: Dress) -> Changes:
        """The news as streams: each kind read from the store when a formatter walks it."""

        def kind_stream(kind: str, dressed: Dress) -> PagedStream:
            return PagedStream(lambda: self._link_pages(kind, article_id, page_size, dressed), self.counts[kind],
                               page_size)

        articles = PagedStream(lambda: self._article_pages(article_id, page_size), self.counts[ARTICLES_EDITED],
                               page_size)
        return Changes(self.cutoff, {kind: kind_stream(kind, dress) for kind in CHANGE_KINDS}, articles,
                       {kind: kind_stream(kind, lambda page: page) for kind in CHANGE_KINDS})

    def _link_pages(self, kind: str, article_id: int | None, page_size: int, dress: Dress) -> Iterator[list]:
        after: int | None = 0
        while after is not None:
            rows, after = self.store.report_news_links(VERDICT_OF_KIND[kind], self.cutoff, after, page_size,
                                                       article_id=article_id)
            before = self._before(list(dict.fromkeys(row["url"] for row in rows)))
            page = [LinkChange(kind, row["article_url"], row["url"], was, row["verdict"], row["article_label"],
                               row["article_id"])
                    for row in rows if change_kind(was := before.get(row["url"], UNCHECKED), row["verdict"]) == kind]
            if page:
                yield dress(page)

    def _article_pages(self, article_id: int | None, page_size: int) -> Iterator[list]:
        after: int | None = 0
        while after is not None:
            rows, after = self.store.report_edited_articles(self.cutoff, after, page_size, article_id=article_id)
            latest = self.store.latest_observations([row["url"] for row in rows])
            page = [ArticleChange(row["url"], found.content_change, found.similarity, row["label"], row["id"])
                    for row in rows if (found := edited(latest.get(row["url"]), self.cutoff)) is not None]
            if page:
                yield page
