"""ReportData: everything a report shows, as plain frozen dataclasses. Built by builder.py, read by every formatter.

Times are timezone-aware UTC datetimes; a link never checked has verdict "unchecked".
The articles and the news are PagedStreams: read from the store a page at a time each
time a formatter walks them, so no report holds the archive, or its news, in memory. The counts a report
leads with (ReportSummary) are counted by the database before any article is read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator

SCHEMA_VERSION = "1.2"
UNCHECKED = "unchecked"
VERDICT_ORDER = ("dead", "rotten", "drifted", "suspect", "moved", "unverifiable", "alive", UNCHECKED)
DEFAULT_FAIL_ON = ("dead", "rotten", "drifted")
CHANGE_KINDS = ("newly_dead", "newly_rotten", "newly_drifted", "moved", "recovered")
CHANGE_TITLES = {"newly_dead": "Newly dead", "newly_rotten": "Newly rotten", "newly_drifted": "Newly drifted",
                 "moved": "Moved", "recovered": "Recovered"}


def ordered_counts(counts: Counter) -> dict[str, int]:
    """Non-zero counts, known verdicts in VERDICT_ORDER (worst first), any others after them by name."""
    known = [verdict for verdict in VERDICT_ORDER if counts.get(verdict)]
    others = sorted(verdict for verdict, n in counts.items() if n and verdict not in VERDICT_ORDER)
    return {verdict: counts[verdict] for verdict in known + others}


@dataclass(frozen=True)
class CaptureRef:
    """One WARC response record of a fetch: where the evidence lives."""

    url: str  # the URL this hop answered for
    fetched_at: datetime
    http_status: int | None
    warc_file: str
    warc_offset: int
    warc_length: int | None
    record_id: str | None
    hop: int = 0


@dataclass(frozen=True, slots=True)
class ArchivedCopy:
    """A capture a reader can follow instead of the live page: its replay URL (ReportSettings.replay_url)."""

    replay_url: str
    captured_at: datetime


@dataclass(frozen=True, slots=True)
class PublicCopy:
    """A public web archive's copy of a reference (a Memento), nearest before the citing article's date."""

    archive: str  # the TimeGate's configured name, e.g. "Internet Archive"
    memento_url: str
    captured_at: datetime | None  # the memento's datetime, when the archive said
    looked_up_at: datetime


@dataclass(frozen=True)
class LinkReport:
    url: str
    anchor_text: str
    position: int
    still_linked: bool  # False: the article no longer has this link (it stays in the record)
    verdict: str
    verdict_since: datetime | None
    observation: str | None
    detail: str
    http_status: int | None
    final_url: str | None
    content_change: str | None
    similarity: float | None
    first_seen: datetime
    last_seen: datetime
    last_checked: datetime | None
    archived_copy: ArchivedCopy | None  # the earliest 2xx capture: the page as it was cited
    diff: str | None  # unified diff baseline -> now, for a drifted link
    captures: tuple[CaptureRef, ...] = ()
    public_copies: tuple[PublicCopy, ...] = ()  # other archives' copies, looked up for failing links
    override: str | None = None  # a reviewer's word (store/overrides.py: "ignore", "fine"): it fails no report

    def fails(self, fail_on: tuple[str, ...]) -> bool:
        return self.verdict in fail_on and self.override is None

    @property
    def verdict_label(self) -> str:
        """The verdict, and the reviewer's override beside it: "dead (ignore)"."""
        return f"{self.verdict} ({self.override})" if self.override else self.verdict


@dataclass(frozen=True)
class ArticleReport:
    url: str
    canonical_url: str | None
    title: str | None
    date: str | None  # publication date: extracted (ISO 8601 UTC, or a day), else the seed document's
    verdict: str
    observation: str | None
    last_checked: datetime | None
    last_captured: datetime | None
    content_change: str | None  # the article's own text against its baseline (seed text or first capture)
    similarity: float | None
    diff: str | None
    archived_copy: ArchivedCopy | None  # the latest 2xx capture of the article
    links: tuple[LinkReport, ...] = ()
    clean_title: str | None = None  # the title without the site's name (schema 1.1)
    date_raw: str | None = None  # the publication date as the page (or seed document) wrote it (schema 1.1)
    modified: str | None = None  # the page's modified date, normalised as `date` (schema 1.1)
    thumbnail: str | None = None  # a data: URL of the latest browser capture's first screen (JPEG), if any
    key: int | None = None  # the store's id: names the article's page in an HTML report written with --all

    @property
    def label(self) -> str:
        return self.title or self.url


