"""The total wall-clock limit of one fetch, enforced by cutting its sockets.

Socket timeouts bound each read, not a whole fetch: a server that drips one
byte per second never trips a 30 s read timeout. So every socket a fetch uses
is registered with the fetch's Deadline, and one watchdog thread per Fetcher
shuts those sockets down when the deadline passes; the blocked read then sees
end-of-file or an error and the fetch ends with what it had.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time

# A timeout of 0 would make sockets non-blocking; the smallest real wait instead.
_MIN_TIMEOUT = 0.001


class Deadline:
    """One fetch's deadline and the sockets to cut when it passes."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._handles: list[socket.socket] = []
        self._fired = False
        self._finished = False

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
        deadline = Deadline(seconds)
        with self._wake:
            if self._closed:
                raise RuntimeError("the Fetcher is closed")
            heapq.heappush(self._queue, (deadline.expires_at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="archiver-fetch-watchdog", daemon=True)
                self._thread.start()
            self._wake.notify()
        return deadline

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
                if delay <= 0:
                    return heapq.heappop(self._queue)[2]
                self._wake.wait(delay)
            return None
