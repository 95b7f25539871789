"""CDXJ indexes of closed WARCs (archiver.warc.index) and `archiver lookup`, over archives the real pipeline wrote."""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import datetime, timezone

import pytest

from archiver.cli.commands import main
from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import load_settings
from archiver.warc.index import (
    IndexAsFilesClose,
    IndexEntry,
    find_captures,
    index_dir_of,
    index_path,
    nearest,
    parse_timestamp,
    read_index,
)
from archiver.warc.record import WarcRecorder
from support.fakeweb import serve_fakeweb
from support.records import make_exchange, make_fetch
from support.warc_audit import read_record, walk_members

INDEXED = ("response", "revisit")


def archive_repeatedly(data_dir, runs: int = 3):
    """Archive the fakeweb article `runs` times into `data_dir` (WARCs rotating at 1MB, the smallest allowed):
    several WARC files, and revisit records for the unchanged pages. Returns (settings, article URL)."""
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s", "ARCHIVER_STORAGE_WARC_MAX_BYTES": "1MB"}
    settings = load_settings(env=env, overrides={"storage.data_dir": str(data_dir)})
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        for _ in range(runs):
            with open_pipeline(settings) as pipeline:
                pipeline.archive([article_from_cli(web.article_url)])
    return settings, web.article_url


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    return archive_repeatedly(tmp_path_factory.mktemp("index") / "archives")


def _warcs(settings):
    return sorted(settings.storage.warc_dir.glob("*.warc.gz"))


def test_every_closed_warc_has_a_sorted_index_beside_it(archived):
    settings, article_url = archived
    warcs = _warcs(settings)
    assert len(warcs) >= 3
    index_dir = index_dir_of(settings.storage.data_dir)
    assert sorted(p.name for p in index_dir.iterdir()) == sorted(w.name + ".cdxj" for w in warcs)
    for path in index_dir.iterdir():
        lines = path.read_text().splitlines()
        assert lines == sorted(lines) and lines, path
        key, timestamp, fields = lines[0].split(" ", 2)
        assert len(timestamp) == 14 and timestamp.isdigit() and ")/" in key  # SURT: host reversed, then the path
        # "mime" is there when the response had a Content-Type (the 404 probes and redirects here have none).
        assert {"url", "status", "digest", "length", "offset", "filename"} <= set(json.loads(fields))
    article_lines = [e for p in index_dir.iterdir() for e in read_index(p) if e.url == article_url]
    # Index timestamps have whole seconds: three quick runs can share one, so the WARC file names
    # (millisecond timestamps and serials) order them.
    in_order = sorted(article_lines, key=lambda e: (e.timestamp, e.filename, e.offset))
    assert [e.mime for e in in_order] == ["text/html"] + ["warc/revisit"] * 2


def test_every_response_and_revisit_has_exactly_one_line_leading_to_it(archived):
    settings, _ = archived
    index_dir = index_dir_of(settings.storage.data_dir)
    kinds = set()
    for warc in _warcs(settings):
        entries = read_index(index_dir / (warc.name + ".cdxj"))
        lines = {(e.offset, e.length): e for e in entries}
        assert len(lines) == len(entries), f"{warc.name}: two lines for one record"
        records = [(offset, length, r) for offset, length, r in walk_members(warc) if r["type"] in INDEXED]
        assert sorted(lines) == sorted((offset, length) for offset, length, _ in records)
        for entry in entries:
            record = read_record(warc, entry.offset, entry.length)
            kinds.add(record["type"])
            assert entry.filename == warc.name and record["uri"] == entry.url
            assert record["payload_digest"] == entry.digest or record["type"] == "revisit"
            assert entry.status == record["status"]
    assert kinds == {"response", "revisit"}  # the later runs found unchanged pages


def test_a_missing_index_is_built_when_a_pipeline_opens(archived):
    settings, _ = archived
    index = index_dir_of(settings.storage.data_dir) / (_warcs(settings)[0].name + ".cdxj")
    before = index.read_text()
    index.unlink()
    with open_pipeline(settings):
        assert index.read_text() == before


