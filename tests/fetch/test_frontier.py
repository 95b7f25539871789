"""The frontier on a fake clock: which request starts next, counted and ordered, never timed.

Work items stand in for captures: each one acquires its host's start, as the Fetcher's
first request does, then whatever else the test says (a second host, as a redirect hop).
"""

from __future__ import annotations

import itertools
import threading

from archiver.fetch.frontier import Frontier
from archiver.fetch.hosts import HostKey
from archiver.fetch.task_run import TaskRun
from support.polite import WAIT, FakeClock, StartLog
from support.waiting import eventually


def host(name: str) -> HostKey:
    return HostKey(name, 80)


def url(name: str, n: int) -> str:
    return f"http://{name}/{n}"


def one_request(frontier: Frontier):
    """Work that makes one request to its URL's host (with the start its task was granted)."""

    def work(item: str) -> str:
        key = host(item.split("/")[2])
        frontier.acquire(key)
        frontier.release(key)
        return item

    return work


def run_all(frontier: Frontier, work, urls: list[str], threads: int) -> list[str]:
    with TaskRun(frontier, work, threads) as run:
        for each in urls:
            run.put(each, each)
        done = [item for item, _, error in run.results() if error is None]
    assert len(done) == len(urls)
    return done


def test_small_hosts_start_before_the_busiest_host_runs_ahead():
    """Host A holds 200 URLs, B to K hold 2 each: every B-K request starts before A's 10th."""
    starts, clock = StartLog(), FakeClock()
    frontier = Frontier(2, 1.0, global_limit=16, clock=clock, on_start=starts)
    frontier.answered(host("a"), 200)  # A has earned its two slots
    small = [chr(c) for c in range(ord("b"), ord("k") + 1)]
    urls = [url("a", n) for n in range(200)] + [url(name, n) for name in small for n in range(2)]
    # One worker: the fake clock moves whenever a thread waits for a time, so with one thread it moves
    # exactly when nothing else could start, as real time would.
    run_all(frontier, one_request(frontier), urls, threads=1)
    order = [key.host for key, _ in starts.starts]
    assert order[0] == "a"  # the busiest host goes first
    tenth_of_a = [i for i, name in enumerate(order) if name == "a"][9]
    assert all(i < tenth_of_a for i, name in enumerate(order) if name != "a")
    assert order.count("a") == 200 and len(order) == 220


def test_starts_to_one_host_are_a_delay_apart_and_hosts_do_not_wait_for_each_other():
    starts, clock = StartLog(), FakeClock()
    frontier = Frontier(2, 1.0, clock=clock, on_start=starts)
    run_all(frontier, one_request(frontier), [url(name, n) for name in "xyz" for n in range(5)], threads=1)
    for name in "xyz":
        times = sorted(when for key, when in starts.starts if key.host == name)
        assert len(times) == 5 and all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))
    first_starts = {key.host: when for key, when in reversed(starts.starts)}
    assert len(set(first_starts.values())) == 1  # all three hosts started at once


def test_a_host_in_back_off_holds_no_thread():
    """A host told to wait 30 s keeps its 50 URLs queued; one worker thread serves the other host meanwhile."""
    starts, clock = StartLog(), FakeClock()
    frontier = Frontier(2, 1.0, clock=clock, on_start=starts)
    frontier.acquire(host("slow"))
    frontier.answered(host("slow"), 429, retry_after=30.0)
    frontier.release(host("slow"))
    start = clock.monotonic()
    urls = [url("slow", n) for n in range(50)] + [url("quick", n) for n in range(5)]
    run_all(frontier, one_request(frontier), urls, threads=1)
    order = [(key.host, when) for key, when in starts.starts[1:]]
    assert [name for name, _ in order[:5]] == ["quick"] * 5  # one thread, not held by the parked host
    assert all(when >= start + 30.0 for name, when in order if name == "slow")
    assert len(order) == 55


def test_a_redirect_to_another_host_waits_in_that_hosts_queue():
    """A hop to a busy host takes its turn there, a delay after that host's last start, and others go on."""
    starts, clock = StartLog(), FakeClock()
    frontier = Frontier(1, 1.0, clock=clock, on_start=starts)
    plain = one_request(frontier)

    def work(item: str) -> str:
        if item.startswith("http://origin/"):
            plain(item)
            frontier.acquire(host("busy"))  # the redirect's hop, inside the same capture
            frontier.release(host("busy"))
            return item
        return plain(item)

    urls = [url("busy", n) for n in range(4)] + [url("origin", 0)] + [url("other", n) for n in range(3)]
    run_all(frontier, work, urls, threads=3)
    busy = sorted(when for key, when in starts.starts if key.host == "busy")
    assert len(busy) == 5 and all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(busy))
    others = [when for key, when in starts.starts if key.host == "other"]
    assert max(others) < busy[-1]  # the other host was not held up by the hop waiting for "busy"


