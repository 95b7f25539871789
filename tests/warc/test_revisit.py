"""An unchanged page archived again is a WARC revisit record, not a second copy of its bytes.

The servers send no validators (no ETag, no Last-Modified): the only way to know
the page is unchanged is its payload digest, after the body streamed. Every WARC
is checked by warcio, cdxj-indexer and our own audit.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.settings import load_settings
from support.fakeweb import HTML, PDF, reference_page
from support.loopback import LoopbackServer, Reply
from support.warc_audit import audit_warc, read_record


@pytest.fixture
def site():
    with ExitStack() as stack:
        news = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        refs = stack.enter_context(LoopbackServer(host="127.0.0.2"))
        study, report, moved = refs.url("/studies/ok.html"), refs.url("/files/report.pdf"), refs.url("/old/place")
        links = "".join(f'<p>As <a href="{url}">this source</a> reported in some detail, the matter developed '
                        f"over several months and was widely discussed by officials.</p>"
                        for url in (study, report, moved))
        news.routes["/story.html"] = Reply(headers=HTML, body=(
            f"<!doctype html><html><head><title>Story</title></head><body><article><h1>Story</h1>{links}"
            f"</article></body></html>").encode())
        refs.routes["/studies/ok.html"] = Reply(headers=HTML, body=reference_page("A study", 12))
        refs.routes["/files/report.pdf"] = Reply(headers=(("Content-Type", "application/pdf"),), body=PDF)
        refs.routes["/old/place"] = Reply(301, headers=(("Location", "/new/place.html"),))
        refs.routes["/new/place.html"] = Reply(headers=HTML, body=reference_page("Moved statement", 12))
        yield {"article": news.url("/story.html"), "study": study, "report": report, "moved": moved,
               "moved_to": refs.url("/new/place.html"), "refs": refs}


@pytest.fixture
def settings(tmp_path):
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s"}  # politeness pauses would only slow the test down
    return load_settings(env=env, overrides={"storage.data_dir": str(tmp_path / "archives")})


def archive(settings, url):
    with open_pipeline(settings) as pipeline:
        [summary] = pipeline.archive([article_from_cli(url)])
    return summary


def newest_capture(settings, url):
    with open_store(settings) as store:
        return store.captures_for_url(url)[0]


def record_of(settings, capture) -> dict:
    return read_record(settings.storage.warc_dir / capture.warc_file, capture.warc_offset, capture.warc_length)


def test_an_unchanged_page_is_written_as_a_revisit_of_its_first_capture(site, settings):
    archive(settings, site["article"])
    first = {name: newest_capture(settings, site[name]) for name in ("article", "study", "report", "moved_to")}
    summary = archive(settings, site["article"])
    assert summary.captured and summary.references_captured == 3  # links still come from the body in memory

    for name, original in first.items():
        again = newest_capture(settings, site[name])
        record = record_of(settings, again)
        assert record["type"] == "revisit", name
        assert record["record_id"] == again.record_id
        headers = dict(record["headers"])
        assert headers["WARC-Refers-To"] == original.record_id == again.refers_to_record_id
        assert headers["WARC-Refers-To-Target-URI"] == original.url
        assert headers["WARC-Refers-To-Date"] == record_of(settings, original)["date"]
        assert headers["WARC-Profile"].endswith("/revisit/identical-payload-digest")
        assert again.payload_digest == original.payload_digest
        assert (again.text_hash, again.text_fingerprint) == (original.text_hash, original.text_fingerprint)

    with open_store(settings) as store:
        for name in ("study", "report", "moved"):
            latest = store.observations_for_url(site[name])[-1]
            assert latest.observation in ("ok", "redirected") and latest.verdict in ("alive", "moved"), name
        study = store.observations_for_url(site["study"])[-1]
        assert (study.observation, study.content_change, study.verdict) == ("ok", "unchanged", "alive")
        # The redirect hop is written in full: only the final hop's payload repeats.
        hops = [c for c in store.captures_for_url(site["moved"]) if c.requested_url == site["moved"]]
        assert {record_of(settings, c)["type"] for c in hops} == {"response"}


def test_warcio_and_cdxj_indexer_read_the_revisit_records(site, settings):
    archive(settings, site["article"])
    archive(settings, site["article"])
    files = sorted(settings.storage.warc_dir.glob("*.warc.gz"))
    records = [record for path in files for record in audit_warc(path)]  # warcio check, cdxj-indexer, gzip -t
    revisits = [r for r in records if r["type"] == "revisit"]
    assert {r["uri"] for r in revisits} == {site["article"], site["study"], site["report"], site["moved_to"]}
    seen = []
    for path in files:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "revisit":
                    assert record.http_headers.get_statuscode() == "200"
                    assert record.raw_stream.read() == b""  # headers only: the payload is in the referred record
                    seen.append(record.rec_headers.get_header("WARC-Target-URI"))
    assert sorted(seen) == sorted(r["uri"] for r in revisits)


def test_a_revisit_of_a_revisit_refers_to_the_response_that_holds_the_bytes(site, settings):
    archive(settings, site["article"])
    original = newest_capture(settings, site["study"])
    archive(settings, site["article"])
    archive(settings, site["article"])
    third = newest_capture(settings, site["study"])
    assert record_of(settings, third)["type"] == "revisit"
    assert third.refers_to_record_id == original.record_id


def test_a_changed_body_is_written_in_full(site, settings):
    archive(settings, site["article"])
    site["refs"].routes["/studies/ok.html"] = Reply(headers=HTML, body=reference_page("A study, revised", 12))
    archive(settings, site["article"])
    again = newest_capture(settings, site["study"])
    assert record_of(settings, again)["type"] == "response"
    assert again.refers_to_record_id is None
    with open_store(settings) as store:
        latest = store.observations_for_url(site["study"])[-1]
    assert latest.observation == "ok" and latest.content_change != "unchanged"
