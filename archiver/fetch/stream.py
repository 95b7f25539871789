"""Streaming a response body to a spooled file: raw bytes, digest, caps and the decoded prefix.

The body is read with `read1` in 64 KiB steps, `decode_content=False`: what
is stored is the entity as sent (content-encoding kept, transfer chunking
removed by urllib3), hashed as it goes, and never held in memory whole.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import tempfile
from typing import BinaryIO

from urllib3 import BaseHTTPResponse
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from archiver.errors import RecordError
from archiver.fetch.deadline import Deadline
from archiver.fetch.decompress import BoundedDecoder
from archiver.models import Body, Headers

CHUNK_SIZE = 64 * 1024
SPOOL_MAX_SIZE = 1024 * 1024  # bodies above this go to disk


def payload_digest(sha1: hashlib._Hash) -> str:
    return "sha1:" + base64.b32encode(sha1.digest()).decode("ascii")


def read_body(raw: BaseHTTPResponse, *, max_bytes: int, max_decoded: int, deadline: Deadline) -> Body:
    """Read `raw` to its end, the size cap or the deadline, whichever comes first.

    A body cut short keeps what arrived and says why in `truncated`: "length"
    (over `max_bytes`), "time" (deadline or read timeout) or "disconnect".
    Our own disk failing (full, file-size limit) raises RecordError.
    """
    # The spool outlives this function: the returned Body owns it (closed with the Fetch).
    spool: BinaryIO = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE)  # type: ignore[assignment]  # noqa: SIM115
    try:
        return _spool_body(raw, spool, max_bytes, max_decoded, deadline)
    except BaseException:
        # A spool on disk flushes as it closes, and a full disk fails that too: closed all the same.
        with contextlib.suppress(OSError):
            spool.close()
        raise


def _spool_body(raw: BaseHTTPResponse, spool: BinaryIO, max_bytes: int, max_decoded: int, deadline: Deadline) -> Body:
    sha1 = hashlib.sha1()
    decoder = BoundedDecoder(raw.headers.get("Content-Encoding"), max_decoded)
    length = 0
    truncated: str | None = None
    try:
        while chunk := raw.read1(CHUNK_SIZE, decode_content=False):
            room = max_bytes - length
            if len(chunk) > room:
                chunk, truncated = chunk[:room], "length"
            try:
                spool.write(chunk)
            except OSError as error:  # our disk (full, file-size limit), not the network: stop the run
                raise _spool_failed(error) from error  # a RecordError: the network handler below lets it pass
            sha1.update(chunk)
            decoder.feed(chunk)
            length += len(chunk)
            if truncated:
                break
            if deadline.fired:
                truncated = "time"
                break
    except (Urllib3Error, OSError) as error:  # reset, short body, read timeout, TLS failure mid-body
        truncated = "time" if deadline.fired or isinstance(error, ReadTimeoutError) else "disconnect"
    else:
        if truncated is None and deadline.fired:
            truncated = "time"  # a body without length ends at end-of-file, which the cut also causes
    try:
        spool.seek(0)  # a spool on disk writes out what it still buffers first: the disk can fail here too
    except OSError as error:
        raise _spool_failed(error) from error
    decoded, decoded_complete = decoder.result()
    return Body(
        file=spool,
        length=length,
        payload_digest=payload_digest(sha1),
        truncated=truncated,
        decoded=decoded,
        decoded_complete=decoded_complete and truncated is None,
    )


def _spool_failed(error: OSError) -> RecordError:
    return RecordError(f"cannot spool the body of a response to disk: {error.strerror or error}")


def consistent_headers(headers: Headers, body: Body, dechunked: bool) -> Headers:
    """Response headers that describe the stored body: a de-chunked body gets a Content-Length.

    The stored bytes are never chunked, so a Transfer-Encoding header would make
    replay tools de-chunk them a second time; it goes even when the body was cut
    (the record's WARC-Truncated header says so). A body that was not chunked keeps
    its headers as received: they are evidence of what the server claimed.
    """
    if not dechunked:
        return headers
    framing = ("transfer-encoding", "content-length")
    kept = tuple((name, value) for name, value in headers if name.lower() not in framing)
    return kept + (("Content-Length", str(body.length)),)