def test_a_retry_waits_in_the_queue_holding_no_slot_and_no_other_hosts_thread():
    """While a retry waits out its 10 s (time frozen), its host's other URL and another host's URLs all start."""
    starts, clock = StartLog(), FakeClock()
    frontier = Frontier(2, 0.0, clock=clock, on_start=starts)
    frontier.answered(host("flaky"), 200)
    retry_waiting = threading.Event()

    def work(item: str) -> str:
        key = host(item.split("/")[2])
        frontier.acquire(key)
        frontier.release(key)
        if item == url("flaky", 0):
            retry_waiting.set()
            frontier.acquire(key, not_before=clock.monotonic() + 10.0)  # the retry, 10 s later
            frontier.release(key)
        return item

    begin = clock.monotonic()
    with TaskRun(frontier, work, threads=2) as run:
        results = run.results()
        with clock.frozen():
            run.put(url("flaky", 0), url("flaky", 0))
            assert retry_waiting.wait(WAIT)
            others = [url("flaky", 1)] + [url("steady", n) for n in range(3)]
            for each in others:
                run.put(each, each)
            assert sorted(item for item, _, _ in itertools.islice(results, 4)) == sorted(others)
        assert [item for item, _, error in results if error is None] == [url("flaky", 0)]
    assert all(when == begin for key, when in starts.starts[:-1])
    assert starts.starts[-1] == (host("flaky"), begin + 10.0)


def test_never_more_than_the_global_limit_in_flight():
    clock = FakeClock()
    frontier = Frontier(2, 0.0, global_limit=3, clock=clock)
    in_flight, most, lock = [0], [0], threading.Lock()

    def work(item: str) -> str:
        key = host(item.split("/")[2])
        frontier.acquire(key)
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        with lock:
            in_flight[0] -= 1
        frontier.release(key)
        return item

    run_all(frontier, work, [url(f"h{n}", m) for n in range(10) for m in range(3)], threads=8)
    assert most[0] <= 3


def test_a_retry_due_later_is_not_forgotten_while_its_host_waits_for_a_worker():
    """One worker, parked in its own retry; its host also has a task that needs a worker. Neither waits forever."""
    clock = FakeClock()
    frontier = Frontier(2, 0.0, clock=clock)
    frontier.answered(host("h"), 200)

    def work(item: str) -> str:
        frontier.acquire(host("h"))
        frontier.release(host("h"))
        if item == url("h", 0):
            frontier.acquire(host("h"), not_before=clock.monotonic() + 10.0)  # the only worker waits here
            frontier.release(host("h"))
        return item

    finished: list[str] = []
    runner = threading.Thread(target=lambda: finished.extend(run_all(frontier, work, [url("h", 0), url("h", 1)], 1)),
                              daemon=True)  # a failing run must not keep the test process alive
    runner.start()
    runner.join(WAIT)
    assert not runner.is_alive(), "the parked retry was never woken"
    assert sorted(finished) == [url("h", 0), url("h", 1)]


def test_results_not_yet_taken_hold_their_workers():
    """A caller slower than the network: no more than `threads` results run or wait untaken, holding pages.

    The caller takes nothing until three results wait; each later start must find a result taken for it.
    """
    frontier = Frontier(2, 0.0, clock=FakeClock())
    threads, taken, started, overdrawn = 3, [0], [0], []
    lock = threading.Lock()

    def work(item: str) -> str:
        with lock:
            started[0] += 1
            if started[0] - taken[0] > threads:
                overdrawn.append((item, started[0], taken[0]))
        return one_request(frontier)(item)

    urls = [url(f"h{n % 4}", n) for n in range(12)]
    with TaskRun(frontier, work, threads) as run:
        for each in urls:
            run.put(each, each)
        assert eventually(lambda: run._finished.qsize() >= threads, WAIT)
        done = []
        for item, _, error in run.results():
            assert error is None
            with lock:
                taken[0] += 1
            done.append(item)
    assert sorted(done) == sorted(urls)
    assert overdrawn == []
