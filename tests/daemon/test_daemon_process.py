"""Real daemons in subprocesses (`python -m archiver daemon`) on a loopback web.

One daemon per data dir; SIGTERM in the middle of a slow-drip download; exactly
one catch-up run after downtime; on SQLite and PostgreSQL. Command-line writers
beside a running daemon: test_concurrent_use.py, which uses the helpers here.
Every wait is on a condition with a bounded timeout.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest
import sqlalchemy

from archiver.daemon.schedule import scheduled_runs
from archiver.store import Store
from support.daemon_process import WAIT, DaemonProcess, article_linking_to, eventually, write_config
from support.fakeweb import HTML, reference_page
from support.loopback import LoopbackServer, RawServer, Reply, read_request_head
from support.warc_audit import audit_warc


def runs(database_url: str) -> list[tuple[str, str]]:
    """(kind, status) of every run so far; none before the daemon made the schema."""
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            if not sqlalchemy.inspect(connection).has_table("runs"):
                return []
            return [tuple(row) for row in connection.execute(sqlalchemy.text("SELECT kind, status FROM runs ORDER BY id"))]
    finally:
        engine.dispose()


def test_a_second_daemon_on_the_same_data_dir_exits_3_at_once(tmp_path, database_url):
    config = write_config(tmp_path / "archiver.toml", database=database_url, capture="interval 1h")
    data_dir = tmp_path / "archives"
    first = DaemonProcess(config, data_dir, "first")
    try:
        first.wait_started()
        second = DaemonProcess(config, data_dir, "second")
        assert second.process.wait(WAIT) == 3
        assert f"another archiver daemon (pid {first.process.pid}" in second.stderr
        assert "only one daemon may run per data dir" in second.stderr
        assert first.process.poll() is None
        assert first.stop() == 0
    finally:
        first.kill()




@pytest.mark.slow
@pytest.mark.parametrize("second_signal", [False, True], ids=["deadline", "second-signal"])
def test_sigterm_during_a_slow_drip_closes_every_warc_and_exits_0(tmp_path, second_signal, database_url):
    dripping = threading.Event()

    def drip(conn, stop):
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000\r\n\r\n<html>")
        while not stop.wait(0.1):  # ten bytes a second: never done before the fetch deadline (60 s)
            conn.sendall(b"<p>drip</p>")
            dripping.set()

    with LoopbackServer() as site, RawServer(drip) as slow:
        site.routes["/story"] = Reply(headers=HTML, body=article_linking_to([site.url("/ok.html"), slow.url("/slow")]))
        site.routes["/ok.html"] = Reply(headers=HTML, body=reference_page("A source"))
        stop_timeout = 60 if second_signal else 2
        config = write_config(tmp_path / "archiver.toml", database=database_url, stop_timeout=f"{stop_timeout}s",
                              articles=[site.url("/story")])
        daemon = DaemonProcess(config, tmp_path / "archives")
        try:
            daemon.wait_started()
            assert dripping.wait(WAIT), f"the daemon never reached the slow reference: {daemon.stderr}"
            daemon.process.send_signal(signal.SIGTERM)
            if second_signal:
                assert eventually(lambda: "stopping" in daemon.stderr)
                daemon.process.send_signal(signal.SIGTERM)
            # Within the deadline (plus time to close up), and long before the 60 s fetch deadline.
            assert daemon.process.wait(2 + 15 if not second_signal else 15) == 0, daemon.stderr
        finally:
            daemon.kill()
    warc_dir = tmp_path / "archives" / "warcs"
    assert list(warc_dir.glob("*.open")) == []
    warcs = sorted(warc_dir.glob("*.warc.gz"))
    assert warcs, daemon.stderr
    uris = [record["uri"] for path in warcs for record in audit_warc(path)]
    assert site.url("/story") in uris  # the article written before the stop is there, complete
    assert runs(database_url)[-1] == ("capture", "interrupted")
    assert "closing" in daemon.stderr and "Traceback" not in daemon.stderr


@pytest.mark.slow
def test_runs_missed_while_stopped_become_exactly_one_catch_up_run(tmp_path, database_url):
    interval = 6  # seconds: long beside a daemon's start-up, so only the catch-up run fits before the next
    config = write_config(tmp_path / "archiver.toml", database=database_url, capture=f"interval {interval}s")
    data_dir = tmp_path / "archives"
    database = database_url
    first = DaemonProcess(config, data_dir, "first")
    try:
        first.wait_started()
        assert eventually(lambda: runs(database) == [("capture", "ok")], timeout=interval + WAIT)
        assert first.stop() == 0
    finally:
        first.kill()
    with Store.open(database) as store:
        due = scheduled_runs(store)["capture"]
    # Stay stopped past two due times: `due` and the one after it.
    assert eventually(lambda: time.time() > due.timestamp() + interval + 0.5, timeout=2 * interval + 5)
    second = DaemonProcess(config, data_dir, "second")
    try:
        second.wait_started()
        assert eventually(lambda: len(runs(database)) == 2 and runs(database)[-1][1] == "ok")
        assert second.stop() == 0
    finally:
        second.kill()
    assert runs(database) == [("capture", "ok"), ("capture", "ok")]
    assert "2 run(s) were due while the daemon was stopped" in second.stderr
    assert "coalesced into one catch-up run" in second.stderr
