"""The quality gate: extraction on the labelled corpus of real article pages (tests/extract/corpus/).

Pooled body-link precision and recall, title accuracy and date accuracy (to the day, "no date" being an
answer) must not drop below their floors, as trafilatura's own evaluation gate works. The floors are the
issue's targets (#15), or the figure reached when pinned, less a little, where that is higher (recall);
raise them when the code gets better. Pinned at 0.961 / 0.988 / 0.974 / 0.961 on the first 76 pages
(before the rules of #15: 0.870 / 0.832 / 0.724 / 0.842); with the fact-check and deal pages (83) and
JSON-LD dates first, 0.966 / 0.989 / 0.976 / 0.988; with the two placeholder-date pages (85), unchanged: 0.966 / 0.989 / 0.976 / 0.988.
"""

from __future__ import annotations

import re

import pytest

from archiver.extract import extract
from support.corpus import Scores, load_pages

# The placeholder dates pages put in their data (#15): year 1 (.NET's DateTime.MinValue), year 0, the Unix epoch.
_PLACEHOLDERS = re.compile(rb"\b(?:0001-01-01|0000-00-00|1970-01-01)[T ]\d\d:\d\d")
FLOORS = {"precision": 0.95, "recall": 0.98, "title": 0.97, "date": 0.98}


@pytest.fixture(scope="module")
def scores() -> Scores:
    scores = Scores()
    for page in load_pages():
        extracted = extract(page.html, page.url)
        title = getattr(extracted, "clean_title", None) or extracted.title
        scores.add(page, {link.url for link in extracted.links}, title, extracted.published,
                   getattr(extracted, "published_raw", None))
    return scores


def test_corpus_is_large_and_varied():
    pages = load_pages()
    sites = {page.url.split("/")[2] for page in pages if "fakehost" not in page.url}
    assert len(pages) >= 60
    assert len(sites) >= 40
    assert any(not page.published for page in pages)  # "no date" is an answer the gate checks too
    names = {page.name for page in pages}  # the failures #15 names: a fact check's date, a deal's product links
    assert {"afp-checamos", "aajtak-factcheck", "wapo-factchecker", "telegraph-deals", "mixed-deals"} <= names
    # and a placeholder date in the page's data beside the real one (#15 saw JSON-LD's 0001-01-01 taken as it)
    assert any(b"0001-01-01" in page.html for page in pages)


def test_placeholder_dates_are_never_the_publication_date():
    placeholder_pages = [page for page in load_pages() if _PLACEHOLDERS.search(page.html)]
    assert len(placeholder_pages) >= 2  # radio-canada's 0001-01-01, wildundhund's JSON-LD 1970-01-01 at least
    for page in placeholder_pages:
        published = extract(page.html, page.url).published
        assert published is None or published[:10] >= "1990-01-01", (page.name, published)


@pytest.mark.slow
@pytest.mark.timeout(300)  # 83 pages: ~5 s of CPU, but a loaded CI machine stretches it past the 120 s default
def test_extraction_holds_its_floors_on_real_pages(scores, capsys):
    figures = {"precision": scores.precision, "recall": scores.recall,
               "title": scores.title_accuracy, "date": scores.date_accuracy}
    with capsys.disabled():
        print(f"\ncorpus gate: {scores.summary()}")
    below = {name: round(value, 3) for name, value in figures.items() if value < FLOORS[name]}
    assert not below, f"below the floors {FLOORS}: {below}\n" + "\n".join(scores.mistakes)