@dataclass(frozen=True, slots=True)
class LinkChange:
    """A reference whose verdict changed since the report's `since`."""

    kind: str  # one of CHANGE_KINDS
    article_url: str
    url: str
    verdict_before: str
    verdict_now: str
    article_label: str = ""  # the article's title (its URL when it has none)
    article_key: int | None = None
    archived_copy: ArchivedCopy | None = None  # our earliest 2xx capture of the reference
    public_copies: tuple[PublicCopy, ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleChange:
    article_url: str
    content_change: str
    similarity: float | None
    article_label: str = ""
    article_key: int | None = None


@dataclass(frozen=True)
class RunVerdicts:
    """One check run and how many of the report's references had each verdict after it."""

    run_id: int
    kind: str
    started_at: datetime
    checked: int  # references this run checked
    counts: dict[str, int] = field(default_factory=dict)


class PagedStream:
    """A report's articles or news, in store order: each walk reads them again from the store, a page at a time.

    `len()` is the count the database (or the tally) gave; `pages()` yields lists, one store page each;
    `first(n)` stops reading once it has n. Nothing is kept between walks.
    """

    def __init__(self, pages: Callable[[], Iterator[list]], count: int, page_size: int = 200) -> None:
        self._pages, self._count, self.page_size = pages, count, page_size

    @classmethod
    def of(cls, items) -> PagedStream:
        """A stream over items already in memory (a test's hand-made report, one article's report)."""
        held = tuple(items)
        return cls(lambda: iter([list(held)] if held else []), len(held), max(len(held), 1))

    def pages(self) -> Iterator[list]:
        return self._pages()

    def __iter__(self) -> Iterator:
        for page in self._pages():
            yield from page

    def first(self, limit: int) -> Iterator:
        """The first `limit` items (a capped view), read as they are wanted: no page after the one that
        completes them is read."""
        if limit <= 0:
            return
        pages = self._pages()
        try:
            for page in pages:
                for item in page[:limit]:
                    yield item
                limit -= len(page)
                if limit <= 0:
                    return
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()  # a generator's store reads end here, not whenever it is collected

    def more_than(self, limit: int) -> int:
        """How many items a view of the first `limit` leaves out."""
        return max(self._count - limit, 0)

    def __len__(self) -> int:
        return self._count


ArticleStream = PagedStream  # a report's articles: lists of ArticleReport per page


@dataclass(frozen=True)
class Changes:
    """The news since `since` (None: no check before this report's window, everything is new).

    Each kind's LinkChanges and the edited articles are PagedStreams: read from the store when a
    formatter writes them, their lengths counted while the report was built.
    """

    since: datetime | None
    by_kind: dict[str, PagedStream] = field(default_factory=dict)  # CHANGE_KINDS -> stream of LinkChange
    articles: PagedStream = field(default_factory=lambda: PagedStream.of(()))  # of ArticleChange
    # The same streams without each change's archived and public copies, for formats that do not show
    # them (JSON's changes): reading the copies is most of the cost of writing a large news.
    bare_by_kind: dict[str, PagedStream] = field(default_factory=dict)

    def of_kind(self, kind: str, *, with_copies: bool = True) -> PagedStream:
        streams = self.by_kind if with_copies or not self.bare_by_kind else self.bare_by_kind
        return streams.get(kind) or PagedStream.of(())

    @property
    def links(self) -> PagedStream:
        """Every kind's changes, one kind after another (CHANGE_KINDS order)."""
        streams = [self.of_kind(kind) for kind in CHANGE_KINDS]
        return PagedStream(lambda: (page for stream in streams for page in stream.pages()),
                           sum(len(stream) for stream in streams))


@dataclass(frozen=True)
class ReportSummary:
    """The report's totals, counted by the database: they head every format before any article streams."""

    articles: int
    references: int  # one per article and link
    by_verdict: dict[str, int]  # references per verdict, worst first
    failing: int  # references with a fail_on verdict and no reviewer override
    failing_articles: int  # articles citing at least one of them


@dataclass(frozen=True)
class ReportData:
    title: str
    generated_at: datetime
    since_label: str  # "LAST" or the ISO date given
    article_filter: str | None
    fail_on: tuple[str, ...]
    changes: Changes
    history: tuple[RunVerdicts, ...]
    articles: ArticleStream
    summary: ReportSummary
    # Articles citing a failing reference, each with only those references: the default HTML and table.
    failing_articles: ArticleStream = field(default_factory=lambda: ArticleStream.of(()))
    complete: bool = False  # --all: HTML and table show every article and reference, not only the failing
    # The default view (HTML and table without --all) lists at most this many changes of each kind and
    # articles with failing references ([report] changes_shown, failing_articles_shown); counts stay whole.
    changes_shown: int = 500
    failing_articles_shown: int = 200
    schema_version: str = SCHEMA_VERSION

    def references(self) -> list[tuple[ArticleReport, LinkReport]]:
        """Every reference, read whole (tests and one-article reports; formatters walk `articles`)."""
        return [(article, link) for article in self.articles for link in article.links]

    def verdict_counts(self) -> dict[str, int]:
        """References per verdict, worst first; verdicts no reference has are left out."""
        return dict(self.summary.by_verdict)

    def failing(self) -> list[tuple[ArticleReport, LinkReport]]:
        """The failing references themselves (read from the store: for tests and small reports)."""
        return [(article, link) for article in self.failing_articles for link in article.links
                if link.fails(self.fail_on)]


def summary_of(articles, fail_on: tuple[str, ...]) -> ReportSummary:
    """The summary of articles held in memory (reports built by hand, in tests)."""
    verdicts = Counter(link.verdict for article in articles for link in article.links)
    failing = [article for article in articles if any(link.fails(fail_on) for link in article.links)]
    return ReportSummary(len(articles), sum(verdicts.values()), ordered_counts(verdicts),
                         sum(link.fails(fail_on) for article in articles for link in article.links), len(failing))
