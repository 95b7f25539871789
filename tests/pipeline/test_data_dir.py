"""The data dir before a command uses it: unusable ones (read-only, a file) exit 3 naming the path and the
reason, and leftover `.open` WARCs are recovered by any command, `status` included."""

from __future__ import annotations

import threading

import pytest

from archiver.cli.commands import main
from archiver.logs import close_logging
from support.crash import archive_process, check_db_points_at_warcs, settings_for
from support.daemon_process import article_linking_to
from support.fakeweb import HTML
from support.loopback import LoopbackServer, RawServer, Reply, read_request_head
from support.mounts import needs_root, remount_read_only, tmpfs

EXIT_USAGE = 3
BOUND = 30  # seconds: a bound for what takes one


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config/archiver.toml here: defaults apply
    for name, value in {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s"}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@needs_root
@pytest.mark.parametrize("command, data_dir_name", [("archive", "fresh"), ("daemon", "used")])
def test_a_read_only_data_dir_exits_3_naming_the_path_and_the_reason(in_tmp, capsys, command, data_dir_name):
    mount = in_tmp / "mount"
    with tmpfs(mount):
        try:
            used = mount / "used"
            assert main(["--data-dir", str(used), "add", "https://news.test/story"]) == 0
            close_logging()  # its log file is open for writing: no remount to read-only while it is
            remount_read_only(mount)
            capsys.readouterr()
            data_dir = mount / data_dir_name
            args = ["archive", "https://news.test/story"] if command == "archive" else ["daemon"]
            assert main(["-q", "--data-dir", str(data_dir), *args]) == EXIT_USAGE
            err = capsys.readouterr().err
        finally:
            close_logging()
    assert f"cannot use {data_dir}" in err and "read-only file system" in err.lower(), err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [["archive", "https://news.test/story"], ["status"], ["daemon"], ["report"],
                                     ["lookup", "https://news.test/story"]])
def test_a_data_dir_that_is_a_file_exits_3(in_tmp, capsys, monkeypatch, command):
    data_dir = in_tmp / "archives"
    data_dir.write_text("not a folder\n")
    monkeypatch.setenv("ARCHIVER_STORAGE_DATA_DIR", str(data_dir))  # --data-dir is checked by click already
    assert main(["-q", *command]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"cannot use {data_dir}: not a folder" in err and "Traceback" not in err, err


def test_status_recovers_the_open_warc_a_killed_run_left(in_tmp, capsys):
    data_dir = in_tmp / "archives"
    settings = settings_for(data_dir)
    asked = threading.Event()

    def never_answer(conn, stop) -> None:
        read_request_head(conn)
        asked.set()
        stop.wait(BOUND)

    with LoopbackServer() as site, RawServer(never_answer) as silent:
        # The article is captured and stored; its one reference never answers, and the run is killed there.
        site.routes["/story"] = Reply(headers=HTML, body=article_linking_to([silent.url("/slow")]))
        process = archive_process(data_dir, site.url("/story"), in_tmp)
        try:
            assert asked.wait(BOUND), "the run never reached the reference"
        finally:
            process.kill()
            process.communicate(timeout=BOUND)
    assert list(settings.storage.warc_dir.glob("*.open"))
    assert main(["--data-dir", str(data_dir), "status"]) == 0
    assert site.url("/story") in capsys.readouterr().out
    assert not list(settings.storage.warc_dir.glob("*.open"))
    assert check_db_points_at_warcs(settings) > 0  # the article's capture rows, at their record in the closed WARC