def test_nearest_takes_the_closest_capture_and_the_earlier_on_a_tie():
    def entry(ts):
        return IndexEntry("k", ts, "http://a/", 200, "text/html", None, "f.warc.gz", 0, 1)

    entries = [entry("20260101000000"), entry("20260103000000"), entry("20260105000000")]
    assert nearest(entries, parse_timestamp("2026-01-02T23:00")).timestamp == "20260103000000"
    assert nearest(entries, parse_timestamp("20260102")).timestamp == "20260101000000"
    assert nearest(entries, datetime(2030, 1, 1, tzinfo=timezone.utc)).timestamp == "20260105000000"
    assert nearest([], datetime(2030, 1, 1, tzinfo=timezone.utc)) is None
    with pytest.raises(ValueError):
        parse_timestamp("last tuesday")


def test_lookup_lists_every_capture_and_the_nearest_with_at(archived, capsys, monkeypatch, tmp_path):
    settings, article_url = archived
    monkeypatch.chdir(tmp_path)  # no config/archiver.toml here
    data_dir = str(settings.storage.data_dir)
    assert main(["--data-dir", data_dir, "lookup", article_url]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and [row[0] for row in rows] == sorted(row[0] for row in rows)
    for timestamp, status, filename, offset, url in rows:
        assert status == "200" and url == article_url
        record = read_record(settings.storage.warc_dir / filename, int(offset),
                             next(e.length for e in find_captures(index_dir_of(settings.storage.data_dir), url)
                                  if e.filename == filename and e.offset == int(offset)))
        assert record["uri"] == article_url and record["type"] in INDEXED

    last = rows[-1][0]
    assert main(["--data-dir", data_dir, "lookup", article_url, "--at", "2999-01-01"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == [last]
    assert main(["--data-dir", data_dir, "lookup", article_url, "--at", "1999"]) == 0
    assert capsys.readouterr().out.split("\t")[0] == rows[0][0]


def test_lookup_of_an_unknown_url_exits_1_and_a_bad_date_exits_3(archived, capsys, monkeypatch, tmp_path):
    settings, article_url = archived
    monkeypatch.chdir(tmp_path)
    data_dir = str(settings.storage.data_dir)
    assert main(["--data-dir", data_dir, "lookup", "http://never.test/page"]) == 1
    assert "no capture of http://never.test/page" in capsys.readouterr().err
    assert main(["--data-dir", data_dir, "lookup", article_url, "--at", "soon"]) == 3



def test_a_warc_that_cannot_be_indexed_is_skipped_logged_and_tried_again(tmp_path, caplog, monkeypatch):
    import archiver.warc.index

    (tmp_path / "warcs").mkdir()
    (tmp_path / "warcs" / "a.warc.gz").write_bytes(b"")

    def fail(output, inputs, opts):
        with open(output, "w") as partial:
            partial.write("half an index")
        raise OSError("disk trouble")

    monkeypatch.setattr(archiver.warc.index, "write_cdx_index", fail)
    assert archiver.warc.index.index_closed_warcs(tmp_path / "warcs", tmp_path / "indexes") == []
    assert list((tmp_path / "indexes").iterdir()) == []  # no partial index under any name
    assert "cannot index a.warc.gz" in caplog.text
    monkeypatch.undo()
    assert [p.name for p in archiver.warc.index.index_closed_warcs(tmp_path / "warcs", tmp_path / "indexes")] == [
        "a.warc.gz.cdxj"]


def test_each_file_is_indexed_as_it_closes_not_when_the_run_ends(tmp_path):
    index_dir = tmp_path / "indexes"
    indexer = IndexAsFilesClose(index_dir)
    published = []

    def on_published(path):
        published.append(path)
        indexer(path)

    # Every fetch overfills the 1 kB limit, so each one closes its file: rotation mid-run.
    recorder = WarcRecorder(tmp_path / "warcs", "t", 1_000, on_published=on_published)
    for n in range(3):
        recorder.write_fetch(make_fetch(make_exchange(url=f"http://example.test/{n}", data=b"x" * 2_000)))
        assert len(published) == n + 1 and published[-1].exists()  # told at once, the file already renamed
    indexer.close()  # waits for the background indexing handed over so far; the recorder is still open
    for n, path in enumerate(published):
        [entry] = read_index(index_path(index_dir, path.name))
        assert entry.url == f"http://example.test/{n}" and entry.filename == path.name
    recorder.close()
    assert len(published) == 3  # nothing was left open to publish
