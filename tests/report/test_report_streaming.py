"""Reports stream: memory held while a report is written is bounded by the page size, not the archive.

Counted as rows and objects, never timed: the largest answer any store call gives while a report
is built and written, and the ArticleReports (LinkChanges) alive each time the next page of articles
(of news) is read. An archive of 40 articles with 24 changes, read with pages of 4, must never have
more than two pages in memory, on SQLite and PostgreSQL. The default view is cut: it lists the first
N changes and failing articles and says how many more there are; --all, JSON and JUnit hold them all.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from archiver.models import Article, Capture, Link
from archiver.report import build_report, stream_for
from archiver.report.formats.as_html import render_html_site
from archiver.report.formats.as_json import render_json
from archiver.report.model import CHANGE_KINDS, ArticleReport, LinkChange
from archiver.settings import load_settings
from archiver.store import ObservationRow
from archiver.store.schema import run_tallies
from support.report_history import validated_report

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ARTICLES, LINKS, PAGE = 40, 3, 4
NEWS = 24  # the last NEWS articles' dying reference is newly dead in the second run; the others died in the first
SETTINGS = load_settings(env={})


class CountingStore:
    """The store, with the size of every answer it gives noted (rows of a list, keys of a dict)."""

    def __init__(self, store):
        self._store, self.largest, self.articles_alive, self.news_alive = store, {}, [], []
        self.calls = Counter()

    def __getattr__(self, name):
        method = getattr(self._store, name)

        def counted(*args, **kwargs):
            self.calls[name] += 1
            if name == "report_article_page":  # the moment a leak would show: the next page is about to be read
                self.articles_alive.append(_articles_alive())
            if name == "report_news_links":  # the next page of news
                self.news_alive.append(_alive(LinkChange))
            answer = method(*args, **kwargs)
            rows = answer[0] if isinstance(answer, tuple) and answer and isinstance(answer[0], list) else answer
            if isinstance(rows, (list, dict)):  # (rows, the next page's key) as the news queries answer
                self.largest[name] = max(self.largest.get(name, 0), len(rows))
            return answer

        return counted


def _archive(store) -> None:
    """ARTICLES articles citing LINKS references each, checked twice: each article's first reference dies."""
    urls = []
    for n in range(ARTICLES):
        article_id, _ = store.add_article(Article(url=f"https://news.test/{n}", source="test"), T0)
        links = [Link(f"https://ref.test/{n}/{k}", f"ref {k}", k) for k in range(LINKS)]
        store.replace_links(article_id, links, T0)
        urls += [link.url for link in links]
    for run, when in enumerate((T0, T0 + timedelta(days=4))):
        run_id = store.start_run("check", when)
        for number, url in enumerate(urls):
            dies = number % LINKS == 0
            failing = "dead" if run or number // LINKS < ARTICLES - NEWS else "suspect"
            capture_id = store.add_captures([Capture(
                url=url, requested_url=url, hop=0, fetched_at=when, http_status=404 if dies else 200,
                content_type="text/html", warc_file="t.warc.gz", warc_offset=number, warc_length=10,
                record_id=f"<urn:uuid:{run}-{number}>", payload_digest=None, run_id=run_id)])[0]
            verdict = failing if dies else "alive"
            store.add_observation(ObservationRow(url=url, checked_at=when, observation="not_found" if dies else "ok",
                                                 verdict=verdict, http_status=404 if dies else 200,
                                                 capture_id=capture_id, run_id=run_id))
            store.set_link_health(url, verdict, when, when + timedelta(days=1))
        store.finish_run(run_id, "ok", {}, when)


def _articles_alive() -> int:
    return _alive(ArticleReport)


def _alive(kind: type) -> int:
    return sum(1 for thing in gc.get_objects() if type(thing) is kind)


