"""`archiver report` in-process: formats, exit codes (2 failing links, 0 none, 3 bad usage), -o, and `run`'s reports."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from archiver.cli.commands import main
from archiver.report import FORMAT_NAMES
from support.fakeweb import serve_fakeweb, write_run_config
from support.report_history import shared_report_history, validated_report


@pytest.fixture(scope="session")
def history(tmp_path_factory):
    return shared_report_history(tmp_path_factory)


@pytest.fixture
def report(history, tmp_path, monkeypatch):
    """archiver --data-dir <history> report ARGS... -> exit code (no config file in the working directory)."""
    monkeypatch.chdir(tmp_path)
    return lambda *args: main(["--data-dir", str(history.data_dir), "report", *args])


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_every_format_exits_2_while_links_are_dead_rotten_or_drifted(report, history, capsys, name):
    article = ["--article", history.article_url] if name == "robustlinks" else []
    assert report("--format", name, *article) == 2
    out = capsys.readouterr().out
    assert history.urls["gone"] in out
    if name == "json":
        report_json = validated_report(out)
        verdicts = {link["url"]: link["verdict"] for article in report_json["articles"] for link in article["links"]}
        assert verdicts == history.url_verdicts()


def test_exit_0_when_no_link_has_a_fail_on_verdict(report, history, capsys):
    assert report("--article", history.hostile_article_url, "--fail-on", "dead,moved") == 0
    assert report("--fail-on", "") == 0
    out = capsys.readouterr().out
    assert "19 references (one per article and link) in 2 articles" in out and "0 failing" in out


def test_json_since_a_date_for_one_article_to_a_file(report, history, tmp_path):
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    assert report("--format", "json", "--since", "2026-01-06", "--article", history.article_url, "-o", str(target)) == 2
    report_json = validated_report(target.read_text("utf-8"))
    assert report_json["article_filter"] == history.article_url and report_json["since"] == "2026-01-06T00:00:00Z"
    assert [article["url"] for article in report_json["articles"]] == [history.article_url]
    assert history.urls["drifted"] in [change["url"] for change in report_json["changes"]["newly_drifted"]]
    assert list(target.parent.iterdir()) == [target]  # the temporary file was renamed into place


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--since", "last tuesday"], "LAST or an ISO date"),
        (["--format", "pdf"], "unknown report format"),
        (["--article", "https://news.test/never-registered"], "no registered article"),
        (["--format", "robustlinks"], "needs --article"),
        (["--fail-on", "dead,deadish"], "unknown verdict deadish"),
        (["-o", "/nonexistent-dir/report.txt"], "cannot write"),
    ],
)
def test_bad_usage_exits_3(report, capsys, args, needle):
    assert report(*args) == 3
    assert needle in capsys.readouterr().err


def test_run_writes_timestamped_and_latest_reports(tmp_path, monkeypatch, capsys):
    for name, value in {"ALLOW_PRIVATE_NETWORKS": "true", "PER_HOST_DELAY": "0s", "RETRIES": "0"}.items():
        monkeypatch.setenv(f"ARCHIVER_FETCH_{name}", value)
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        config = write_run_config(tmp_path, web.article_url)
        assert main(["--config", str(config), "run"]) == 0
    reports = tmp_path / "archives" / "reports"
    names = sorted(path.name for path in reports.iterdir())
    assert len(names) == 4 and names[:2] == ["latest.html", "latest.json"], names
    stamped_json = reports / next(name for name in names if name.startswith("report-") and name.endswith(".json"))
    assert (reports / "latest.json").read_bytes() == stamped_json.read_bytes()
    latest = validated_report((reports / "latest.json").read_text("utf-8"))
    assert latest["summary"]["references"] == 10 and latest["history"][0]["checked"] == 10
    # A run's JSON: counts, news and history, no article (the whole archive's is `report --format json`).
    assert latest["scope"] == "news" and latest["articles"] == []
    assert "<title>Link health report</title>" in (reports / "latest.html").read_text("utf-8")
    assert f"report: {reports}" in capsys.readouterr().out


def test_the_cut_default_view_still_exits_2_and_says_how_many_more(report, history, capsys, monkeypatch):
    monkeypatch.setenv("ARCHIVER_REPORT_CHANGES_SHOWN", "1")
    monkeypatch.setenv("ARCHIVER_REPORT_FAILING_ARTICLES_SHOWN", "1")
    assert report() == 2
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("newly dead\t")] == [
        f"newly dead\t{history.urls['not_found']}\tsuspect -> dead\t{history.article_url}",
        "newly dead\t… and 2 more: see `archiver report --all` / the JSON report"]
    failing = int(out[-1].split("; ")[1].split()[0])  # the summary line: "...; 8 dead/rotten/drifted; ..."
    assert report("--format", "junit") == 2
    junit = capsys.readouterr().out
    assert f'failures="{failing}"' in junit and junit.count("<failure ") == failing > 1
