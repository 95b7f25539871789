"""Archive a realistic article with ten references on a loopback web; read everything back.

Every WARC is validated by tools nobody here wrote (gzip -t, warcio check,
cdxj-indexer) and by our own audit, and every database row must point at the
exact bytes of its record.
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import ExitStack

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.models import Observation
from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.settings import load_settings
from support.fakeweb import serve_fakeweb
from support.warc_audit import audit_warc, read_record

PROBE = re.compile(r"/[a-z]{25}$")


@pytest.fixture
def web():
    with ExitStack() as stack:
        yield serve_fakeweb(stack)


@pytest.fixture
def settings(tmp_path):
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s"}
    return load_settings(env=env, overrides={"storage.data_dir": str(tmp_path / "archives")})


def archive(settings, url):
    with open_pipeline(settings) as pipeline:
        return pipeline.archive([article_from_cli(url)])


def test_article_and_its_references_are_captured(web, settings):
    [summary] = archive(settings, web.article_url)

    assert summary.captured
    assert summary.title == "Builders to help with reconstruction, ambassador says"
    assert summary.references == 10
    # ok, redirect, pdf, png, gzip, chunked and the 404 captured (the 404 failing); refused, dns, mailto unanswered
    assert (summary.references_captured, summary.references_unanswered) == (7, 3)
    assert summary.failed_by_class == Counter({"not_found": 1, "connection_error": 1, "dns_error": 1, "unsupported": 1})

    with open_store(settings) as store:
        article_id = store.get_article_id(web.article_url)
        links = store.links_for_article(article_id)
        assert [link["url"] for link in links] == web.reference_urls
        assert [link["supported"] for link in links] == [True] * 9 + [False]
        [article] = store.list_articles()
        assert article["canonical_url"] == web.article_url
        assert article["link_count"] == 10

    # Navigation, share, related and footer links were neither registered nor fetched.
    requested = {f"http://{s.host}:{s.port}{seen.path}" for s in web.servers for seen in s.requests}
    assert not requested & set(web.navigation_urls)
    assert web.refs_a.url("/new/location.html") in requested


def test_warcs_validate_and_every_capture_row_points_at_its_record(web, settings):
    archive(settings, web.article_url)
    warc_dir = settings.storage.warc_dir
    files = sorted(warc_dir.iterdir())
    assert files and not [f for f in files if f.name.endswith(".open")]

    records = [record for path in files for record in audit_warc(path)]
    # Soft-404 probes (a random 25-letter sibling of each healthy page's path) are evidence too;
    # count them apart from the article's own exchanges.
    probes = [r for r in records if r["type"] == "response" and PROBE.search(r["uri"])]
    assert probes and all(r["status"] == 404 for r in probes)
    records = [r for r in records if not (r["uri"] and PROBE.search(r["uri"]))]
    types = Counter(record["type"] for record in records)
    # The article + 7 references that answered (refused port, .invalid and mailto never did),
    # one of them through a redirect hop: 9 exchanges.
    assert types["response"] == 9
    assert types["request"] == 9
    # Outlink metadata for the article page and the 4 HTML references.
    assert types["metadata"] == 5
    assert types["warcinfo"] == len(files)

    with open_store(settings) as store:
        captures = [c for url in _all_capture_urls(store, web) for c in store.captures_for_url(url)]
    in_warc = [c for c in captures if c.warc_file and not PROBE.search(c.url)]
    assert len(in_warc) == 9
    for capture in in_warc:
        record = read_record(warc_dir / capture.warc_file, capture.warc_offset, capture.warc_length)
        assert record["type"] == "response"
        assert record["record_id"] == capture.record_id
        assert record["uri"] == capture.url
        assert record["payload_digest"] == capture.payload_digest
        assert record["status"] == capture.http_status
    failures = {c.url: c.failure for c in captures if c.failure}
    assert failures == {
        web.refused_url: Observation.CONNECTION_ERROR,
        "http://unreachable.invalid/page": Observation.DNS_ERROR,
        "mailto:tips@news.test": Observation.UNSUPPORTED,
    }


def test_replayed_bodies_match_what_the_servers_sent(web, settings):
    archive(settings, web.article_url)
    served = {
        web.refs_b.url("/files/report.pdf"): web.refs_b.routes["/files/report.pdf"].body,
        web.refs_a.url("/studies/ok.html"): web.refs_a.routes["/studies/ok.html"].body,
    }
    compressed = web.refs_c.url("/compressed.html")
    seen = {}
    for path in settings.storage.warc_dir.glob("*.warc.gz"):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    raw = record.raw_stream.read()
                    seen[url] = (raw, record)
    for url, body in served.items():
        assert seen[url][0] == body
    # The gzip page is stored as sent: still compressed, the header kept.
    raw, record = seen[compressed]
    assert raw == web.refs_c.routes["/compressed.html"].body
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    chunked_raw, chunked = seen[web.refs_c.url("/chunked.html")]
    assert chunked.http_headers.get_header("Transfer-Encoding") is None
    assert chunked.http_headers.get_header("Content-Length") == str(len(chunked_raw))


def test_a_second_archive_appends_new_files_and_keeps_the_first(web, settings):
    archive(settings, web.article_url)
    first = sorted(p.name for p in settings.storage.warc_dir.iterdir())
    archive(settings, web.article_url)
    second = sorted(p.name for p in settings.storage.warc_dir.iterdir())
    assert set(first) < set(second)
    with open_store(settings) as store:
        assert len(store.captures_for_url(web.article_url)) == 2
        assert store.last_run().status == "ok"


def _all_capture_urls(store, web):
    article_id = store.get_article_id(web.article_url)
    urls = [web.article_url] + [link["url"] for link in store.links_for_article(article_id)]
    return urls + [web.refs_a.url("/new/location.html")]