@pytest.mark.slow
@pytest.mark.parametrize("name, complete", [("json", False), ("html", False), ("table", True), ("csv", False)])
def test_a_report_holds_at_most_two_pages_of_articles(store, name, complete):
    _archive(store)
    counting = CountingStore(store)
    data = build_report(counting, SETTINGS, now=T0 + timedelta(days=5), complete=complete, page_size=PAGE)
    assert _articles_alive() == 0 == _alive(LinkChange)  # building counts the news and the history: none is kept

    counting.articles_alive.clear()
    pieces = list(stream_for(name)(data))
    most_alive = max(counting.articles_alive + [_articles_alive()])

    shown = ARTICLES if complete or name in ("json", "csv") else data.summary.failing_articles
    assert len(counting.articles_alive) >= shown // PAGE and most_alive <= 2 * PAGE < shown, counting.articles_alive
    # No store answer holds more than a page's articles and references, with one row per run for each
    # (two runs); the news too is read a page at a time.
    assert max(counting.largest.values()) <= 2 * PAGE * (LINKS + 1) < ARTICLES * LINKS, counting.largest
    assert len(data.changes.links) == NEWS
    text = "".join(pieces)
    if name == "json":
        report = validated_report(text)
        assert len(report["articles"]) == ARTICLES and report["summary"]["references"] == ARTICLES * LINKS
        assert [a["url"] for a in report["articles"]] == [f"https://news.test/{n}" for n in range(ARTICLES)]
        assert [change["article_url"] for change in report["changes"]["newly_dead"]] == \
            [f"https://news.test/{n}" for n in range(ARTICLES - NEWS, ARTICLES)]
        assert report == json.loads(json.dumps(report))
    elif name == "csv":
        assert len(text.splitlines()) == 1 + ARTICLES * LINKS
    elif name == "html":
        assert text.count('<article id="article-') == ARTICLES == data.summary.failing_articles
        assert "alive" not in {row.split('"badge v-')[1].split('"')[0] for row in text.split("<tr")[1:]
                               if '"badge v-' in row}  # the failing references only
    else:
        assert sum(line.startswith("\t") for line in text.splitlines()) == ARTICLES * (LINKS + 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["json", "markdown", "table", "html"])
def test_the_news_is_read_a_page_at_a_time(store, name):
    _archive(store)
    counting = CountingStore(store)
    data = build_report(counting, SETTINGS, now=T0 + timedelta(days=5), page_size=PAGE)
    assert len(data.changes.of_kind("newly_dead")) == NEWS and _alive(LinkChange) == 0

    counting.news_alive.clear()
    text = "".join(stream_for(name)(data))

    # Every newly dead reference is written, read PAGE at a time: never more than two pages of them alive.
    assert counting.calls["report_news_links"] >= NEWS // PAGE and max(counting.news_alive) <= 2 * PAGE < NEWS
    assert counting.largest["report_news_links"] <= PAGE
    assert all(f"https://ref.test/{n}/0" in text for n in range(ARTICLES - NEWS, ARTICLES))


def _cut_settings():
    return load_settings(env={"ARCHIVER_REPORT_CHANGES_SHOWN": "5", "ARCHIVER_REPORT_FAILING_ARTICLES_SHOWN": "7"})


@pytest.mark.slow
def test_the_default_view_lists_the_first_changes_and_articles_and_counts_the_rest(store):
    _archive(store)
    data = build_report(store, _cut_settings(), now=T0 + timedelta(days=5), page_size=PAGE)
    assert (data.changes_shown, data.failing_articles_shown) == (5, 7)

    page = "".join(stream_for("html")(data))
    news = page.split('<section id="changes">')[1].split("</section>")[0]
    assert news.count('class="was"') == 5 and f"… and {NEWS - 5} more: see <code>archiver report --all</code>" in news
    assert page.count('<article id="article-') == 7
    assert f"… and {ARTICLES - 7} more article(s) with failing references" in page

    plain = "".join(stream_for("table")(data)).splitlines()
    assert [line for line in plain if line.startswith("newly dead\t")][5:] == \
        [f"newly dead\t… and {NEWS - 5} more: see `archiver report --all` / the JSON report"]
    assert sum(line.startswith("https://news.test/") for line in plain) == 7
    assert f"… and {ARTICLES - 7} more article(s) with failing references: see `archiver report --all` / the JSON report" in plain
    assert f"shown: the news and the failing references of the first 7 of {ARTICLES} article(s) ({ARTICLES} failing" \
        in plain[-2]

    # What fails is counted whole: JUnit's failures, JSON's news and articles, the summary behind the exit code.
    junit = b"".join(stream_for("junit")(data)).decode()
    assert f'failures="{ARTICLES}"' in junit.split("\n")[1] and junit.count("<failure ") == ARTICLES
    report = validated_report("".join(stream_for("json")(data)))
    assert len(report["changes"]["newly_dead"]) == NEWS and len(report["articles"]) == ARTICLES
    assert data.summary.failing == ARTICLES


