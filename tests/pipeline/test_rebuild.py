"""A lost database: refused while WARCs are there, then rebuilt from them with the same evidence in the report."""

from __future__ import annotations

import json
import sqlite3
from contextlib import ExitStack, closing
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from archiver.cli.commands import main
from archiver.pipeline import rebuild_captures
from support.articles import DATE_IN_TEXT_ONLY
from support.fakeweb import serve_fakeweb

EXIT_USAGE = 3


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config/archiver.toml here: defaults apply
    for name, value in {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
                        "ARCHIVER_FETCH_RESPECT_ROBOTS": "false"}.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "archives"


def lose_database(data_dir) -> None:
    """archiver.db left at 0 bytes, as a bad copy or a full disk leaves it (no WAL beside it to replay)."""
    for suffix in ("-wal", "-shm"):
        (data_dir / f"archiver.db{suffix}").unlink(missing_ok=True)
    (data_dir / "archiver.db").write_bytes(b"")


def tables(data_dir) -> list[str]:
    with closing(sqlite3.connect(data_dir / "archiver.db")) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def json_report(data_dir, path) -> dict:
    assert main(["-q", "--data-dir", str(data_dir), "report", "--format", "json", "-o", str(path)]) in (0, 2)
    return json.loads(path.read_text())


def evidence(report: dict) -> dict:
    """What a report shows that WARCs prove: articles, their links, and every capture behind them."""
    keep = ("url", "canonical_url", "title", "date", "last_captured", "archived_copy")
    link_keep = ("url", "anchor_text", "position", "still_linked", "archived_copy", "captures")
    return {article["url"]: {**{key: article[key] for key in keep},
                             "links": [{key: link[key] for key in link_keep} for link in article["links"]]}
            for article in report["articles"]}


def test_an_emptied_database_beside_warcs_is_refused_until_rebuilt(data_dir, capsys):
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        assert main(["-q", "--data-dir", str(data_dir), "archive", web.article_url]) == 0
        lose_database(data_dir)
        for command in (["status"], ["add", web.article_url], ["archive", web.article_url]):
            assert main(["-q", "--data-dir", str(data_dir), *command]) == EXIT_USAGE, command
            err = capsys.readouterr().err
            assert "holds 1 WARC file(s)" in err and "archiver rebuild" in err, err
        assert tables(data_dir) == []  # nothing was written to it
        assert main(["-q", "--data-dir", str(data_dir), "rebuild"]) == 0
        assert main(["--data-dir", str(data_dir), "status"]) == 0
    assert web.article_url in capsys.readouterr().out


def test_a_rebuilt_database_reports_the_same_evidence_and_a_second_rebuild_adds_nothing(data_dir, tmp_path, capsys):
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        assert main(["-q", "--data-dir", str(data_dir), "archive", web.article_url]) == 0
        assert main(["-q", "--data-dir", str(data_dir), "check", "--all"]) == 0  # revisits, and redirects again
        before = json_report(data_dir, tmp_path / "before.json")
        assert sum(len(link["captures"]) for article in before["articles"] for link in article["links"]) > 10

        (data_dir / "archiver.db").unlink()
        assert main(["--data-dir", str(data_dir), "rebuild"]) == 0
        assert "1 article(s) (1 found in the WARCs)" in capsys.readouterr().out
        after = json_report(data_dir, tmp_path / "after.json")
        assert evidence(after) == evidence(before)
        assert {link["verdict"] for article in after["articles"] for link in article["links"]} == {"unchecked"}

        assert main(["--data-dir", str(data_dir), "rebuild"]) == 0
        assert " 0 capture(s) added" in capsys.readouterr().out
        assert evidence(json_report(data_dir, tmp_path / "again.json")) == evidence(before)

        # The baselines came back too: the next check compares each page with its first capture again.
        assert main(["-q", "--data-dir", str(data_dir), "check", "--all"]) == 0
        checked = json_report(data_dir, tmp_path / "checked.json")
    changes = lambda report: {link["url"]: link["content_change"]  # noqa: E731
                              for article in report["articles"] for link in article["links"]}
    assert changes(checked) == changes(before) and "unchanged" in changes(before).values()


def test_a_rebuild_dates_pages_by_their_capture_not_by_the_day_it_runs(monkeypatch, tmp_path):
    """The page says 14 March 2021: a capture of 1 January 2021 cannot have it as its publication date."""
    monkeypatch.setattr(rebuild_captures, "read_payload", lambda path, offset: iter([DATE_IN_TEXT_ONLY]))
    headers = {"Content-Type": "text/html; charset=utf-8"}
    record = SimpleNamespace(target_uri="http://127.0.0.1/notes/1", warc_file="a.warc.gz", offset=0,
                             header=headers.get, date=datetime(2021, 1, 1, tzinfo=timezone.utc))
    hop = rebuild_captures.Hop(record)
    assert rebuild_captures._extract(hop, tmp_path, 1_000_000, search_text_for_date=True).extracted.published is None
    record.date = datetime(2021, 6, 1, tzinfo=timezone.utc)
    assert rebuild_captures._extract(hop, tmp_path, 1_000_000, search_text_for_date=True).extracted.published == (
        "2021-03-14")
