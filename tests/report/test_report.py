"""Reports from one real history (tests/support/report_history.py): every format names the right URLs with the right verdicts."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import datetime, timezone
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.pipeline import open_store
from archiver.report import FORMAT_NAMES, build_report, formatter_for, parse_since, replay_url_for
from archiver.report.formats.diffview import DiffRow, side_by_side
from support.report_history import CHECK_TIMES, EXPECTED, HOSTILE_EXPECTED, shared_report_history, validated_report

FAILING = ("dead", "rotten", "drifted")
NOW = datetime(2026, 1, 8, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def history(tmp_path_factory):
    return shared_report_history(tmp_path_factory)


@pytest.fixture(scope="module")
def data(history):
    with open_store(history.settings) as store:
        return build_report(store, history.settings, now=NOW)


def _expected_rows(history) -> set[tuple[str, str, str]]:
    """(article URL, link URL, verdict) for every reference of the history."""
    rows = {(history.article_url, history.urls[name], verdict) for name, (verdict, _) in EXPECTED.items()}
    rows |= {(history.hostile_article_url, history.hostile_urls[name], verdict)
             for name, (verdict, _) in HOSTILE_EXPECTED.items()}
    return rows


def test_the_history_holds_every_verdict(data, history):
    rows = {(article.url, link.url, link.verdict) for article, link in data.references()}
    assert rows == _expected_rows(history)
    assert set(data.verdict_counts()) == {"alive", "suspect", "dead", "moved", "rotten", "drifted", "unverifiable"}


def test_changes_since_the_last_run_are_the_last_checks_news(data, history):
    assert data.changes.since == CHECK_TIMES[-1]
    got = {(change.kind, change.url) for change in data.changes.links}
    assert got == {(kind, history.urls[name]) for name, (_, kind) in EXPECTED.items() if kind}
    assert {change.article_url for change in data.changes.articles} == {history.article_url, history.hostile_article_url}


def test_changes_since_a_date_reach_back_over_several_runs(history):
    with open_store(history.settings) as store:
        data = build_report(store, history.settings, now=NOW, since=parse_since("2026-01-06"))
    kinds = {change.url: (change.kind, change.verdict_before) for change in data.changes.links}
    assert kinds[history.urls["drifted"]] == ("newly_drifted", "alive")  # drifted at the 36 h check
    assert kinds[history.urls["not_found"]] == ("newly_dead", "suspect")
    assert kinds[history.urls["revived"]] == ("recovered", "suspect")
    assert history.urls["moved"] not in kinds  # moved since the first check, before the date


def test_history_has_one_entry_per_run_and_ends_at_the_current_counts(data):
    assert [run.started_at for run in data.history] == list(CHECK_TIMES)
    assert data.history[-1].counts == data.verdict_counts()
    assert "dead" not in data.history[0].counts and data.history[0].counts["suspect"] >= 5
    # The mailto: reference is judged once, when the article is archived, and never fetched again.
    assert [run.checked for run in data.history] == [19, 18, 18] and len(data.references()) == 19


def test_json_report_is_valid_and_carries_the_evidence(data, history):
    report = validated_report(formatter_for("json")(data))
    assert report["schema_version"] == "1.2"
    assert report["summary"]["failing"] == sum(1 for *_, v in _expected_rows(history) if v in FAILING)
    links = {(article["url"], link["url"]): link for article in report["articles"] for link in article["links"]}
    assert {(a, u, link["verdict"]) for (a, u), link in links.items()} == _expected_rows(history)
    assert [c["url"] for c in report["changes"]["newly_dead"]] == [history.urls[n] for n in ("not_found", "gone", "refused")]
    dead = links[(history.article_url, history.urls["not_found"])]
    assert dead["observation"] == "not_found" and dead["http_status"] == 404 and dead["archived_copy"] is None
    drifted = links[(history.article_url, history.urls["drifted"])]
    assert drifted["content_change"] == "drifted" and drifted["similarity"] < 0.85
    assert "Update: the council has since withdrawn" in drifted["diff"]
    moved = links[(history.article_url, history.urls["moved"])]
    assert moved["final_url"].endswith("/moved/new.html") and moved["captures"][0]["http_status"] == 301
    _assert_capture_points_at_its_warc_record(history, drifted["captures"][-1])


def _assert_capture_points_at_its_warc_record(history, capture: dict) -> None:
    with open(history.settings.storage.warc_dir / capture["warc_file"], "rb") as warc:
        warc.seek(capture["warc_offset"])
        record = next(iter(ArchiveIterator(warc)))
        assert record.rec_headers.get_header("WARC-Record-ID") == capture["record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == capture["url"]


def test_csv_has_one_row_per_article_and_link(data, history):
    rows = list(csv.DictReader(io.StringIO(formatter_for("csv")(data))))
    assert {(row["article_url"], row["url"], row["verdict"]) for row in rows} == _expected_rows(history)
    assert len(rows) == len(_expected_rows(history))
    stable = next(row for row in rows if row["url"] == history.urls["stable"] and row["article_url"] == history.article_url)
    assert stable["http_status"] == "200" and stable["warc_file"].endswith(".warc.gz")
    assert re.fullmatch(r"http://localhost:8080/archive/\d{14}/" + re.escape(history.urls["stable"]), stable["archived_copy"])


def test_markdown_has_a_section_per_article_with_table_rows(data, history):
    markdown = formatter_for("markdown")(data)
    assert "## [Link health](<" + history.article_url + ">)" in markdown
    assert "| Verdict | Reference | Observation | HTTP | Change | Archived copy |" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line]
    for _, url, verdict in _expected_rows(history):
        shown = f"(<{url}>)" if url.startswith("http") else url  # only http(s) URLs become links
        assert any(row.startswith(f"| {verdict} |") and shown in row for row in rows), (verdict, url)
    assert "**Newly dead** (suspect → dead): [" + history.urls["gone"] in markdown
    assert "<script>" not in markdown and "\\<script\\>alert" in markdown


def test_junit_has_a_testcase_per_link_and_a_failure_per_failing_verdict(data, history):
    root = ET.fromstring(formatter_for("junit")(data))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(_expected_rows(history))
    failing = {(article, url) for article, url, verdict in _expected_rows(history) if verdict in FAILING}
    assert {(case.get("classname"), case.get("name")) for case in cases if case.find("failure") is not None} == failing
    assert int(root.get("failures")) == len(failing) == sum(int(s.get("failures")) for s in root.findall("testsuite"))
    dead = next(case for case in cases if case.get("name") == history.urls["gone"])
    assert dead.find("failure").get("type") == "dead" and "HTTP 410" in dead.find("failure").get("message")


def test_plain_table_with_all_lists_every_link_under_its_article(data, history):
    table = formatter_for("table", terminal=False)(replace(data, complete=True))
    lines = table.splitlines()
    for name, (verdict, _) in EXPECTED.items():
        assert any(line.startswith(f"\t{verdict}\t") and f"\t{history.urls[name]}\t" in line for line in lines), name
    assert lines[-1].startswith("19 references (one per article and link) in 2 articles: dead 3, rotten 2, drifted 3")
    assert "\x1b[" not in table


def test_plain_table_by_default_lists_the_news_and_only_the_failing_references(data, history):
    lines = formatter_for("table", terminal=False)(data).splitlines()
    listed = {line.split("\t")[5] for line in lines if line.startswith("\t") and line.split("\t")[1] != "verdict"}
    assert listed == {history.urls[name] for name, (verdict, _) in EXPECTED.items() if verdict in FAILING} | \
        {history.hostile_urls[name] for name, (verdict, _) in HOSTILE_EXPECTED.items() if verdict in FAILING}
    news = [line for line in lines if line.startswith(("newly dead\t", "recovered\t"))]
    assert {line.split("\t")[1] for line in news} == \
        {history.urls[name] for name, (_, kind) in EXPECTED.items() if kind in ("newly_dead", "recovered")}
    assert lines[-2] == ("shown: the news and the 8 failing reference(s) in 2 article(s); 0 other article(s) and "
                         "11 other reference(s) not listed (--all lists every one)")


def test_terminal_table_is_coloured_by_verdict(data):
    table = formatter_for("table", terminal=True, width=160)(replace(data, complete=True))
    assert "\x1b[1;31mdead" in table and "\x1b[32malive" in table and "┃" in table
    assert "\x1b[32malive" not in formatter_for("table", terminal=True, width=160)(data)  # failing ones only


class _Anchors(HTMLParser):
    """Every <a>: its attributes and its text, entities decoded."""

    def __init__(self):
        super().__init__()
        self.anchors: list[tuple[dict, str]] = []
        self.inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append((dict(attrs), ""))
            self.inside = True

    def handle_endtag(self, tag):
        self.inside = self.inside and tag != "a"

    def handle_data(self, data):
        if self.inside:
            attrs, text = self.anchors[-1]
            self.anchors[-1] = (attrs, text + data)


def test_robustlinks_point_at_our_captures_and_escape_anchor_text(history):
    with open_store(history.settings) as store:
        data = build_report(store, history.settings, now=NOW, article_url=history.hostile_article_url)
    output = formatter_for("robustlinks")(data)
    parser = _Anchors()
    parser.feed(output)
    assert len(parser.anchors) == len(output.splitlines()) == len(HOSTILE_EXPECTED)
    by_url = {attrs["href"]: (attrs, text) for attrs, text in parser.anchors}
    attrs, text = by_url[history.hostile_urls["stable"]]
    assert text == history.anchors["stable"]  # the payload comes back as text, because it went out escaped
    assert attrs["data-originalurl"] == history.hostile_urls["stable"]
    assert re.fullmatch(r"http://localhost:8080/archive/\d{14}/" + re.escape(history.hostile_urls["stable"]),
                        attrs["data-versionurl"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", attrs["data-versiondate"])
    assert "<img" not in output and "<svg" not in output and "<script" not in output


def test_every_format_renders_from_the_history(data):
    for name in FORMAT_NAMES:
        output = formatter_for(name)(data)
        assert isinstance(output, (str, bytes)) and output, name


def test_unknown_format_names_the_known_ones():
    with pytest.raises(ValueError, match="table, json, csv, markdown, junit, html, robustlinks"):
        formatter_for("pdf")


def test_replay_url_fills_timestamp_and_original_url_without_str_format():
    when = datetime(2026, 1, 5, 9, 3, 7, tzinfo=timezone.utc)
    assert replay_url_for("https://replay.test/{timestamp}/{url}", "http://a.test/x?y={z}", when) == \
        "https://replay.test/20260105090307/http://a.test/x?y={z}"
    assert replay_url_for("https://replay.test/{0}{timestamp}", "u", when) == "https://replay.test/{0}20260105090307"


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", ""])
def test_since_takes_last_or_an_iso_date(text):
    assert parse_since("LAST") is None and parse_since("2026-01-06") == datetime(2026, 1, 6, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="LAST or an ISO date"):
        parse_since(text)


def test_side_by_side_pairs_removed_with_added_paragraphs():
    unified = "--- baseline\n+++ now\n@@ -1,3 +1,3 @@\n same\n-old one\n-old two\n+new one\n@@ -9 +9 @@\n--- a dash paragraph\n"
    assert side_by_side(unified) == [
        DiffRow("same", "same", "same"), DiffRow("changed", "old one", "new one"), DiffRow("removed", "old two", ""),
        DiffRow("gap"), DiffRow("removed", "-- a dash paragraph", ""),
    ]
