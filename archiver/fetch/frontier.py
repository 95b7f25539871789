"""The frontier: per-host queues, and the one place that decides which request starts next.

Everything that sends a request waits here first: a capture's first request,
its robots.txt fetch, each redirect hop, a soft-404 probe, a retry. Each host
has a queue; an entry is either a thread already inside a capture (a *waiter*,
blocked in `acquire`) or a piece of work not yet started (a *task*, handed to
a worker thread of a TaskRun only when its host may start a request).

A host may start a request when it has a free slot (`concurrency`, one until it
has answered once, so a dead host costs one connection attempt) and its delay
since its last start has passed: the largest of per_host_delay, its robots.txt
Crawl-delay and its back-off after 429/503 (backoff.py). Of the hosts that may
start, the one with the most entries waiting goes first, so the busiest host
starts at once and sets the wall time. A host that must wait sits in a heap by
the time it may start again; a task waiting there holds no thread, and a
waiter's thread sleeps on the frontier's condition, never on one host's delay.
At most `global_limit` requests are in flight at once, whatever their host.

Nothing polls. Whoever changes the state (a slot freed, an entry added, a pace
changed) hands out the starts that change allows, and wakes just the threads
given one. One waiting thread at a time, the timekeeper, sleeps until the
earliest timed host may start. The clock is injected (MonotonicClock) so tests
can check the order of starts on a fake clock.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from archiver.fetch.backoff import next_backoff
from archiver.fetch.clock import SYSTEM_CLOCK, MonotonicClock
from archiver.fetch.hosts import NO_HOST, HostKey, HostPace

# Tasks one host may have on worker threads, per request slot. A task waits for more requests after
# its first (robots.txt, a probe, a retry): two per slot keep the host busy meanwhile, and the cap
# keeps one flaky host from holding every worker thread.
TASKS_PER_SLOT = 2
_SWEEP_EVERY = 1024  # releases between sweeps of idle hosts, so a daemon's table does not grow forever


@dataclass(eq=False, slots=True)
class Waiter:
    """A thread inside a capture, waiting for a start on one host."""

    not_before: float
    wakeup: threading.Condition
    granted: bool = False


@dataclass(eq=False, slots=True)
class Task:
    """Work not started yet: `run(item)` on a worker thread once `key` may start a request."""

    key: HostKey
    item: object
    owner: object  # the TaskRun that queued it
    not_before: float = 0.0


@dataclass(eq=False)
class _Host:
    key: HostKey  # the one HostKey object of this host: queued tasks share it, a million URLs need not
    waiters: deque[Waiter] = field(default_factory=deque)
    tasks: deque[Task] = field(default_factory=deque)
    in_flight: int = 0
    running_tasks: int = 0  # tasks of this host on worker threads: at most TASKS_PER_SLOT per slot
    last_start: float | None = None
    answered: bool = False
    crawl_delay: float = 0.0
    backoff: float = 0.0
    version: int = 0  # bumped whenever the host is placed in a heap; older heap entries are stale
    heap: str | None = None  # "ready" or "timed" while its current entry is in that heap
    ready_pending: int = 0  # its pending count when last pushed to the ready heap (the heap's priority)

    @property
    def pending(self) -> int:
        return len(self.waiters) + len(self.tasks)


class Frontier:
    """Per-host queues and pace for every request of one Fetcher; safe to share between threads."""

    def __init__(self, concurrency: int, delay: float, *, global_limit: int = 16, max_backoff: float = 60.0,
                 clock: MonotonicClock = SYSTEM_CLOCK, on_start: Callable[[HostKey, float], None] | None = None):
        self.concurrency = max(1, concurrency)
        self.base_delay = delay
        self.global_limit = max(1, global_limit)
        self.max_backoff = max_backoff
        self._clock = clock
        self._on_start = on_start  # sees each start, on the clock: for logs and tests
        self._lock = threading.Lock()
        self._for_workers = threading.Condition(self._lock)  # idle workers: a task was handed out, or a run ends
        self._timekeeper: threading.Condition | None = None  # the one waiting thread that sleeps until a time
        self._timekeeper_until = 0.0
        self._sleepers: dict[threading.Condition, int] = {}  # threads waiting with no time limit, by condition
        self._hosts: dict[HostKey, _Host] = {}
        self._no_host = self._hosts[NO_HOST] = _Host(NO_HOST)  # tasks of URLs without a host: they make no request
        self._in_flight = 0
        self._ready: list[tuple[int, int, int, HostKey]] = []  # (-pending, seq, version, key): may start now
        self._timed: list[tuple[float, int, int, HostKey]] = []  # (when, seq, version, key): may start later
        self._seq = itertools.count()
        self._handed: deque[Task] = deque()  # tasks granted a start, for the next idle worker of their run
        self._idle_workers = 0
        self._need_worker: set[HostKey] = set()  # hosts whose next entry is a task and no worker was idle
        self._local = threading.local()  # a worker's reserved start, for its task's first request
        self._releases = 0

    # -- requests ----------------------------------------------------------------------------

    def acquire(self, key: HostKey, before_start: Callable[[], None] = lambda: None, *, not_before: float = 0.0) -> None:
        """Wait until `key` may start a request (and not before `not_before` on the clock); take the slot.

        A worker whose task was granted a start on `key` uses that start at once. `before_start`
        runs once the slot is ours and may raise to give it up without starting. Every acquire
        that returns must be matched by one `release`.
        """
        reserved = getattr(self._local, "reserved", None)
        if reserved is not None:
            self._local.reserved = None
            if reserved == key and not_before <= self._clock.monotonic():
                self._started(key, before_start)
                return
            self.release(reserved)  # reserved for another host: give that start back
        with self._lock:
            waiter = Waiter(not_before, threading.Condition(self._lock))
            host = self._host(key)
            host.waiters.append(waiter)
            self._place(key, host)
            self._wait_until(lambda: waiter.granted, waiter.wakeup)
        self._started(key, before_start)

    def release(self, key: HostKey) -> None:
        with self._lock:
            host = self._hosts[key]  # never swept while a slot is held
            host.in_flight -= 1
            self._in_flight -= 1
            self._place(key, host)
            self._releases += 1
            if self._releases % _SWEEP_EVERY == 0:
                self._sweep()
            self._dispatch()

    @contextmanager
    def slot(self, key: HostKey) -> Iterator[None]:
        self.acquire(key)
        try:
            yield
        finally:
            self.release(key)

    def answered(self, key: HostKey, status: int, retry_after: float | None = None) -> None:
        """The host answered `status`: it has earned its full concurrency, and its back-off moves."""
        with self._lock:
            host = self._host(key)
            host.answered = True
            base = max(self.base_delay, host.crawl_delay)
            host.backoff = next_backoff(host.backoff, base, status, retry_after, self.max_backoff)
            self._place(key, host)
            self._dispatch()

    def set_crawl_delay(self, key: HostKey, seconds: float) -> None:
        with self._lock:
            host = self._host(key)
            host.crawl_delay = seconds
            self._place(key, host)
            self._dispatch()

    def pace(self, key: HostKey) -> HostPace:
        with self._lock:
            host = self._hosts.get(key) or _Host(key)
            return HostPace(host.in_flight, self._delay(host), host.backoff, host.crawl_delay,
                            host.answered, host.last_start)

    def now(self) -> float:
        return self._clock.monotonic()

    # -- tasks (TaskRun's side) --------------------------------------------------------------

    def put_task(self, task: Task) -> None:
        with self._lock:
            host = self._host(task.key)
            task.key = host.key
            host.tasks.append(task)
            # Placed again only when that changes its place: a million tasks must not leave a million
            # stale heap entries. Its priority is refreshed each time its queue doubles.
            if host.heap is None or (host.heap == "timed" and len(host.tasks) == 1) or \
                    (host.heap == "ready" and host.pending >= 2 * host.ready_pending):
                self._place(task.key, host)
            self._dispatch()

    def next_task(self, owner: object, finished: Callable[[], bool]) -> Task | None:
        """Block until a task of `owner` is granted a start (None once `finished()`); reserve that start."""
        with self._lock:
            self._idle_workers += 1
            self._replace_needing_worker()
            try:
                self._wait_until(lambda: finished() or any(task.owner is owner for task in self._handed),
                                 self._for_workers)
                if finished():
                    return None
                task = next(task for task in self._handed if task.owner is owner)
                self._handed.remove(task)
            finally:
                self._idle_workers -= 1
        self._local.reserved = task.key
        return task

    def task_done(self, task: Task) -> None:
        """The worker finished `task`: an unused reserved start goes back, the host may take another task."""
        reserved, self._local.reserved = getattr(self._local, "reserved", None), None
        if reserved is not None:
            self.release(reserved)
        with self._lock:
            host = self._hosts[task.key]
            host.running_tasks -= 1
            self._place(task.key, host)
            self._replace_needing_worker()
            self._dispatch()

    def drop_tasks(self, owner: object) -> int:
        """Forget `owner`'s tasks not started yet (a stopping run); how many there were."""
        with self._lock:
            dropped = 0
            for key, host in self._hosts.items():
                kept = deque(task for task in host.tasks if task.owner is not owner)
                dropped += len(host.tasks) - len(kept)
                host.tasks = kept
                self._place(key, host)
            self._for_workers.notify_all()
            return dropped

    def wake_workers(self) -> None:
        """Wake the idle workers to look at their run again (it finished or is stopping)."""
        with self._lock:
            self._for_workers.notify_all()

    # -- inside (the lock held) -------------------------------------------------------------

    def _host(self, key: HostKey) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(key)
        return host

    def _delay(self, host: _Host) -> float:
        if host is self._no_host:
            return 0.0
        return max(self.base_delay, host.crawl_delay, host.backoff)

    def _limit(self, host: _Host) -> int:
        if host is self._no_host:
            return self.global_limit
        return self.concurrency if host.answered else 1

    def _place(self, key: HostKey, host: _Host) -> None:
        """Put the host in the heap it belongs to now: ready, or timed by when it may start."""
        host.version += 1
        host.heap = None
        self._need_worker.discard(key)
        if not host.pending or host.in_flight >= self._limit(host):
            return  # nothing to start, or no free slot: a release places it again
        when = 0.0 if host.last_start is None else host.last_start + self._delay(host)
        earliest = [waiter.not_before for waiter in host.waiters]
        if host.tasks:
            earliest.append(host.tasks[0].not_before)
        when = max(when, min(earliest))
        if when <= self._clock.monotonic():
            heapq.heappush(self._ready, (-host.pending, next(self._seq), host.version, key))
            host.heap, host.ready_pending = "ready", host.pending
            return
        heapq.heappush(self._timed, (when, next(self._seq), host.version, key))
        host.heap = "timed"
        if self._timekeeper is None:
            self._call_timekeeper()
        elif when < self._timekeeper_until:
            self._timekeeper.notify_all()  # it sleeps past this host's time: it looks again

    def _wait_for_waiters(self, key: HostKey, host: _Host) -> None:
        """A host waiting for a worker may also hold threads due later (retries): their time is still kept.

        Every worker could be such a thread; if nothing else woke the host, they would wait forever.
        """
        if not host.waiters:
            return
        pace = 0.0 if host.last_start is None else host.last_start + self._delay(host)
        when = max(pace, min(waiter.not_before for waiter in host.waiters))
        heapq.heappush(self._timed, (when, next(self._seq), host.version, key))
        host.heap = "timed"
        if self._timekeeper is None:
            self._call_timekeeper()

    def _replace_needing_worker(self) -> None:
        for key in list(self._need_worker):
            self._place(key, self._hosts[key])

    def _dispatch(self) -> None:
        """Grant starts to the hosts that may start now, busiest first, within the global limit."""
        now = self._clock.monotonic()
        while self._timed and self._timed[0][0] <= now:
            _, _, version, key = heapq.heappop(self._timed)
            host = self._hosts.get(key)
            if host is not None and host.version == version:
                self._place(key, host)
        while self._ready and self._in_flight < self.global_limit:
            _, _, version, key = heapq.heappop(self._ready)
            host = self._hosts.get(key)
            if host is None or host.version != version:
                continue
            host.heap = None
            if not self._grant(key, host, now):
                self._need_worker.add(key)  # only tasks, and no worker idle: placed again when one is
                self._wait_for_waiters(key, host)
                continue
            self._place(key, host)

    def _grant(self, key: HostKey, host: _Host, now: float) -> bool:
        waiter = next((w for w in host.waiters if w.not_before <= now), None)
        if waiter is not None:
            host.waiters.remove(waiter)
            waiter.granted = True
            waiter.wakeup.notify()
        elif host.tasks and host.tasks[0].not_before <= now and self._idle_workers > len(self._handed) \
                and host.running_tasks < TASKS_PER_SLOT * self._limit(host):
            task = host.tasks.popleft()
            host.running_tasks += 1
            self._handed.append(task)
            self._for_workers.notify_all()
        else:
            return False
        host.in_flight += 1
        self._in_flight += 1
        host.last_start = now
        if self._on_start is not None:
            self._on_start(key, now)
        return True

    def _wait_until(self, done: Callable[[], bool], wakeup: threading.Condition) -> None:
        """Wait on `wakeup` until `done()`. While hosts wait for a time, one waiting thread keeps it."""
        try:
            while True:
                self._dispatch()
                if done():
                    return
                if self._timed and self._timekeeper in (None, wakeup):
                    self._timekeeper, self._timekeeper_until = wakeup, self._timed[0][0]
                    self._clock.wait(wakeup, max(0.0, self._timekeeper_until - self._clock.monotonic()))
                    continue
                if self._timekeeper is wakeup:
                    self._timekeeper = None
                self._sleepers[wakeup] = self._sleepers.get(wakeup, 0) + 1
                try:
                    wakeup.wait()
                finally:
                    self._sleepers[wakeup] -= 1
                    if not self._sleepers[wakeup]:
                        del self._sleepers[wakeup]
        finally:
            if self._timekeeper is wakeup:
                self._timekeeper = None
                if self._timed:
                    self._call_timekeeper()

    def _call_timekeeper(self) -> None:
        """Hosts wait for a time and nobody keeps it: wake one sleeping thread to keep it."""
        for sleeping in self._sleepers:
            sleeping.notify()
            return

    def _started(self, key: HostKey, before_start: Callable[[], None]) -> None:
        try:
            before_start()
        except BaseException:
            self.release(key)
            raise

    def _sweep(self) -> None:
        """Forget hosts with nothing to remember: idle, past their delay, not backing off."""
        now = self._clock.monotonic()
        idle = [key for key, host in self._hosts.items()
                if not (host.in_flight or host.pending or host.running_tasks or host.backoff)
                and (host.last_start is None or now >= host.last_start + self._delay(host))]
        for key in idle:
            if key != NO_HOST:
                del self._hosts[key]
