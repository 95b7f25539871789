"""The total wall-clock limit of one fetch, enforced by cutting its sockets.

Socket timeouts bound each read, not a whole fetch: a server that drips one
byte per second never trips a 30 s read timeout. So every socket a fetch uses
is registered with the fetch's Deadline, and one watchdog thread per Fetcher
shuts those sockets down when the deadline passes; the blocked read then sees
end-of-file or an error and the fetch ends with what it had.

Time a fetch spends waiting its turn at a host (politeness) or fetching that
host's robots.txt is not charged to it: `Deadline.paused_while()` moves the deadline
on by the time spent inside, so total_timeout bounds the fetch's own network
time and a fetch queued behind a slow host does not time out before it starts.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# A timeout of 0 would make sockets non-blocking; the smallest real wait instead.
_MIN_TIMEOUT = 0.001


class Deadline:
    """One fetch's deadline and the sockets to cut when it passes."""

    def __init__(self, seconds: float, on_moved: Callable[[Deadline], None] | None = None):
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds
        self._on_moved = on_moved  # the watchdog, told when a pause moved expires_at
        self._lock = threading.Lock()
        self._handles: list[socket.socket] = []
        self._fired = False
        self._finished = False
        self._pauses = 0  # nested pauses: a robots.txt fetch may wait for a slot inside a pause
        self._paused_at = 0.0

    @property
    def paused(self) -> bool:
        return self._pauses > 0

    @contextmanager
    def paused_while(self) -> Iterator[None]:
        """Stop the clock for the block: waiting for a host's turn is not the fetch's own time."""
        with self._lock:
            self._pauses += 1
            if self._pauses == 1:
                self._paused_at = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._pauses -= 1
                moved = self._pauses == 0
                if moved:
                    self.expires_at += time.monotonic() - self._paused_at
            if moved and self._on_moved is not None:
                self._on_moved(self)

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.expires_at

    @property
    def fired(self) -> bool:
        """True once the watchdog has cut this fetch's sockets: a read that ended since may be cut short."""
        return self._fired

    def clamp(self, timeout: float) -> float:
        """`timeout`, shortened to the time left."""
        return max(min(timeout, self.expires_at - time.monotonic()), _MIN_TIMEOUT)

    def watch(self, sock: socket.socket) -> None:
        """Cut `sock` when the deadline passes.

        Keeps a duplicate of the descriptor, not `sock` itself: wrapping a socket
        in TLS detaches the original object, and shutdown on any descriptor of a
        socket ends the connection for all of them.
        """
        handle = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            if self._finished:
                handle.close()
                return
            self._handles.append(handle)
            if self._fired:
                _cut(handle)

    def fire(self) -> None:
        with self._lock:
            if self._finished or self._fired:
                return
            self._fired = True
            for handle in self._handles:
                _cut(handle)

    def finish(self) -> None:
        """The fetch is over: release the duplicates; its pooled connections must outlive it untouched."""
        with self._lock:
            self._finished = True
            for handle in self._handles:
                handle.close()
            self._handles.clear()


def _cut(handle: socket.socket) -> None:
    try:
        handle.shutdown(socket.SHUT_RDWR)
    except OSError:  # not connected yet, or already closed by the peer: nothing left to cut
        pass


class Watchdog:
    """One thread that fires each deadline when it passes (not a timer thread per fetch)."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # tie-breaker: deadlines themselves do not compare
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def start(self, seconds: float) -> Deadline:
        """A new deadline `seconds` from now, watched until it passes."""
        if self._closed:
            raise RuntimeError("the Fetcher is closed")
        deadline = Deadline(seconds, on_moved=self._watch)
        self._watch(deadline)
        return deadline

    def _watch(self, deadline: Deadline) -> None:
        """Queue `deadline` at its current expiry; an entry left from before a pause is dropped when due."""
        with self._wake:
            if self._closed:
                return
            heapq.heappush(self._queue, (deadline.expires_at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="archiver-fetch-watchdog", daemon=True)
                self._thread.start()
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while (deadline := self._next_due()) is not None:
            deadline.fire()

    def _next_due(self) -> Deadline | None:
        """Block until a deadline passes and return it; None once the watchdog is closed."""
        with self._wake:
            while not self._closed:
                if not self._queue:
                    self._wake.wait()
                    continue
                delay = self._queue[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                expires_at, _, deadline = heapq.heappop(self._queue)
                # Paused, or moved on by a pause (which queued it again): not due.
                if not deadline.paused and expires_at == deadline.expires_at:
                    return deadline
            return None
