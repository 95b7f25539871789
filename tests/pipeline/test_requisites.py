"""Page requisites end to end: a styled loopback article archived with what it needs, once per run, cheaply again.

Each kind of requisite is in the CDXJ index; the page's metadata record ties every one to its response;
the WARCs pass the validators the project runs; a shared file is fetched once in a run, and a second
article from the same site in a later run costs only 304s for the files the first one brought.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.fetch import Fetcher, NetworkGuard
from archiver.pipeline import Pipeline, article_from_cli, open_pipeline, open_store
from archiver.pipeline.requisites import PAGE_WINDOW
from archiver.settings import load_settings
from archiver.warc.index import index_dir_of, read_index
from archiver.warc.record import WarcRecorder
from support.loopback import LoopbackServer, Reply
from support.styled_site import FILES, REQUISITE_KINDS, SHARED, StyledSite
from support.warc_audit import validator_verdicts

ENV = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
       "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s"}


def _settings(data_dir: Path, **env: str):
    return load_settings(env={**ENV, **env}, overrides={"storage.data_dir": str(data_dir)})


def _archive(settings, *urls: str):
    with open_pipeline(settings) as pipeline:
        summaries = pipeline.archive([article_from_cli(url) for url in urls])
    assert all(summary.captured for summary in summaries)


def _entries(settings):
    index_dir = index_dir_of(settings.storage.data_dir)
    return [entry for path in sorted(index_dir.glob("*.cdxj")) for entry in read_index(path)]


def _records(settings):
    for path in sorted(settings.storage.warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                yield record.rec_headers, record.content_stream().read()


@pytest.fixture
def site():
    with StyledSite() as server:
        yield server


def test_every_kind_of_requisite_is_archived_indexed_and_tied_to_its_page(site, tmp_path):
    settings = _settings(tmp_path / "archives")
    _archive(settings, site.url("/article.html"))
    indexed = {entry.url for entry in _entries(settings)}
    missing = {path: kind for path, kind in REQUISITE_KINDS.items() if site.url(path) not in indexed}
    assert not missing, missing
    # The page's metadata record lists each requisite with the record that holds it, Concurrent-To the page.
    records = list(_records(settings))
    by_id = {headers.get_header("WARC-Record-ID"): headers for headers, _ in records}
    embeds = [(headers, body.decode()) for headers, body in records
              if headers.get_header("WARC-Type") == "metadata" and b"embed: " in body]
    [(headers, body)] = [(h, b) for h, b in embeds if h.get_header("WARC-Target-URI") == site.url("/article.html")]
    page = by_id[headers.get_header("WARC-Concurrent-To")]
    assert page.get_header("WARC-Type") == "response" and page.get_header("WARC-Target-URI") == site.url("/article.html")
    lines = [line.removeprefix("embed: ").split(" ") for line in body.splitlines() if line.startswith("embed: ")]
    tied = {url: (kind, record_id) for url, kind, record_id in lines}
    assert set(tied) >= {site.url(path) for path in REQUISITE_KINDS}
    for url, (kind, record_id) in tied.items():
        assert by_id[record_id].get_header("WARC-Target-URI") == url, (url, kind)
    assert tied[site.url("/css/base.css")][0] == "stylesheet" and tied[site.url("/fonts/site.woff2")][0] == "font"
    assert tied[site.url("/frame.html")][0] == "iframe" and tied[site.url("/img/poster.png")][0] == "poster"
    # Each requisite's response has its request record, WARC-Concurrent-To it.
    requests = {headers.get_header("WARC-Concurrent-To") for headers, _ in records
                if headers.get_header("WARC-Type") == "request"}
    assert {record_id for _, record_id in tied.values()} <= requests
    for warc in settings.storage.warc_dir.glob("*.warc.gz"):
        verdicts = validator_verdicts(warc, tmp_path)
        assert all(verdict.startswith("pass") for verdict in verdicts.values()), verdicts


def test_a_shared_requisite_is_fetched_once_per_run_and_a_later_article_costs_only_304s(site, tmp_path):
    settings = _settings(tmp_path / "archives")
    _archive(settings, site.url("/article.html"), site.url("/second.html"))
    assert {path: site.fetched[path] for path in SHARED} == dict.fromkeys(SHARED, 1)
    assert not site.not_modified

    third = FILES["/second.html"]  # the same page under a new name: a new article of the site
    FILES["/third.html"] = third
    site.routes["/third.html"] = site.routes["/second.html"]
    try:
        before = len(_entries(settings))
        _archive(settings, site.url("/third.html"))
    finally:
        del FILES["/third.html"]
    assert {path: site.fetched[path] for path in SHARED} == dict.fromkeys(SHARED, 1)  # no second download
    assert {path: site.not_modified[path] for path in SHARED} == dict.fromkeys(SHARED, 1)  # a 304 each
    new = _entries(settings)[before:]
    shared = {site.url(path) for path in SHARED}
    answers = {entry.url: entry for entry in new if entry.url in shared}
    assert set(answers) == shared
    assert all(entry.status == 304 or entry.mime == "warc/revisit" for entry in answers.values()), answers


@pytest.mark.parametrize("setting, for_references", [("articles", False), ("all", True)])
def test_references_requisites_only_when_asked(site, tmp_path, setting, for_references):
    settings = _settings(tmp_path / "archives", ARCHIVER_CAPTURE_REQUISITES=setting)
    _archive(settings, site.url("/article.html"))
    assert site.fetched["/minutes.html"] == 1  # the reference
    assert site.fetched["/img/minutes.png"] == (1 if for_references else 0)


def test_requisites_off_archives_the_page_alone(site, tmp_path):
    settings = _settings(tmp_path / "archives", ARCHIVER_CAPTURE_REQUISITES="off")
    _archive(settings, site.url("/article.html"))
    indexed = {entry.url for entry in _entries(settings)}
    assert site.url("/article.html") in indexed
    assert not indexed & {site.url(path) for path in REQUISITE_KINDS}


def test_the_per_page_count_limit_holds(site, tmp_path):
    settings = _settings(tmp_path / "archives", ARCHIVER_CAPTURE_MAX_REQUISITES="3")
    _archive(settings, site.url("/article.html"))
    indexed = {entry.url for entry in _entries(settings)} & {site.url(path) for path in REQUISITE_KINDS}
    assert len(indexed) == 3


def test_the_per_page_byte_limit_stops_further_fetches(site, tmp_path):
    settings = _settings(tmp_path / "archives", ARCHIVER_CAPTURE_MAX_REQUISITE_BYTES="1kB")
    _archive(settings, site.url("/article.html"))
    indexed = {entry.url for entry in _entries(settings)} & {site.url(path) for path in REQUISITE_KINDS}
    # A window of requisites is queued before any size is known; once the page's records add up to 1 kB
    # (two or so: each record is a few hundred bytes), nothing more is queued.
    assert PAGE_WINDOW <= len(indexed) <= PAGE_WINDOW + 3 < len(REQUISITE_KINDS)


def test_stylesheets_are_followed_only_to_css_depth(site, tmp_path):
    settings = _settings(tmp_path / "archives", ARCHIVER_CAPTURE_CSS_DEPTH="0")
    _archive(settings, site.url("/article.html"))
    indexed = {entry.url for entry in _entries(settings)}
    assert site.url("/css/site.css") in indexed
    assert not {site.url(path) for path in ("/css/base.css", "/img/banner.png", "/fonts/site.woff2")} & indexed
    assert site.url("/css/frame.css") in indexed  # an iframe's own stylesheet is the iframe's, not a CSS child


def test_iframes_are_followed_one_level(site, tmp_path):
    settings = _settings(tmp_path / "archives")
    _archive(settings, site.url("/article.html"))
    indexed = {entry.url for entry in _entries(settings)}
    assert site.url("/frame.html") in indexed and site.url("/css/frame.css") in indexed
    assert site.url("/nested.html") not in indexed


def _embeds(settings, page_url: str) -> dict[str, tuple[str, str]]:
    """url -> (kind, record id or unfetched:OBSERVATION) from the page's embed metadata record."""
    [body] = [body.decode() for headers, body in _records(settings) if headers.get_header("WARC-Type") == "metadata"
              and headers.get_header("WARC-Target-URI") == page_url and b"embed: " in body]
    lines = [line.removeprefix("embed: ").split(" ") for line in body.splitlines() if line.startswith("embed: ")]
    return {url: (kind, detail) for url, kind, detail in lines}


