"""Content-decoding a body as it streams in, keeping at most a fixed number of decoded bytes.

The stored body keeps its content-encoding (it is evidence); extraction needs
the text. A gzip bomb turns one megabyte into gigabytes, so every stage of
decompression runs with `max_length` and the decoder stops feeding once the
extraction cap is reached: memory stays bounded whatever the body says.
"""

from __future__ import annotations

import zlib

_STEP = 64 * 1024  # decompressed bytes produced per call, so no single call can balloon
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS  # zlib detects either header: servers mislabel one as the other
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS


class _ZlibStage:
    """One gzip or deflate layer; accepts concatenated gzip members, and raw deflate labelled `deflate`."""

    def __init__(self, coding: str):
        self._coding = coding
        self._wbits = _GZIP_OR_ZLIB if coding == "gzip" else _ZLIB
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    @property
    def has_pending_input(self) -> bool:
        return bool(self._inflater.unconsumed_tail or self._next_member_waiting)

    @property
    def finished(self) -> bool:
        return self._inflater.eof and not self._next_member_waiting

    @property
    def _next_member_waiting(self) -> bool:
        return self._coding == "gzip" and self._inflater.eof and bool(self._inflater.unused_data)

    def decompress(self, data: bytes) -> bytes:
        """At most _STEP bytes of output; input not yet used is kept for the next call."""
        if self._next_member_waiting:
            data = self._inflater.unused_data + data  # the next gzip member
            self._inflater = zlib.decompressobj(self._wbits)
        data = self._inflater.unconsumed_tail + data
        try:
            output = self._inflater.decompress(data, _STEP)
        except zlib.error:
            if self._started or self._wbits != _ZLIB:
                raise
            # RFC 9110 says `deflate` is zlib-wrapped, but many servers send raw deflate.
            self._wbits = _RAW_DEFLATE
            self._inflater = zlib.decompressobj(self._wbits)
            output = self._inflater.decompress(data, _STEP)
        self._started = True
        return output


class BoundedDecoder:
    """Decodes a body with the given Content-Encoding, keeping the first `limit` decoded bytes."""

    def __init__(self, content_encoding: str | None, limit: int):
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        self._limit = limit
        self._decoded = bytearray()
        self._full = False  # more decoded bytes exist than the limit keeps
        self._failed = not all(c in ("gzip", "x-gzip", "deflate") for c in codings)
        # Codings are listed in the order applied, so they are undone last first.
        self._stages = [] if self._failed else [_ZlibStage("gzip" if c == "x-gzip" else c) for c in reversed(codings)]

    def feed(self, data: bytes) -> None:
        if self._full or self._failed:
            return
        try:
            self._push(0, data)
        except zlib.error:
            self._failed = True

    def result(self) -> tuple[bytes, bool]:
        """(decoded prefix, complete): complete when the whole body decoded within the limit."""
        self.feed(b"")  # drain input the stages still hold
        complete = not (self._full or self._failed) and all(stage.finished for stage in self._stages)
        return bytes(self._decoded), complete

    def _push(self, index: int, data: bytes) -> None:
        if index == len(self._stages):
            self._keep(data)
            return
        stage = self._stages[index]
        while not self._full:
            output = stage.decompress(data)
            self._push(index + 1, output)
            data = b""
            # A full step may leave output inside zlib even when all input was taken.
            if len(output) < _STEP and not stage.has_pending_input:
                return

    def _keep(self, data: bytes) -> None:
        room = self._limit - len(self._decoded)
        if len(data) > room:
            data = data[:room]
            self._full = True
        self._decoded += data
