"""PageExtractor: extraction in worker processes gives what the calling thread would, and survives its workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

from archiver.pipeline.extraction import PageExtractor, extract_page
from support.articles import DATE_IN_TEXT_ONLY
from support.fakeweb import reference_page
from support.waiting import eventually

PAGES = [(reference_page(f"Reference {n}", paragraphs=3 + n % 4), f"http://127.0.0.1/ref/{n}") for n in range(12)]


@pytest.fixture
def extractor():
    pages = PageExtractor(2, pages_before_pool=0)
    yield pages
    pages.close()


def worker_pids(extractor: PageExtractor) -> list[int]:
    # The executor's own table of its workers: they are the forkserver's children, not ours.
    return list(extractor._pool._processes) if extractor._pool is not None else []


def test_workers_give_what_the_calling_thread_gives(extractor):
    with ThreadPoolExecutor(4) as threads:  # as the fetch threads call it: concurrently
        pooled = list(threads.map(lambda page: extractor(page[0], page[1], "utf-8", False), PAGES))
    assert pooled == [extract_page(body, url, "utf-8", False) for body, url in PAGES]
    assert worker_pids(extractor) and os.getpid() not in worker_pids(extractor)
    dated = extractor(DATE_IN_TEXT_ONLY, "http://127.0.0.1/notes/1", None, True)
    assert dated.extracted.published == "2021-03-14" and dated.text_hash and dated.text_fingerprint
    # the capture's time reaches the worker: a date after the capture is no publication date
    captured_before = extractor(DATE_IN_TEXT_ONLY, "http://127.0.0.1/notes/1", None, True,
                                captured_at=datetime(2021, 1, 1, tzinfo=timezone.utc))
    assert captured_before.in_worker and captured_before.extracted.published is None


def test_workers_are_replaced_after_their_pages_while_pages_queue_up():
    """Python 3.11's max_tasks_per_child never replaces a worker that leaves while pages are queued (gh-115634):
    every page after it waited forever. The pool is replaced whole instead, and every page comes back."""
    pages = PageExtractor(1, pages_before_pool=0, pages_per_worker=3)
    try:
        with ThreadPoolExecutor(8) as threads:  # eight fetch threads at once: a queue in front of one worker
            done = threads.map(lambda page: pages(page[0], page[1], None, False), PAGES * 3, timeout=60)
            results = list(done)
        assert results == [extract_page(body, url, None, False) for body, url in PAGES * 3]
        assert sum(result.in_worker for result in results) > len(results) // 2
    finally:
        pages.close()


def test_no_workers_until_a_run_has_enough_pages_and_none_after_close():
    pages = PageExtractor(2, pages_before_pool=3)
    for body, url in PAGES[:3]:
        assert pages(body, url, None, False).in_worker is False and pages._pool is None
    assert pages(*PAGES[3], None, False).in_worker is True
    workers = worker_pids(pages)
    assert len(workers) >= 1
    pages.close()
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # gone (reaped by the forkserver), not left running
    assert pages(*PAGES[1], None, False) == extract_page(*PAGES[1], None, False)  # after close: on this thread


def test_a_dead_worker_costs_no_page_and_new_workers_take_over(extractor):
    expected = extract_page(*PAGES[2], None, False)
    extractor(*PAGES[0], None, False)
    first_workers = worker_pids(extractor)
    for pid in first_workers:
        os.kill(pid, signal.SIGKILL)  # a crash in a C parser, the OOM killer
    assert extractor(*PAGES[2], None, False) == expected  # extracted on this thread instead
    assert extractor(*PAGES[2], None, False) == expected  # and by a fresh pool
    assert worker_pids(extractor) and not set(worker_pids(extractor)) & set(first_workers)


def ignored_signals(pid: int) -> set[int]:
    with open(f"/proc/{pid}/status") as status:
        mask = int(next(line for line in status if line.startswith("SigIgn:")).split()[1], 16)
    return {number for number in range(1, 65) if mask >> (number - 1) & 1}


def test_workers_ignore_the_stop_signals_their_parent_handles(extractor):
    # systemd signals the whole group on stop: the daemon must still get the pages in flight extracted.
    extractor(*PAGES[0], None, False)
    for pid in worker_pids(extractor):
        assert {signal.SIGTERM, signal.SIGINT} <= ignored_signals(pid)
    assert not {signal.SIGTERM, signal.SIGINT} & ignored_signals(os.getpid())


ORPHAN_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from archiver.pipeline.extraction import PageExtractor
from support.fakeweb import reference_page
pages = PageExtractor(2, pages_before_pool=0)
assert pages(reference_page("Orphans"), "http://127.0.0.1/ref/o", None, False).in_worker
print(json.dumps(list(pages._pool._processes)), flush=True)
sys.stdin.read()  # until killed
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone but for its exit status
    except FileNotFoundError:
        return False


def test_workers_exit_when_the_capturing_process_is_killed():
    # SIGKILL leaves nobody to shut the pool down: the workers must not outlive it, holding memory
    # and the dead process's stderr (which kept a crash test's communicate() waiting).
    process = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT, str(Path(__file__).resolve().parents[1])],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        workers = json.loads(process.stdout.readline())
        assert workers and all(alive(pid) for pid in workers)
        process.kill()
        _, stderr = process.communicate(timeout=30)  # returns only once every holder of the pipes is gone
    finally:
        process.kill()
    assert eventually(lambda: not any(alive(pid) for pid in workers), timeout=30), stderr.decode()[-2000:]
