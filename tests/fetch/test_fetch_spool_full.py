"""Our disk failing while a body is spooled (full, file-size limit): RecordError, and no spool left open.

The spool here is a stand-in for a spooled file on a full disk: a write past its room
fails, and so does every later flush of what it still buffers (the seek back to the
start, the close), as a buffered file under RLIMIT_FSIZE fails with EFBIG. A close
that fails still closes, as io's buffered files do.
"""

from __future__ import annotations

import errno
import io
import types

import pytest

import archiver.fetch.stream
from archiver.errors import RecordError
from archiver.fetch.deadline import Deadline
from archiver.fetch.stream import read_body
from support.loopback import LoopbackServer, Reply


def file_too_large() -> OSError:
    return OSError(errno.EFBIG, "File too large")


class FullDisk(io.BytesIO):
    """A spool with `room` bytes of disk; `buffered`: a write past it is taken, and its flush fails later."""

    def __init__(self, room: int, *, buffered: bool = False):
        super().__init__()
        self.room = room
        self.buffered = buffered
        self.unflushed = False

    def write(self, data) -> int:
        if self.tell() + len(data) > self.room:
            self.unflushed = True
            if not self.buffered:
                raise file_too_large()
        return super().write(data)

    def seek(self, *args) -> int:
        if self.unflushed:
            raise file_too_large()
        return super().seek(*args)

    def close(self) -> None:
        super().close()
        if self.unflushed:
            raise file_too_large()


class ChunkedRaw:
    """The urllib3 response read_body reads: `chunks`, then end of file."""

    def __init__(self, *chunks: bytes):
        self.headers: dict[str, str] = {}
        self._chunks = list(chunks)

    def read1(self, size: int, decode_content: bool = False) -> bytes:
        return self._chunks.pop(0) if self._chunks else b""


class SpoolDisk:
    """Makes read_body's spools: one per (room, buffered) in `plan`, in turn; each remembered in `made`."""

    def __init__(self) -> None:
        self.plan: list[tuple[int, bool]] = []
        self.made: list[FullDisk] = []

    def __call__(self, max_size: int) -> FullDisk:
        room, buffered = self.plan.pop(0)
        self.made.append(FullDisk(room, buffered=buffered))
        return self.made[-1]


@pytest.fixture
def disk(monkeypatch) -> SpoolDisk:
    spools = SpoolDisk()
    monkeypatch.setattr(archiver.fetch.stream, "tempfile", types.SimpleNamespace(SpooledTemporaryFile=spools))
    return spools


@pytest.mark.parametrize("failing", ["write", "flush"])
def test_a_full_disk_raises_record_error_and_closes_the_spool(disk, failing):
    disk.plan = [(4, failing == "flush")]
    with pytest.raises(RecordError, match="cannot spool the body of a response to disk: File too large"):
        read_body(ChunkedRaw(b"one", b"two"), max_bytes=1000, max_decoded=1000, deadline=Deadline(30))
    assert disk.made[0].closed


def test_a_full_disk_on_the_last_hop_closes_the_bodies_of_the_hops_before(disk, make_fetcher):
    disk.plan = [(1 << 20, False), (0, False)]  # the redirect's body fits, the page's does not
    routes = {"/old": Reply(301, headers=(("Location", "/new"),), body=b"moved"), "/new": Reply(200, body=b"page")}
    with LoopbackServer(routes) as server, pytest.raises(RecordError, match="File too large"):
        make_fetcher().fetch(server.url("/old"))
    assert [spool.closed for spool in disk.made] == [True, True]
