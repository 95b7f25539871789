"""One daemon per data dir: an flock on <data_dir>/daemon.lock, holding who took it.

The kernel releases an flock when its holder dies, however it dies, so a stale
file never blocks a restart; the pid/host/start time written into the file are
for people and `archiver status`, never the truth about whether it is held.

    with DaemonLock(data_dir / LOCK_FILE_NAME):   # LockHeld when another daemon has it
        ...
    read_lock_holder(path)                          # LockHolder while held, else None
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from archiver.errors import ArchiverError, StoragePathError

LOCK_FILE_NAME = "daemon.lock"
# `archiver status` probes the lock by taking it shared for an instant; a daemon starting in that
# instant must not mistake the probe for another daemon, so it tries again for this long.
PROBE_GRACE_SECONDS = 0.5
_RETRY_PAUSE = 0.02


@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    host: str
    started_at: str

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid else "unknown pid"
        return f"{pid} on {self.host or 'unknown host'}, started {self.started_at or 'at an unknown time'}"


class LockHeld(ArchiverError):
    """Another daemon holds the data dir's lock."""

    def __init__(self, path: Path, holder: LockHolder | None):
        self.path, self.holder = path, holder
        who = holder.describe() if holder else "another process"
        super().__init__(f"another archiver daemon ({who}) holds {path}; only one daemon may run per data dir")


class DaemonLock:
    """An exclusive, non-blocking flock on `path`, released on exit or when the process dies."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:  # a read-only data dir, a folder where the lock file goes ...
            raise StoragePathError(exc.filename or self.path, (exc.strerror or str(exc)).lower()) from None
        give_up_at = time.monotonic() + PROBE_GRACE_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up_at:
                    os.close(fd)
                    raise LockHeld(self.path, read_lock_holder(self.path)) from None
                time.sleep(_RETRY_PAUSE)
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the last descriptor releases the flock

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def read_lock_holder(path: Path) -> LockHolder | None:
    """Who holds the lock at `path`, or None when nobody does (or there is no lock file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _parse_holder(os.pread(fd, 4096, 0))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _parse_holder(data: bytes) -> LockHolder:
    try:
        fields = json.loads(data.decode("utf-8"))
        pid = fields.get("pid")
        return LockHolder(pid if isinstance(pid, int) else None, str(fields.get("host", "")),
                          str(fields.get("started_at", "")))
    except (UnicodeDecodeError, ValueError, AttributeError):  # caught mid-write, or not ours
        return LockHolder(None, "", "")