@pytest.mark.slow
def test_all_lists_every_change_and_article(store):
    _archive(store)
    data = build_report(store, _cut_settings(), now=T0 + timedelta(days=5), page_size=PAGE, complete=True)
    table = "".join(stream_for("table")(data)).splitlines()
    assert sum(line.startswith("https://news.test/") for line in table) == ARTICLES and "more" not in "".join(table)

    site = {path: "".join(pieces) for path, pieces in render_html_site(data)}
    assert 'href="changes-newly_dead-1.html"' in site["index.html"]  # the index is cut; the "more" leads on
    pages = sorted(path for path in site if path.startswith("changes-newly_dead-"))
    assert pages == [f"changes-newly_dead-{n}.html" for n in range(1, 1 + -(-NEWS // 5))]
    listed = [url for path in pages for url in site[path].split('<a href="') if url.startswith("https://ref.test/")]
    assert sorted(url.split('"')[0] for url in listed) == sorted(f"https://ref.test/{n}/0"
                                                                for n in range(ARTICLES - NEWS, ARTICLES))
    assert sum(path.startswith("article/") for path in site) == ARTICLES


@pytest.mark.slow
def test_the_news_queries_walk_the_ids_in_spans_and_find_every_candidate(store):
    _archive(store)
    cutoff = T0 + timedelta(days=4)  # the second run
    whole, after = store.report_news_links("dead", cutoff, 0, 10_000)
    assert after is None and [row["url"] for row in whole] == [f"https://ref.test/{n}/0"
                                                              for n in range(ARTICLES - NEWS, ARTICLES)]
    walked, after, calls = [], 0, 0
    while after is not None:  # one row a page: each statement looks at 50 link ids, so the walk takes several
        rows, after = store.report_news_links("dead", cutoff, after, 1)
        walked += rows
        calls += 1
        assert len(rows) <= 1
    assert walked == whole and calls >= NEWS
    assert store.report_edited_articles(cutoff, 0, 10) == ([], None)


def test_a_report_of_the_whole_archive_reads_only_what_changed_to_count_its_news(store):
    _archive(store)
    counting = CountingStore(store)
    data = build_report(counting, SETTINGS, now=T0 + timedelta(days=5), page_size=PAGE)
    # The runs kept their tallies: no article nor link is read to count, only the links changed since the cutoff.
    assert counting.calls["report_article_page"] == counting.calls["report_links"] == 0, counting.calls
    assert counting.calls["news_candidates"] >= NEWS // PAGE and counting.largest["news_candidates"] <= PAGE
    counted = {kind: len(data.changes.of_kind(kind)) for kind in CHANGE_KINDS}
    assert counted["newly_dead"] == NEWS

    with store._db.engine.begin() as connection:  # as a database from before run tallies: a pass over every page
        connection.execute(run_tallies.delete())
    replayed = build_report(counting, SETTINGS, now=T0 + timedelta(days=5), page_size=PAGE)
    assert counting.calls["report_links"] >= ARTICLES // PAGE
    assert {kind: len(replayed.changes.of_kind(kind)) for kind in CHANGE_KINDS} == counted
    assert replayed.history == data.history


def test_a_runs_json_reads_no_copies_of_its_news(store):
    _archive(store)
    counting = CountingStore(store)
    data = build_report(counting, SETTINGS, now=T0 + timedelta(days=5), page_size=PAGE)
    counting.calls.clear()
    report = validated_report("".join(render_json(data, scope="news")))
    # JSON's changes carry no archived or public copy: reading them is most of the cost of a large news.
    assert counting.calls["report_captures"] == counting.calls["public_copies_for"] == 0, counting.calls
    assert len(report["changes"]["newly_dead"]) == NEWS and report["articles"] == []
