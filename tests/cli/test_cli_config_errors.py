"""Configuration the CLI cannot use: exit 3 with one line naming the file or key and the problem, no traceback."""

from __future__ import annotations

import pytest

from archiver.cli.commands import main
from support.bounded_cli import run_cli_bounded


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config/archiver.toml here
    for name in ("ARCHIVER_CONFIG", "ARCHIVER_STORAGE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_a_config_file_that_is_not_utf8_exits_3_naming_the_file_and_the_byte(work, capsys):
    config = work / "latin-1.toml"
    config.write_bytes('[storage]\nwarc_prefix = "archiver"\n[fetch]\nuser_agent = "café"\n'.encode("latin-1"))

    code = main(["--config", str(config), "--data-dir", str(work / "archives"), "status"])

    err = capsys.readouterr().err
    assert code == 3, err
    assert str(config) in err and "UTF-8" in err and "line 4" in err and "0xe9" in err
    assert "Traceback" not in err


def test_a_config_file_that_never_ends_is_refused_within_bounded_memory(tmp_path):
    run = run_cli_bounded(["--config", "/dev/zero", "--data-dir", str(tmp_path / "archives"), "status"], tmp_path,
                          timeout=60, address_space=512 << 20)
    assert run.exit_code == 3, run.stderr
    assert "/dev/zero" in run.stderr and "at most" in run.stderr


@pytest.mark.parametrize("key", ["feeds", "sitemaps"])
def test_a_feed_or_sitemap_that_is_neither_a_url_nor_a_file_exits_3_naming_it(work, monkeypatch, capsys, key):
    monkeypatch.setenv("ARCHIVER_FETCH_EXTRACT_PROCESSES", "0")
    config = work / "archiver.toml"
    config.write_text(f'[sources]\n{key} = ["notaurl"]\n')
    data_dir = str(work / "archives")

    code = main(["--config", str(config), "--data-dir", data_dir, "run"])

    err = capsys.readouterr().err
    assert code == 3, err
    assert f"sources.{key}" in err and "notaurl" in err and "http(s) URL" in err
    # What is right is kept: an http(s) URL, and a file that exists (relative to the config file).
    (work / "local.xml").write_text("<rss version='2.0'><channel></channel></rss>\n")
    config.write_text(f'[sources]\n{key} = ["https://news.test/{key}.xml", "local.xml"]\n')
    assert main(["--config", str(config), "--data-dir", data_dir, "status"]) == 0
