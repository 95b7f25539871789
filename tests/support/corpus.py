"""The labelled corpus of real article pages (tests/extract/corpus/) and its scores.

Shared by the quality gate (tests/extract/test_corpus_gate.py) and benchmarks/extract_speed.py.
Scoring, per page then pooled over the corpus:
  links  the http(s) URLs extracted as references against the labelled body links, both normalised
         (fragment dropped), each URL once per page, the page's own URL left out;
  title  the clean title equals one of the labelled titles (case, white space, quote and dash styles aside);
  date   the publication day equals the labelled one, "no date" being an answer like any other. The day
         of the normalised (UTC) date and the day the page wrote (its raw ISO string, in its own zone)
         both count.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from archiver.urls import normalize_url

CORPUS = Path(__file__).parents[1] / "extract" / "corpus"
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    html: bytes
    titles: tuple[str, ...]
    published: tuple[str, ...]  # acceptable days; empty: the page gives no date
    links: frozenset[str]


def load_pages() -> list[Page]:
    pages = []
    for path in sorted((CORPUS / "labels").glob("*.json")):
        labels = json.loads(path.read_text("utf-8"))
        published = labels["published"]
        days = (published,) if isinstance(published, str) else tuple(published or ())
        pages.append(Page(
            name=path.stem, url=labels["url"],
            html=gzip.decompress((CORPUS / "pages" / f"{path.stem}.html.gz").read_bytes()),
            titles=tuple(labels["titles"]), published=days,
            links=frozenset(_url(link["url"]) for link in labels["links"]) - {_url(labels["url"])},
        ))
    return pages


def _url(url: str) -> str:
    try:
        return normalize_url(url)
    except ValueError:
        return url


def _title_key(title: str | None) -> str:
    text = unicodedata.normalize("NFKC", title or "").translate(_QUOTES)
    return " ".join(text.split()).casefold()


def published_days(value: str | None) -> set[str]:
    """The calendar days an ISO 8601 value names: its own and, when it carries an offset, its UTC one."""
    text = (value or "").strip()
    if not re.match(r"\d{4}-\d{2}-\d{2}", text):
        return set()
    days = {text[:10]}
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return days
    if moment.tzinfo is not None:
        days.add(moment.astimezone(timezone.utc).date().isoformat())
    return days


@dataclass
class Scores:
    true_links: int = 0
    false_links: int = 0
    missed_links: int = 0
    titles_right: int = 0
    dates_right: int = 0
    pages: int = 0
    mistakes: list[str] = field(default_factory=list)

    def add(self, page: Page, links: set[str], title: str | None, published: str | None,
            published_raw: str | None = None) -> None:
        found = {_url(url) for url in links if url.startswith(("http://", "https://"))} - {_url(page.url)}
        self.pages += 1
        self.true_links += len(found & page.links)
        self.false_links += len(found - page.links)
        self.missed_links += len(page.links - found)
        for url in sorted(found - page.links):
            self.mistakes.append(f"{page.name}: false link {url}")
        for url in sorted(page.links - found):
            self.mistakes.append(f"{page.name}: missed link {url}")
        if _title_key(title) in {_title_key(t) for t in page.titles}:
            self.titles_right += 1
        else:
            self.mistakes.append(f"{page.name}: title {title!r}, labelled {page.titles[0]!r}")
        days = published_days(published) | published_days(published_raw)  # UTC's day or the page's own
        if (not page.published and published is None) or (days & set(page.published)):
            self.dates_right += 1
        else:
            self.mistakes.append(f"{page.name}: date {published!r}, labelled {page.published or None}")

    @property
    def precision(self) -> float:
        return self.true_links / max(1, self.true_links + self.false_links)

    @property
    def recall(self) -> float:
        return self.true_links / max(1, self.true_links + self.missed_links)

    @property
    def title_accuracy(self) -> float:
        return self.titles_right / max(1, self.pages)

    @property
    def date_accuracy(self) -> float:
        return self.dates_right / max(1, self.pages)

    def summary(self) -> str:
        return (f"{self.pages} pages: body links precision {self.precision:.3f} recall {self.recall:.3f} "
                f"({self.true_links} right, {self.false_links} false, {self.missed_links} missed); "
                f"title {self.title_accuracy:.3f}; date {self.date_accuracy:.3f}")
