"""Re-checks ask the server whether a page changed (If-None-Match / If-Modified-Since) and keep its 304.

A 304 for the URL whose validators were sent confirms the last capture: the
link is ok, its content unchanged, and the second run adds a small fraction of
the first run's WARC bytes. A 304 from anywhere else confirms nothing.
"""

from __future__ import annotations

import random
import string
from contextlib import ExitStack

import pytest

from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.settings import load_settings
from support.fakeweb import HTML
from support.loopback import LoopbackServer, Reply
from support.warc_audit import audit_warc, read_record

ETAG = '"v1-5f3a"'
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


def long_page(title: str, seed: int, words: int = 6000) -> bytes:
    """About 40 kB of pseudo-random prose: a real article page compresses about as badly, so the size
    bound compares a re-check with a realistic first capture, not with a page of repeated words."""
    rng = random.Random(seed)
    word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))  # noqa: E731
    paragraphs = "".join(f"<p>{' '.join(word() for _ in range(60))}.</p>" for _ in range(words // 60))
    return (f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{paragraphs}</article></body></html>").encode()


def header(seen, name: str) -> str | None:
    return next((value for key, value in seen.headers if key.lower() == name.lower()), None)


def answering_304(body: bytes, validator: str, value: str, condition: str):
    """A route sending `validator: value` that answers 304 when the request's `condition` header echoes it."""
    def route(seen) -> Reply:
        if header(seen, condition) == value:
            return Reply(304, headers=((validator, value),))
        return Reply(headers=HTML + ((validator, value),), body=body)
    return route


@pytest.fixture
def site():
    with ExitStack() as stack:
        news = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        refs = stack.enter_context(LoopbackServer(host="127.0.0.2"))
        urls = {"etag": refs.url("/etag/study.html"), "dated": refs.url("/dated/report.html")}
        links = "".join(f'<p>As <a href="{url}">this source</a> reported in some detail, the matter developed '
                        f"over several months and was widely discussed by officials.</p>" for url in urls.values())
        news.routes["/story.html"] = Reply(headers=HTML, body=(
            f"<!doctype html><html><head><title>Story</title></head><body><article><h1>Story</h1>{links}"
            f"</article></body></html>").encode())
        refs.routes["/etag/study.html"] = answering_304(long_page("A study", 1), "ETag", ETAG, "If-None-Match")
        refs.routes["/dated/report.html"] = answering_304(long_page("A report", 2), "Last-Modified", LAST_MODIFIED,
                                                          "If-Modified-Since")
        yield {"article": news.url("/story.html"), "news": news, "refs": refs, **urls}


@pytest.fixture
def settings(tmp_path):
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s"}  # politeness pauses would only slow the test down
    return load_settings(env=env, overrides={"storage.data_dir": str(tmp_path / "archives")})


def warc_bytes(settings) -> int:
    return sum(path.stat().st_size for path in settings.storage.warc_dir.iterdir())


def requests_for(server, path: str):
    return [seen for seen in server.requests if seen.path == path]


def archive_then_check(settings, article_url) -> tuple[int, int]:
    """Archive, then check everything again; return (WARC bytes of the first run, bytes the check added)."""
    with open_pipeline(settings) as pipeline:
        pipeline.archive([article_from_cli(article_url)])
    first = warc_bytes(settings)
    with open_pipeline(settings) as pipeline:
        pipeline.check(include_not_due=True)
    return first, warc_bytes(settings) - first


def test_a_recheck_sends_validators_and_a_304_is_ok_and_unchanged(site, settings):
    first_bytes, added = archive_then_check(settings, site["article"])

    etag_requests = requests_for(site["refs"], "/etag/study.html")
    dated_requests = requests_for(site["refs"], "/dated/report.html")
    assert [header(seen, "If-None-Match") for seen in etag_requests] == [None, ETAG]
    assert [header(seen, "If-Modified-Since") for seen in dated_requests] == [None, LAST_MODIFIED]
    with open_store(settings) as store:
        for name in ("etag", "dated"):
            first, second = store.observations_for_url(site[name])
            assert (second.observation, second.content_change, second.verdict, second.http_status) == \
                   ("ok", "unchanged", "alive", 304), name
            assert second.baseline_capture_id == first.capture_id
            not_modified, original = store.captures_for_url(site[name])[:2]
            assert not_modified.refers_to_record_id == original.record_id
            assert not_modified.text_hash == original.text_hash
            record = read_record(settings.storage.warc_dir / not_modified.warc_file,
                                 not_modified.warc_offset, not_modified.warc_length)
            assert (record["type"], record["status"]) == ("response", 304)  # the 304 is what happened: kept
    assert added < 0.2 * first_bytes, f"the re-check added {added} bytes to {first_bytes}"


def test_the_warcs_of_both_runs_validate(site, settings):
    archive_then_check(settings, site["article"])
    records = [r for path in sorted(settings.storage.warc_dir.glob("*.warc.gz")) for r in audit_warc(path)]
    links = (site["etag"], site["dated"])
    statuses = sorted(r["status"] for r in records if r["type"] == "response" and r["uri"] in links)
    assert statuses == [200, 200, 304, 304]
    assert [r["uri"] for r in records if r["type"] == "revisit"] == [site["article"]]  # sent no validators


def test_a_304_from_another_url_is_not_trusted(site, settings):
    refs = site["refs"]
    with open_pipeline(settings) as pipeline:
        pipeline.archive([article_from_cli(site["article"])])
    # The report now redirects to the site root, which answers 304 to any If-Modified-Since.
    refs.routes["/dated/report.html"] = Reply(301, headers=(("Location", "/"),))
    refs.routes["/"] = lambda seen: (Reply(304) if header(seen, "If-Modified-Since")
                                     else Reply(headers=HTML, body=long_page("Home", 3, words=600)))
    with open_pipeline(settings) as pipeline:
        pipeline.check(include_not_due=True)
    assert [header(seen, "If-Modified-Since") for seen in requests_for(refs, "/")] == [LAST_MODIFIED, None]
    with open_store(settings) as store:
        latest = store.observations_for_url(site["dated"])[-1]
        root_captures = store.captures_for_url(refs.url("/"))
    assert latest.observation == "redirect_to_root"
    assert [(c.http_status, c.refers_to_record_id) for c in root_captures] == [(200, None), (304, None)]



def test_a_page_last_found_unhealthy_is_fetched_whole_again(site, settings):
    # Every unknown path of this site answers the same page with the same ETag: the link is a soft 404,
    # and a 304 must not turn that into "ok".
    refs, news = site["refs"], site["news"]
    refs.fallback = answering_304(long_page("Welcome", 4), "ETag", ETAG, "If-None-Match")
    soft = refs.url("/old/story.html")
    news.routes["/soft.html"] = Reply(headers=HTML, body=(
        f'<!doctype html><html><body><article><h1>Soft</h1><p>As <a href="{soft}">this source</a> reported in '
        f"some detail, the matter developed over several months and was widely discussed.</p></article></body></html>"
    ).encode())
    with open_pipeline(settings) as pipeline:
        pipeline.archive([article_from_cli(news.url("/soft.html"))])
    with open_pipeline(settings) as pipeline:
        pipeline.check(include_not_due=True)
    assert [header(seen, "If-None-Match") for seen in requests_for(refs, "/old/story.html")] == [None, None]
    with open_store(settings) as store:
        assert [row.observation for row in store.observations_for_url(soft)] == ["soft_404", "soft_404"]
