"""The CLI, in-process: verbs, output and exit codes."""

from __future__ import annotations

import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from archiver.cli.commands import main
from support.fakeweb import serve_fakeweb, write_run_config

SEED = Path(__file__).resolve().parents[1] / "support" / "seeds" / "seed-article.md"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config/archiver.toml here: defaults apply
    monkeypatch.setenv("ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("ARCHIVER_FETCH_PER_HOST_DELAY", "0s")
    return tmp_path / "archives"


def test_archive_prints_a_summary_per_article(data_dir, capsys):
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        code = main(["--data-dir", str(data_dir), "archive", web.article_url])
    out = capsys.readouterr().out
    assert code == 0
    assert "Builders to help with reconstruction" in out
    assert "10 references, 7 captured, 3 without a response; 6 healthy, 4 failing" in out
    assert "dns_error 1" in out and "unsupported 1" in out
    assert list((data_dir / "warcs").glob("*.warc.gz"))


def test_status_lists_registered_articles(data_dir, capsys):
    assert main(["--data-dir", str(data_dir), "add", "https://news.test/a", "https://news.test/b"]) == 0
    assert "2 article(s) added" in capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "add", "https://news.test/a"]) == 0
    assert "1 already registered" in capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "status"]) == 0
    out = capsys.readouterr().out
    assert "https://news.test/a" in out and "https://news.test/b" in out and "never" in out


def test_status_lists_the_newest_articles_and_all_of_them_with_all(data_dir, capsys):
    urls = [f"https://news.test/{n:02d}" for n in range(25)]
    assert main(["--data-dir", str(data_dir), "add", *urls]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "status"]) == 0
    out = capsys.readouterr().out
    listed = [line.split("\t")[0] for line in out.splitlines() if line.startswith("https://news.test/")]
    assert listed == urls[5:]  # the newest 20, oldest first
    assert "25 article(s) in" in out and "(20 newest shown; status --all lists all 25)" in out
    assert "references: 0 in 25 article(s)" in out
    assert main(["--data-dir", str(data_dir), "status", "--all"]) == 0
    out = capsys.readouterr().out
    assert [line.split("\t")[0] for line in out.splitlines() if line.startswith("https://news.test/")] == urls
    assert "newest shown" not in out and out.count("article\ttitle\t") == 1


def test_import_keeps_good_documents_and_rejects_bad_ones(data_dir, tmp_path, capsys):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "good.md").write_text(SEED.read_text())
    (folder / "list.txt").write_text("# two articles\nhttps://news.test/one\n\nhttps://news.test/two\n")
    bad = folder / "no-url.md"
    bad.write_text("# A title\n\nJuly 1, 2022\n\nBody without its original URL.\n")
    code = main(["--data-dir", str(data_dir), "import", str(folder)])
    captured = capsys.readouterr()
    assert code == 3
    assert "3 article(s) added" in captured.out
    assert str(bad) in captured.err and "Original url" in captured.err


@pytest.mark.parametrize(
    "args, env, needle",
    [
        (["archive", "not a url"], {}, "invalid URL"),
        (["archive"], {}, "Missing"),
        (["frobnicate"], {}, "No such command"),
        (["status"], {"ARCHIVER_FETCH_MAX_REDIRECTS": "lots"}, "fetch.max_redirects"),
        (["status"], {"ARCHIVER_NOPE_X": "1"}, "nope"),
    ],
)
def test_usage_and_config_errors_exit_3(data_dir, capsys, monkeypatch, args, env, needle):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["--data-dir", str(data_dir), *args]) == 3
    assert needle in capsys.readouterr().err


def test_bad_config_file_exits_3_naming_the_key(tmp_path, capsys):
    config = tmp_path / "archiver.toml"
    config.write_text('[fetch]\ntotal_timeout = "whenever"\n')
    assert main(["--config", str(config), "status"]) == 3
    err = capsys.readouterr().err
    assert "fetch.total_timeout" in err and "whenever" in err and "expected" in err


def test_run_registers_configured_sources_and_captures_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        config = write_run_config(tmp_path, web.article_url)
        code = main(["--config", str(config), "run"])
    assert code == 0
    assert "10 references" in capsys.readouterr().out
    assert main(["--config", str(config), "status"]) == 0
    assert web.article_url in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "archiver", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "archiver" in result.stdout


def test_run_captures_new_articles_once_then_checks_only_what_is_due(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        config = write_run_config(tmp_path, web.article_url)
        assert main(["--config", str(config), "run"]) == 0
        first = capsys.readouterr().out
        article_hits = sum(1 for seen in web.news.requests if seen.path == "/2022/07/19/builders-a1")
        assert main(["--config", str(config), "run"]) == 0
        second = capsys.readouterr().out
        assert sum(1 for seen in web.news.requests if seen.path == "/2022/07/19/builders-a1") == article_hits
    assert "10 references" in first
    # Nothing is due minutes later: alive links wait 7 days, failing ones 36 hours.
    assert "checked 0 URL(s)" in second and "10 references" not in second


def test_check_all_rechecks_every_link_and_prints_verdicts(data_dir, capsys):
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        assert main(["--data-dir", str(data_dir), "archive", web.article_url]) == 0
        capsys.readouterr()
        assert main(["--data-dir", str(data_dir), "check", "--all"]) == 0
    out = capsys.readouterr().out
    # The mailto: reference is never fetched again: it stays unverifiable from the first check.
    assert "checked 9 URL(s): alive 5, moved 1, suspect 3" in out


def test_check_of_an_unknown_article_is_a_usage_error(data_dir, capsys):
    assert main(["--data-dir", str(data_dir), "check", "--article", "https://news.test/unknown"]) == 3
    assert "no registered article" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["archiver", "archiver.cli"])
def test_python_dash_m_runs_the_cli(module, tmp_path):
    done = subprocess.run([sys.executable, "-m", module, "--data-dir", str(tmp_path / "archives"), "status"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "0 article(s) in" in done.stdout
