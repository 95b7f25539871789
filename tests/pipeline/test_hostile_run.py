"""Hostile servers inside one real run: every reference ends classified, bounded, and the healthy one is captured.

The single-fetch behaviours are tested one by one in test_fetch_hostile.py; here they are
the references of one article archived through the whole pipeline (fetch, record,
extract, classify, store) with a 2 s total timeout per fetch. The cases (serve_hostile_web)
are also what benchmarks/hostile.py times and measures, one process per case.
"""

from __future__ import annotations

import resource
import time
from contextlib import ExitStack

import sqlalchemy

from archiver.models import Observation
from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import load_settings
from archiver.store.schema import captures, observations
from support.hostile_web import HTML, serve_hostile_web
from support.loopback import LoopbackServer, Reply
from support.warc_audit import audit_warc

ELAPSED_BOUND = 60.0  # a bound on a run that must end, not a benchmark
RSS_BOUND_KB = 400 * 1024  # peak RSS growth: nowhere near the 512 MiB the gzip bomb decodes to


































def article_html(references: dict[str, str]) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {n} of the story explains the matter in some detail, and according to "
        f"<a href=\"{url}\">{case}</a> the situation changed considerably over the last year, "
        f"which officials have confirmed in several public statements since then.</p>"
        for n, (case, url) in enumerate(references.items()))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>A hostile web</title></head><body>"
            f"<main><article><h1>A hostile web</h1>{paragraphs}</article></main></body></html>").encode()


def test_hostile_references_in_one_run_end_classified_bounded_and_audited(tmp_path):
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "2s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s", "ARCHIVER_FETCH_RESPECT_ROBOTS": "false",
           "ARCHIVER_FETCH_PER_HOST_CONCURRENCY": "8",
           "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0"}  # extraction's memory in this process, where it is measured
    settings = load_settings(env=env, overrides={"storage.data_dir": str(tmp_path / "archives")})
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ExitStack() as stack:
        news = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        references = serve_hostile_web(stack)
        news.routes["/story"] = Reply(headers=HTML, body=article_html(references))
        started = time.monotonic()
        with open_pipeline(settings) as pipeline:
            [summary] = pipeline.archive([article_from_cli(news.url("/story"))])
        elapsed = time.monotonic() - started
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    assert summary.captured and summary.references == len(references), summary
    engine = sqlalchemy.create_engine(settings.storage.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.select(observations.c.url, observations.c.observation,
                                                        observations.c.detail, observations.c.http_status)).all()
            truncated = dict(connection.execute(sqlalchemy.select(captures.c.requested_url, captures.c.truncated)
                                                .where(captures.c.truncated.is_not(None))).all())
    finally:
        engine.dispose()
    by_url = {row.url: row for row in rows}
    known = {str(o) for o in Observation}
    print(f"\nrun took {elapsed:.1f}s; peak RSS grew by {rss_growth / 1024:.0f} MiB")
    for case, url in references.items():
        row = by_url.get(url)
        assert row is not None, f"{case}: no observation for {url}"
        cut = f" truncated={truncated[url]}" if url in truncated else ""
        print(f"  {case:32} {row.observation:18} HTTP {row.http_status}{cut}  {row.detail[:60]}")
        assert row.observation in known, (case, row)
    assert by_url[references["healthy"]].observation == "ok"
    assert by_url[references["never answers"]].observation == "timeout"
    assert by_url[references["endless redirect chain"]].observation == "redirect_loop"
    assert by_url[references["gzip bomb redirect body"]].observation == "redirected"  # to the healthy page
    assert truncated.get(references["50 MB of nested tags"]) == "length"  # fetch.max_body_bytes is 50 MB
    assert elapsed < ELAPSED_BOUND
    assert rss_growth < RSS_BOUND_KB
    warcs = sorted(settings.storage.warc_dir.glob("*.warc.gz"))
    assert warcs and not list(settings.storage.warc_dir.glob("*.open"))
    for path in warcs:
        audit_warc(path)
