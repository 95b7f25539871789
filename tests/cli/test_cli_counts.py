"""The counts `archive`, `status` and `report` print agree wherever they use the same word."""

from __future__ import annotations

import re

import pytest

from archiver.cli.commands import main
from support.articles import SENTENCES
from support.loopback import LoopbackServer, Reply

HTML = (("Content-Type", "text/html; charset=utf-8"),)


def citing_page(title: str, urls: list[str]) -> bytes:
    paragraphs = "".join(f"<p>{SENTENCES[n]} As <a href=\"{url}\">source {n}</a> shows, {SENTENCES[n + 1].lower()}</p>"
                         for n, url in enumerate(urls))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>".encode()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("ARCHIVER_FETCH_PER_HOST_DELAY", "0s")
    return str(tmp_path / "archives")


def test_archive_status_and_report_count_in_the_same_words(data_dir, capsys):
    with LoopbackServer() as site:
        shared, missing = site.url("/shared.html"), site.url("/missing.html")
        site.routes["/shared.html"] = Reply(headers=HTML, body=citing_page("Shared source", []))
        site.routes["/missing.html"] = Reply(404, headers=HTML, body=b"<h1>Not found</h1>")
        # Article one cites a page, a 404 and an address no one can fetch; article two cites the same page.
        site.routes["/one"] = Reply(headers=HTML, body=citing_page("One", [shared, missing, "mailto:desk@news.invalid"]))
        site.routes["/two"] = Reply(headers=HTML, body=citing_page("Two", [shared]))
        assert main(["--data-dir", data_dir, "archive", site.url("/one"), site.url("/two")]) == 0
    archived = capsys.readouterr().out
    assert main(["--data-dir", data_dir, "status"]) == 0
    brief = capsys.readouterr().out
    assert main(["--data-dir", data_dir, "status", "--all"]) == 0
    status = capsys.readouterr().out
    assert main(["--data-dir", data_dir, "report", "--format", "table"]) == 0
    report = capsys.readouterr().out

    # archive: captured = a response of any status is in the WARCs (the 404 too); the mailto: link got none.
    assert "3 references, 2 captured, 1 without a response; 1 healthy, 2 failing (not_found 1, unsupported 1)" in archived
    # status, per article, in the same words and numbers.
    header, *rows = [line.split("\t") for line in status.splitlines() if line.startswith(("article\t", "http"))]
    columns = {row[0]: dict(zip(header, row)) for row in rows}
    assert {name: columns[site.url("/one")][name] for name in ("refs", "captured", "no response")} == \
        {"refs": "3", "captured": "2", "no response": "1"}
    # status and report: references are article x link pairs (4); verdicts are counted per distinct URL (3).
    assert "references: 4 in 2 article(s), one per article and link as the report counts them; 3 distinct URL(s)" in status
    assert re.search(r"^distinct links by verdict: (\w+ \d+(, )?)+$", status, re.MULTILINE), status
    assert sum(map(int, re.findall(r"\d+", status.split("distinct links by verdict:")[1].splitlines()[0]))) == 3
    # Without --all, status skips the scan of every link that distinct URLs need: references by verdict only.
    assert "references: 4 in 2 article(s), one per article and link as the report counts them\n" in brief
    assert "distinct" not in brief
    for text in (brief, status):
        assert sum(map(int, re.findall(r"\d+", text.split("references by verdict:")[1].splitlines()[0]))) == 4
    assert report.splitlines()[-1].startswith("4 references (one per article and link) in 2 articles:")
