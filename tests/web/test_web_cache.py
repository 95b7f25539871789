"""The aggregate cache: a page never waits for an archive-wide count once one exists; recounts are rate-limited."""

from __future__ import annotations

import threading

from archiver.web.cache import AggregateCache
from support.waiting import eventually


def test_counts_run_in_the_background_and_pages_get_the_last_value():
    version, calls, release = [1], [], threading.Event()

    def compute():
        calls.append(version[0])
        release.wait(30)  # bounded: the test releases it
        return f"counted at version {version[0]}"

    cache = AggregateCache(lambda: tuple(version), min_interval=0.0)
    assert cache.get("totals", compute) == (None, None)  # the first count has only started
    assert cache.get("totals", compute) == (None, None)  # and is not started twice
    release.set()
    assert eventually(lambda: cache.get("totals", compute)[0] == "counted at version 1", timeout=30)
    assert calls == [1]
    release.clear()
    version[0] = 2
    assert cache.get("totals", compute)[0] == "counted at version 1"  # stale, while the recount runs
    release.set()
    assert eventually(lambda: cache.get("totals", compute)[0] == "counted at version 2", timeout=30)
    assert calls == [1, 2]


def test_a_recount_waits_for_min_interval_after_the_last():
    version, calls = [1], []
    cache = AggregateCache(lambda: tuple(version), min_interval=3600.0)
    assert eventually(lambda: cache.get("hosts", lambda: calls.append(1) or len(calls))[0] == 1, timeout=30)
    version[0] = 2
    assert cache.get("hosts", lambda: calls.append(1) or len(calls))[0] == 1  # no recount within the hour
    assert calls == [1]


def test_without_background_the_count_is_made_within_the_request():
    version = [1]
    cache = AggregateCache(lambda: tuple(version), background=False)
    assert cache.get("totals", lambda: version[0] * 10)[0] == 10
    version[0] = 2
    assert cache.get("totals", lambda: version[0] * 10)[0] == 20
