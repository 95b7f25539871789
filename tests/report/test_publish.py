"""What a run leaves in archives/reports/: the default HTML, the JSON of what fails, and only the newest runs' files."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone

import pytest

from archiver.pipeline import open_store
from archiver.report import build_report, formatter_for, publish_reports
from archiver.store import Store
from support.report_history import shared_report_history, validated_report

NOW = datetime(2026, 1, 8, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def history(tmp_path_factory):
    return shared_report_history(tmp_path_factory)


def test_a_runs_json_holds_every_count_the_news_and_the_history_and_no_article(history, tmp_path):
    with open_store(history.settings) as store:
        data = build_report(store, history.settings, now=NOW)
        written = publish_reports(data, tmp_path)
        full = validated_report(formatter_for("json")(data))
    cycle = validated_report(written["json"].read_text("utf-8"))
    assert (cycle["scope"], full["scope"]) == ("news", "all")
    assert cycle["summary"] == full["summary"] and cycle["changes"] == full["changes"]
    assert cycle["history"] == full["history"]
    assert cycle["articles"] == [] and len(full["articles"]) == full["summary"]["articles"] > 0
    assert sum(len(full["changes"][kind]) for kind in ("newly_dead", "newly_rotten", "newly_drifted")) > 0


def test_only_the_newest_runs_reports_are_kept(history, tmp_path):
    (tmp_path / "notes.txt").write_text("the reviewer's own file")
    with open_store(history.settings) as store:
        for day in range(4):
            publish_reports(build_report(store, history.settings, now=NOW + timedelta(days=day)), tmp_path, keep=2)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["latest.html", "latest.json", "notes.txt",
                     "report-20260110T100000Z.html", "report-20260110T100000Z.json",
                     "report-20260111T100000Z.html", "report-20260111T100000Z.json"]
    latest = validated_report((tmp_path / "latest.json").read_text("utf-8"))
    assert latest["generated_at"] == "2026-01-11T10:00:00Z"


def test_the_chart_from_the_runs_tallies_is_the_replayed_one(history, tmp_path):
    # A copy of the history's database without the tallies makes the report replay every observation.
    with open_store(history.settings) as store:
        kept = build_report(store, history.settings, now=NOW).history
        assert set(store.run_tallies([run.run_id for run in kept])) == {run.run_id for run in kept}
        source = sqlite3.connect(store.url.removeprefix("sqlite:///"))
    copy = tmp_path / "replayed.db"
    with closing(source), closing(sqlite3.connect(copy)) as target:
        source.backup(target)
        target.execute("DELETE FROM run_tallies")
        target.commit()
    with Store.open(f"sqlite:///{copy}") as store:
        assert store.run_tallies([run.run_id for run in kept]) == {}
        replayed = build_report(store, history.settings, now=NOW).history
    assert len(kept) >= 3 and replayed == kept
