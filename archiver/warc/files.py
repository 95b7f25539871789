"""WARC files on disk: names, the `.open` file being written, and crash recovery.

A file is written as `NAME.warc.gz.open` and renamed to `NAME.warc.gz` once
closed. The `.open` file is the same bytes under a temporary name: every
record in it is one complete gzip member, written before its RecordRef was
handed out, so a crash leaves at most one unfinished record at the end, which
`recover_open_files` cuts away.

No warcio here: this module sees gzip members and bytes, not records.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import socket
import zlib
from datetime import datetime
from pathlib import Path

from archiver.processes import process_alive

log = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"
_READ_SIZE = 1 << 16
_HEAD_SIZE = 4096  # decompressed bytes kept from each member: its WARC header
# Records whose pair partner follows them in the file (the request comes after its response).
_PAIR_LEADERS = (b"response", b"revisit")


def sanitized_hostname() -> str:
    """The host name reduced to letters, digits, '.' and '-' (safe in a file name)."""
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname()).strip(".-")
    return host or "localhost"


def warc_file_name(prefix: str, when: datetime, serial: int, host: str, pid: int) -> str:
    """`PREFIX-TIMESTAMP-SERIAL-HOST-PID.warc.gz`, TIMESTAMP in UTC to the millisecond."""
    timestamp = when.strftime("%Y%m%d%H%M%S%f")[:17]
    return f"{prefix}-{timestamp}-{serial:05d}-{host}-{pid}{WARC_SUFFIX}"


def create_open_file(directory: Path, prefix: str, when: datetime, serial: int, host: str) -> tuple[OpenWarcFile, int]:
    """A new `.open` file under the first free name from `serial` on; returns it and the next serial."""
    while True:
        name = warc_file_name(prefix, when, serial, host, os.getpid())
        serial += 1
        if (directory / name).exists():
            continue
        try:
            return OpenWarcFile(directory, name), serial
        except FileExistsError:  # another recorder in this process took the name this millisecond
            continue


class OpenWarcFile:
    """An unbuffered `.open` file: every write reaches the OS before `write` returns.

    Unbuffered so that nothing of a failed record lingers in a user-space buffer
    to be written after the file was cut back (and partial writes are retried).
    """

    def __init__(self, directory: Path, name: str):
        self.directory = directory
        self.name = name  # the final name, as RecordRef and the database know it
        self.open_path = directory / (name + OPEN_SUFFIX)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        self._fd: int | None = os.open(self.open_path, flags, 0o644)
        self._position = 0

    @property
    def final_path(self) -> Path:
        return self.directory / self.name

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            self._position += written
            view = view[written:]
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here; kept because warcio calls it after each record."""

    def tell(self) -> int:
        return self._position

    def cut_back(self, position: int) -> None:
        """Drop everything after `position` (the start of a record that failed)."""
        os.ftruncate(self._fd, position)
        os.lseek(self._fd, position, os.SEEK_SET)
        self._position = position

    def publish(self) -> Path:
        """fsync, close, then rename `.open` to the final name (fsync first: a renamed file is complete)."""
        os.fsync(self._fd)
        self._close_fd()
        os.replace(self.open_path, self.final_path)
        _fsync_directory(self.directory)
        return self.final_path

    def abandon(self) -> None:
        """Close without renaming: the `.open` file is left for recover_open_files."""
        self._close_fd()

    def discard(self) -> None:
        self._close_fd()
        self.open_path.unlink(missing_ok=True)

    def _close_fd(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def complete_members(path: Path) -> list[tuple[int, int, bytes]]:
    """(start, end, head) of each complete gzip member from the start of `path`.

    Stops at the first member that is cut short or corrupt. `head` is the first
    decompressed bytes of the member (enough for the WARC header). Memory stays
    bounded: output is inflated at most _READ_SIZE bytes at a time and dropped.
    """
    members: list[tuple[int, int, bytes]] = []
    inflater = None
    start = 0
    head = b""
    fed_end = 0  # file offset just past the last byte handed to an inflater
    with open(path, "rb") as handle:
        while True:
            data = handle.read(_READ_SIZE)
            if not data:
                return members
            fed_end += len(data)
            while data:
                if inflater is None:
                    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                    start, head = fed_end - len(data), b""
                try:
                    out = inflater.decompress(data, _READ_SIZE)
                    while True:
                        if len(head) < _HEAD_SIZE:
                            head += out[: _HEAD_SIZE - len(head)]
                        if not inflater.unconsumed_tail or inflater.eof:
                            break
                        out = inflater.decompress(inflater.unconsumed_tail, _READ_SIZE)
                except zlib.error:
                    return members
                if not inflater.eof:
                    break
                data = inflater.unused_data
                members.append((start, fed_end - len(data), head))
                inflater = None


def _record_type(head: bytes) -> bytes | None:
    match = re.search(rb"\r\nWARC-Type: *(\S+)", head)
    return match.group(1) if match else None


def _is_live(name: str) -> bool:
    """True when `name` is an open file of a process still running on this host."""
    match = re.fullmatch(r".+-\d{17}-\d{5}-(.+)-(\d+)\.warc\.gz\.open", name)
    if not match or match.group(1) != sanitized_hostname():
        return False
    pid = int(match.group(2))
    return pid == os.getpid() or process_alive(pid)


def recover_open_files(warc_dir: Path) -> list[Path]:
    """Close the `.open` files a crashed run left in `warc_dir`; return the files made final.

    Each is cut back to its last complete record (gzip member) and renamed. A
    response or revisit at the very end lost its request record to the crash,
    and no RecordRef was ever returned for it, so it is cut as well. A file with
    no complete record left is deleted. Files of a live process on this host
    are left alone.
    """
    fixed: list[Path] = []
    for open_path in sorted(Path(warc_dir).glob("*" + WARC_SUFFIX + OPEN_SUFFIX)):
        if _is_live(open_path.name):
            log.info("leaving %s: its writer is still running", open_path)
            continue
        members = complete_members(open_path)
        if members and _record_type(members[-1][2]) in _PAIR_LEADERS:
            members.pop()
        keep = members[-1][1] if members else 0
        if keep == 0:
            log.warning("removing %s: no complete record in it", open_path)
            open_path.unlink()
            continue
        size = open_path.stat().st_size
        with open(open_path, "r+b") as handle:
            if size != keep:
                log.warning("cutting %s from %d to %d bytes (last complete record)", open_path, size, keep)
                handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
        final = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
        if final.exists():
            raise FileExistsError(errno.EEXIST, "cannot recover: the final name is taken", str(final))
        os.replace(open_path, final)
        _fsync_directory(final.parent)
        fixed.append(final)
    return fixed
