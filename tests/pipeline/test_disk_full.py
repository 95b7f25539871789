"""Disk full: a run whose WARC hits the file-size limit (EFBIG) stops, says so, and loses nothing.

The child process runs with RLIMIT_FSIZE (and SIGXFSZ ignored, so the write fails with
EFBIG instead of killing it): it must exit 4 with a clear message, take no new fetches,
leave its WARC cut back to the last complete record, and mark its run failed. The next
run, without the limit, continues on the same data dir and succeeds.
"""

from __future__ import annotations

import os
import resource
import signal
from contextlib import ExitStack

import pytest
import sqlalchemy

from archiver.pipeline import open_store
from archiver.store.schema import captures
from support.crash import archive_process, check_db_points_at_warcs, run_rows, settings_for
from support.fakeweb import serve_fakeweb
from support.loopback import Reply
from support.mounts import fill, needs_root, tmpfs
from support.warc_audit import audit_warc

EXIT_STORAGE = 4
LIMIT = 1_500_000  # room for the article, the first references and the database, not for a big body
# Random bytes: the WARC record is as large as the body. The smaller one fits its spool file
# (a temporary file) but not the WARC; the larger one fills even the spool file.
WARC_FULL, SPOOL_FULL = LIMIT - 2_000, 2 * LIMIT


def limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def captured_urls(settings) -> set[str]:
    engine = sqlalchemy.create_engine(settings.storage.database_url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(
                sqlalchemy.select(captures.c.requested_url).where(captures.c.warc_file.is_not(None))).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("big, message", [(WARC_FULL, "cut back"), (SPOOL_FULL, "cannot spool")], ids=["warc", "spool"])
def test_file_size_limit_stops_the_run_with_exit_4_and_the_next_run_succeeds(tmp_path, big, message):
    data_dir = tmp_path / "archives"
    settings = settings_for(data_dir)
    warc_dir = settings.storage.warc_dir
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        big_url = web.refs_b.url("/files/report.pdf")
        web.refs_b.routes["/files/report.pdf"] = Reply(headers=(("Content-Type", "application/pdf"),),
                                                       body=b"%PDF-1.4\n" + os.urandom(big))
        # One request at a time, and 5 s between requests to one host: what waits behind the big one in its
        # host's queue, and each host's second URL, come due long after the disk filled up.
        paced = {"ARCHIVER_FETCH_GLOBAL_CONCURRENCY": "1", "ARCHIVER_FETCH_PER_HOST_DELAY": "5s"}
        process = archive_process(data_dir, web.article_url, tmp_path, paced, preexec_fn=limit_file_size, text=True)
        stdout, stderr = process.communicate(timeout=60)
        print(f"\nexit {process.returncode}; stderr: {stderr.strip()}")
        assert process.returncode == EXIT_STORAGE, (stdout, stderr)
        assert "storage full" in stderr and "File too large" in stderr and message in stderr
        # stops taking new fetches: the URLs queued behind the big one on its host, and the second URL of
        # refs_c, were never requested
        assert [seen.path for seen in web.refs_b.requests] == ["/files/report.pdf"], web.refs_b.requests
        assert "/chunked.html" not in [seen.path for seen in web.refs_c.requests], web.refs_c.requests

        [failed_run] = run_rows(settings)
        assert failed_run.status == "failed" and "RecordError" in failed_run.error, failed_run
        warcs = sorted(warc_dir.glob("*.warc.gz*"))
        assert [p.suffix for p in warcs] == [".gz"], warcs  # closed and renamed at exit, no .open left
        records = audit_warc(warcs[0])
        assert warcs[0].stat().st_size < LIMIT
        assert big_url not in {r["uri"] for r in records}  # the cut record is gone, whole
        assert big_url not in captured_urls(settings)
        check_db_points_at_warcs(settings)

        process = archive_process(data_dir, web.article_url, tmp_path, text=True)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, (stdout, stderr)
    assert [row.status for row in run_rows(settings)] == ["failed", "ok"]
    assert big_url in captured_urls(settings)
    with open_store(settings) as store:
        assert store.last_run().status == "ok"
    check_db_points_at_warcs(settings)
    for path in sorted(warc_dir.glob("*.warc.gz")):
        audit_warc(path)
    assert not list(warc_dir.glob("*.open"))


@needs_root
@pytest.mark.parametrize("room, message", [(0, "no space left"), (64 * 1024, "database or disk is full")],
                         ids=["at-open", "mid-run"])  # 64 kB opens the database, but holds no run's rows
def test_a_database_disk_full_before_the_warcs_exits_4_with_one_line_and_the_data_stays_consistent(
        tmp_path, room, message):
    """The data dir (database, logs, indexes) on a full filesystem, its warcs/ on one with room: SQLite fills first."""
    data_dir = tmp_path / "archives"
    settings = settings_for(data_dir)
    with ExitStack() as stack:
        stack.enter_context(tmpfs(data_dir, size="2m"))
        stack.enter_context(tmpfs(settings.storage.warc_dir, size="32m"))
        web = serve_fakeweb(stack)
        added = archive_process(data_dir, web.article_url, tmp_path, text=True, command="add")
        _, err = added.communicate(timeout=60)
        assert added.returncode == 0, err
        filler = fill(data_dir, leave=room)

        process = archive_process(data_dir, web.article_url, tmp_path, text=True)
        stdout, stderr = process.communicate(timeout=60)
        print(f"\nexit {process.returncode}; stderr: {stderr.strip()}")
        assert process.returncode == EXIT_STORAGE, (stdout, stderr)
        [line] = stderr.splitlines()  # -q: the one line that says what happened, no tracebacks, no logging errors
        assert line.startswith("archiver: storage full") and message in line, line

        filler.unlink()  # (reading the database needs a little room too)
        check_db_points_at_warcs(settings)
        process = archive_process(data_dir, web.article_url, tmp_path, text=True)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, (stdout, stderr)
        statuses = [row.status for row in run_rows(settings)]
        assert statuses[-1] == "ok" and "running" not in statuses, statuses
        check_db_points_at_warcs(settings)
        assert not list(settings.storage.warc_dir.glob("*.open"))
        for path in sorted(settings.storage.warc_dir.glob("*.warc.gz")):
            audit_warc(path)