def test_requisites_pass_the_network_guard(site, tmp_path):
    settings = _settings(tmp_path / "archives", ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS="false")
    with LoopbackServer({"/canary.png": Reply(200, body=b"x")}) as canary:
        page = f'<html><body><h1>Guarded</h1><p>{"Text. " * 80}</p><img src="{canary.url("/canary.png")}"></body></html>'
        FILES["/guarded.html"] = ("text/html", page.encode())
        site.routes["/guarded.html"] = site.routes["/article.html"]
        try:
            fetcher = Fetcher(settings.fetch, guard=NetworkGuard(allowed_endpoints=[("127.0.0.1", site.port)]))
            recorder = WarcRecorder(settings.storage.warc_dir)
            with open_store(settings) as store:
                [summary] = Pipeline(settings, store, fetcher, recorder).archive([article_from_cli(site.url("/guarded.html"))])
            recorder.close()
            fetcher.close()
        finally:
            del FILES["/guarded.html"]
    assert summary.captured
    assert canary.requests == []
    assert _embeds(settings, site.url("/guarded.html")) == {canary.url("/canary.png"): ("image", "unfetched:excluded")}


@pytest.mark.parametrize("ignore_for_articles", [False, True])
def test_an_articles_requisites_follow_its_robots_rule(site, tmp_path, ignore_for_articles):
    site.routes["/robots.txt"] = Reply(200, headers=[("Content-Type", "text/plain")], body=b"User-agent: *\nDisallow: /img/\n")
    settings = _settings(tmp_path / "archives", ARCHIVER_FETCH_RESPECT_ROBOTS="true",
                         ARCHIVER_FETCH_ROBOTS_IGNORE_FOR_ARTICLES=str(ignore_for_articles).lower())
    _archive(settings, site.url("/article.html"))
    logo = _embeds(settings, site.url("/article.html"))[site.url("/img/logo.png")]
    if ignore_for_articles:
        assert site.fetched["/img/logo.png"] == 1 and logo[1].startswith("<urn:uuid:")
    else:
        assert site.fetched["/img/logo.png"] == 0 and logo == ("image", "unfetched:robots_disallowed")
    assert site.fetched["/css/site.css"] == 1  # not disallowed: fetched either way
