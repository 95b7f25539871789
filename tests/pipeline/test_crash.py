"""Crash safety: an archive run SIGKILLed at many points loses nothing the database calls complete.

One data dir is reused across kills (as on a real server). After each kill the next start
(open_pipeline, as every command that archives runs it) recovers the `.open` file; then no
`.open` file is left, every new capture row points inside its WARC at the record it names,
and at the end every WARC passes the full audit.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from archiver.pipeline import open_pipeline
from support.crash import archive_process, check_db_points_at_warcs, reaped, run_rows, settings_for
from support.fakeweb import serve_fakeweb
from support.loopback import RawServer, Reply, read_request_head
from support.warc_audit import audit_warc, walk_members

KILLS = 50
BIG = 1_000_000  # random bytes: incompressible, and a fresh payload per request (no revisit records)
RUN_BOUND = 30.0  # no single run may take longer than this (a bound, not a benchmark)


def big_reference(seen) -> Reply:
    return Reply(headers=(("Content-Type", "application/pdf"),), body=b"%PDF-1.4\n" + os.urandom(BIG))


def serve_big_fakeweb(stack: ExitStack):
    web = serve_fakeweb(stack)
    web.refs_b.routes["/files/report.pdf"] = big_reference
    return web



def open_file_sizes(warc_dir: Path) -> list[int]:
    """The sizes of the `.open` files now; one renamed away (its run closed it) between listing and stat is gone."""
    sizes = []
    for path in warc_dir.glob("*.open"):  # nothing when the folder does not exist yet
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:
            pass
    return sizes


def kill_at_random_point(process: subprocess.Popen, warc_dir: Path, rng: random.Random) -> str:
    """SIGKILL the run after a random delay or once its `.open` file reaches a random size; say which."""
    started = time.monotonic()
    if rng.random() < 0.3:
        point, delay = "delay", rng.uniform(0.0, 1.5)
        while time.monotonic() - started < delay and process.poll() is None:
            time.sleep(0.005)
    else:
        point, size = "size", rng.randrange(0, BIG + 100_000)
        while time.monotonic() - started < RUN_BOUND and process.poll() is None:
            sizes = open_file_sizes(warc_dir)
            if sizes and max(sizes) >= size:
                break
            time.sleep(0.002)
    if process.poll() is not None:
        return "finished"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    return point


@pytest.mark.slow
@pytest.mark.timeout(420)  # the kill loop bounds itself at 240 s; the audit of ~45 WARCs by four validators follows
def test_sigkill_at_random_points_loses_nothing_the_database_calls_complete(tmp_path):
    rng = random.Random(20261126)
    data_dir = tmp_path / "archives"
    settings = settings_for(data_dir)
    warc_dir = settings.storage.warc_dir
    kills = recoveries = finished = cut = removed = 0
    points: dict[str, int] = {}
    checked_id = 0
    started = time.monotonic()
    with ExitStack() as stack:
        web = serve_big_fakeweb(stack)
        while kills < KILLS:
            assert time.monotonic() - started < 240, "the crash loop is far slower than expected"
            with reaped(archive_process(data_dir, web.article_url, tmp_path)) as process:
                point = kill_at_random_point(process, warc_dir, rng)
                _, stderr = process.communicate(timeout=RUN_BOUND)
            points[point] = points.get(point, 0) + 1
            if point == "finished":
                finished += 1
                assert process.returncode == 0, stderr
            else:
                kills += 1
            leftover = list(warc_dir.glob("*.open")) if warc_dir.exists() else []
            sizes = {path: path.stat().st_size for path in leftover}
            with open_pipeline(settings):  # the next start: recovers, opens the store
                pass
            recoveries += sum(not p.exists() for p in leftover)
            assert not list(warc_dir.glob("*.open")), "an .open file survived the next start"
            for path in leftover:  # a recovered file is whole members, or was removed
                final = path.with_name(path.name.removesuffix(".open"))
                if final.exists():
                    assert list(walk_members(final))
                    cut += final.stat().st_size < sizes[path]
                else:
                    removed += 1
            checked_id = check_db_points_at_warcs(settings, checked_id)
        # a last, unkilled run completes on the same data dir
        with reaped(archive_process(data_dir, web.article_url, tmp_path)) as process:
            _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
    check_db_points_at_warcs(settings)
    warcs = sorted(warc_dir.glob("*.warc.gz"))
    audit_started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:  # the audit's tools are subprocesses
        list(pool.map(audit_warc, warcs))
    assert not list(warc_dir.glob("*.open"))
    print(f"\n{kills} kills ({points}), {finished} runs finished before their kill point, "
          f"{recoveries} .open files recovered ({cut} cut back mid-record, {removed} removed as empty), {len(warcs)} WARCs audited "
          f"({time.monotonic() - audit_started:.1f}s), {time.monotonic() - started:.1f}s in all")


def test_a_run_killed_mid_fetch_is_marked_interrupted_at_the_next_start(tmp_path):
    data_dir = tmp_path / "archives"
    settings = settings_for(data_dir)
    asked = threading.Event()

    def never_answer(conn, stop) -> None:
        read_request_head(conn)
        asked.set()
        stop.wait(RUN_BOUND)  # until the server closes: the run is mid-fetch when it is killed

    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        silent = stack.enter_context(RawServer(never_answer))
        process = archive_process(data_dir, silent.url("/story"), tmp_path)
        killed_pid = process.pid
        try:
            assert asked.wait(RUN_BOUND), "the run never asked for its article"
            [(killed_id, status, _)] = run_rows(settings)
            assert status == "running"
        finally:
            process.kill()
            process.communicate(timeout=RUN_BOUND)
        process = archive_process(data_dir, web.article_url, tmp_path, text=True)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
    killed, finished = run_rows(settings)
    assert (killed.id, killed.status) == (killed_id, "interrupted")
    assert f"pid {killed_pid}" in killed.error
    assert finished.status == "ok"
