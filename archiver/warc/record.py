"""Write fetches into WARC/1.1 files: the only module that builds WARC records (with warcio).

Each exchange of a Fetch becomes a `response` record followed by its `request`
record (WARC-Concurrent-To the response), one gzip member each, in files that
rotate at `max_bytes`. A RecordRef is returned only after its bytes reached the
OS; `close()` fsyncs and renames `NAME.warc.gz.open` to `NAME.warc.gz` — the
`.open` file is the same bytes under a temporary name (see archiver.warc.files).

Bodies are streamed from `Body.file`: one pass here to check the payload digest
and compute the block digest (outside the lock), one pass by warcio to write.

Where warcio's defaults and WARC/1.1 part, WARC/1.1 wins (tests/warc/test_wget_compare.py
sets our records beside wget's): metadata records carry no WARC-Payload-Digest (section 4:
"All 'warcinfo' and 'metadata' records shall not have a payload"; 5.9), revisit records
say `WARC-Truncated: length` (6.7.2), and every record names its file's warcinfo (5.16).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, Callable
from urllib.parse import quote, urlsplit

from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archiver.errors import RecordError
from archiver.models import Exchange, Fetch, Headers, RecordRef
from archiver.warc.files import OpenWarcFile, create_open_file, recover_open_files, sanitized_hostname

__all__ = ["WarcRecorder", "recover_open_files"]

log = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
TRUNCATED_VALUES = ("length", "time", "disconnect")  # anything else is written as "unspecified"
_CHUNK = 1 << 16
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_UNSAFE_IN_LINE = re.compile(r"[\x00-\x20\x7f]")  # would break a WARC or HTTP header line
_URI_KEEP = "!#$%&'()*+,/:;=?@[]~"  # ASCII left as is in a request target; '%' keeps existing escapes


class _Warc11Writer(WARCWriter):
    """warcio's writer, minus the payload digest it computes for metadata records (WARC/1.1 5.9:
    not on "records without a well-defined payload", and section 4 gives metadata none).

    Revisit stays in the list: its WARC-Payload-Digest is the original's, set by create_revisit_record.
    """

    NO_PAYLOAD_DIGEST_TYPES = (*WARCWriter.NO_PAYLOAD_DIGEST_TYPES, "metadata")


def _sha1_label(digester) -> str:
    return "sha1:" + base64.b32encode(digester.digest()).decode("ascii")


def _warc_date(when: datetime) -> str:
    """ISO 8601 UTC with microseconds (WARC/1.1); naive datetimes are taken as UTC."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(when, use_micros=True)


def _safe_uri(uri: str) -> str:
    return _UNSAFE_IN_LINE.sub(lambda m: "%%%02X" % ord(m.group()), uri)


def _safe_headers(headers: Headers) -> list[tuple[str, str]]:
    """Header lines as received, with any CR/LF folded away so no value can end a line early."""
    return [(name.replace("\r", "").replace("\n", ""), re.sub(r"[\r\n]+", " ", value)) for name, value in headers]


class _ExactBody:
    """Reads exactly `length` bytes of a body file, and never closes it (the Fetch owns it)."""

    def __init__(self, file: BinaryIO, length: int):
        self._file = file
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        data = self._file.read(min(self._left, _CHUNK if size is None or size < 0 else size))
        if not data:
            raise RecordError(f"body ended {self._left} bytes before its stated length")
        self._left -= len(data)
        return data


class WarcRecorder:
    """Writes Fetches, metadata and revisits into rotating WARC/1.1 files; thread-safe.

    `clock()` returns the current UTC datetime and `record_id_factory()` a
    `<urn:uuid:...>` id: test seams, as warcio has. A recorder may be used again
    after `close()`: the next record opens a new file.
    """

    def __init__(self, warc_dir: Path, prefix: str = "archiver", max_bytes: int = 1_000_000_000, *,
                 software: str = "archiver/0.1", operator_info: dict | None = None,
                 clock: Callable[[], datetime] | None = None, record_id_factory: Callable[[], str] | None = None,
                 on_published: Callable[[Path], None] | None = None):
        self.warc_dir = Path(warc_dir)
        # Told each file's final path once it is closed and renamed (by rotation or close()): the indexer.
        self._on_published = on_published or (lambda path: None)
        self.warc_dir.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.software = software
        self.operator_info = dict(operator_info or {})
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._new_id = record_id_factory or StatusAndHeadersParser.make_warc_id
        self._host = sanitized_hostname()
        self._serial = 0
        self._file: OpenWarcFile | None = None
        self._writer: WARCWriter | None = None
        self._warcinfo_id: str | None = None  # the WARC-Record-ID of the current file's warcinfo
        self._lock = threading.Lock()
        # Builds records only (no output); stateless, so shared by all threads.
        self._records = _Warc11Writer(None, gzip=True, warc_version=WARC_VERSION)

    # -- public API -------------------------------------------------------

    def write_fetch(self, fetch: Fetch) -> list[RecordRef]:
        """Write a response and a request record per exchange; return the response refs, in order."""
        refs = []
        for exchange in fetch.exchanges:
            block_digest = self._check_body(exchange, with_block=True)
            response_id, request_id = self._new_id(), self._new_id()
            response = self._response_record(exchange, response_id, block_digest)
            request = self._request_record(exchange, request_id, concurrent_to=response_id)
            refs.append(self._write_group([response, request])[0])
        return refs

    def write_revisit(self, exchange: Exchange, refers_to: RecordRef) -> RecordRef:
        """An identical-payload-digest revisit (HTTP headers only) of `refers_to`, plus its request record."""
        digest = self._check_body(exchange, with_block=False)
        if refers_to.payload_digest and refers_to.payload_digest != digest:
            raise ValueError(f"revisit of {exchange.url}: payload {digest} differs from {refers_to.payload_digest}")
        revisit_id = self._new_id()
        headers = self._common_headers("revisit", revisit_id, exchange.url, exchange.started_at, exchange.peer)
        headers["WARC-Refers-To"] = refers_to.record_id
        # WARC/1.1 6.7.2: the block is the response cut after its HTTP headers, and "a WARC-Truncated
        # header with reason 'length' shall be used for any identical-digest truncation" (wget and
        # Heritrix write it too). Our own fetch never cut this body: capture rows say so, not this header.
        headers["WARC-Truncated"] = "length"
        revisit = self._records.create_revisit_record(  # adds WARC-Profile, Refers-To-Target-URI and -Date
            _safe_uri(exchange.url), digest, refers_to.target_uri, _warc_date(refers_to.date),
            http_headers=self._response_headers(exchange), warc_headers_dict=headers)
        request = self._request_record(exchange, self._new_id(), concurrent_to=revisit_id)
        return self._write_group([revisit, request])[0]

    def write_metadata(self, target_uri: str, concurrent_to: str | None, fields: list[tuple[str, str]], *,
                       date: datetime | None = None) -> RecordRef:
        """An application/warc-fields metadata record (e.g. ("outlink", url) lines) about `target_uri`."""
        block = "".join(f"{name}: {value}\r\n" for name, value in _safe_headers(tuple(fields))).encode("utf-8")
        headers = self._common_headers("metadata", self._new_id(), target_uri, date or self._clock(), None)
        if concurrent_to:
            headers["WARC-Concurrent-To"] = concurrent_to
        record = self._records.create_warc_record(
            _safe_uri(target_uri), "metadata", payload=BytesIO(block), length=len(block),
            warc_content_type="application/warc-fields", warc_headers_dict=headers,
        )
        return self._write_group([record])[0]

    def write_resource(self, target_uri: str, content_type: str, data: bytes, *, concurrent_to: str | None = None,
                       date: datetime | None = None) -> RecordRef:
        """A `resource` record holding `data` as is (a screenshot: `urn:screenshot:<url>`, as Browsertrix names it)."""
        headers = self._common_headers("resource", self._new_id(), target_uri, date or self._clock(), None)
        if concurrent_to:
            headers["WARC-Concurrent-To"] = concurrent_to
        record = self._records.create_warc_record(
            _safe_uri(target_uri), "resource", payload=BytesIO(data), length=len(data),
            warc_content_type=content_type, warc_headers_dict=headers,
        )
        return self._write_group([record])[0]

    def close(self) -> None:
        """Close the current file: fsync, then rename `.open` to its final name."""
        with self._lock:
            if self._file is not None:
                current, self._file, self._writer = self._file, None, None
                try:
                    published = current.publish()
                except OSError as exc:
                    current.abandon()
                    raise RecordError(f"cannot close WARC file {current.open_path}: {exc.strerror or exc}; "
                                      "it stays .open for recover_open_files") from exc
                self._on_published(published)

    def __enter__(self) -> WarcRecorder:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def current_file(self) -> Path | None:
        """The `.open` path being written, if any."""
        return self._file.open_path if self._file else None

    # -- building records ---------------------------------------------------

    def _common_headers(self, kind: str, record_id: str, uri: str, when: datetime, peer: str | None) -> dict:
        headers = {"WARC-Type": kind, "WARC-Record-ID": record_id, "WARC-Date": _warc_date(when),
                   "WARC-Target-URI": _safe_uri(uri)}
        if peer:
            headers["WARC-IP-Address"] = peer
        return headers

    @staticmethod
    def _response_headers(exchange: Exchange) -> StatusAndHeaders:
        reason = exchange.reason.encode("ascii", "replace").decode("ascii")  # the status line must be ASCII
        reason = reason or _REASONS.get(exchange.status, "Unknown")
        return StatusAndHeaders(f"{exchange.status} {reason}", _safe_headers(exchange.response_headers),
                                protocol=exchange.http_version)

    def _check_body(self, exchange: Exchange, *, with_block: bool) -> str | None:
        """Stream the body once: check length and payload digest; return the block digest if asked."""
        body = exchange.body
        http_headers = self._response_headers(exchange)
        http_headers.compute_headers_buffer()  # the exact bytes warcio will write before the body
        payload, block, seen = hashlib.sha1(), hashlib.sha1(http_headers.headers_buff), 0
        body.file.seek(0)
        for chunk in iter(lambda: body.file.read(_CHUNK), b""):
            payload.update(chunk)
            if with_block:
                block.update(chunk)
            seen += len(chunk)
        digest = _sha1_label(payload)
        if seen != body.length or digest != body.payload_digest:
            raise ValueError(f"body of {exchange.url} does not match its Body: {seen} bytes {digest}, "
                             f"stated {body.length} bytes {body.payload_digest}")
        if not with_block:
            return body.payload_digest
        return _sha1_label(block)

    def _response_record(self, exchange: Exchange, record_id: str, block_digest: str):
        body = exchange.body
        headers = self._common_headers("response", record_id, exchange.url, exchange.started_at, exchange.peer)
        headers["WARC-Block-Digest"] = block_digest
        headers["WARC-Payload-Digest"] = body.payload_digest
        if body.truncated:
            headers["WARC-Truncated"] = body.truncated if body.truncated in TRUNCATED_VALUES else "unspecified"
        body.file.seek(0)
        return self._records.create_warc_record(
            _safe_uri(exchange.url), "response", payload=_ExactBody(body.file, body.length), length=body.length,
            warc_headers_dict=headers, http_headers=self._response_headers(exchange),
        )

    def _request_record(self, exchange: Exchange, record_id: str, *, concurrent_to: str):
        parts = urlsplit(exchange.url)
        target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_URI_KEEP)
        http_headers = StatusAndHeaders(f"{target} {exchange.http_version}", _safe_headers(exchange.request_headers),
                                        protocol=exchange.method)
        headers = self._common_headers("request", record_id, exchange.url, exchange.started_at, exchange.peer)
        headers["WARC-Concurrent-To"] = concurrent_to
        return self._records.create_warc_record(
            _safe_uri(exchange.url), "request", warc_headers_dict=headers, http_headers=http_headers)

    # -- writing --------------------------------------------------------------

    def _write_group(self, records: list) -> list[RecordRef]:
        """Write records adjacently; on failure cut the file back to where the group began."""
        with self._lock:
            if self._file is None:
                self._open_next_file()
            file, writer = self._file, self._writer
            start = file.tell()
            refs = []
            try:
                for record in records:
                    # Set here, under the lock: only now is it known which file (and warcinfo) the record joins.
                    record.rec_headers.replace_header("WARC-Warcinfo-ID", self._warcinfo_id)
                    offset = file.tell()
                    writer.write_record(record)
                    refs.append(self._ref(record, file.name, offset, file.tell() - offset))
            except BaseException as exc:
                self._cut_back(start)
                if isinstance(exc, OSError):
                    uri = records[0].rec_headers.get_header("WARC-Target-URI")
                    raise RecordError(f"cannot write the WARC record of {uri} to {file.open_path}: "
                                      f"{exc.strerror or exc}; the file was cut back to its last complete "
                                      f"record (byte {start})") from exc
                raise
            if file.tell() >= self.max_bytes:
                self._file, self._writer = None, None
                try:
                    published = file.publish()
                except OSError as exc:
                    # The records are written; recover_open_files will finish the rename.
                    log.error("cannot close full WARC file %s: %s", file.open_path, exc)
                    file.abandon()
                else:
                    self._on_published(published)
            return refs

    @staticmethod
    def _ref(record, warc_file: str, offset: int, length: int) -> RecordRef:
        headers = record.rec_headers
        return RecordRef(
            warc_file=warc_file, offset=offset, length=length,
            record_id=headers.get_header("WARC-Record-ID"), record_type=record.rec_type,
            target_uri=headers.get_header("WARC-Target-URI"),
            date=datetime.fromisoformat(headers.get_header("WARC-Date").replace("Z", "+00:00")),
            payload_digest=headers.get_header("WARC-Payload-Digest"),
        )

    def _cut_back(self, position: int) -> None:
        try:
            self._file.cut_back(position)
        except OSError:
            # The file could not even be cut: leave it as `.open` for recover_open_files.
            self._file.abandon()
            self._file, self._writer = None, None

    def _open_next_file(self) -> None:
        try:
            file, self._serial = create_open_file(self.warc_dir, self.prefix, self._clock(), self._serial, self._host)
        except OSError as exc:
            raise RecordError(f"cannot create a WARC file in {self.warc_dir}: {exc.strerror or exc}") from exc
        writer = _Warc11Writer(file, gzip=True, warc_version=WARC_VERSION)
        warcinfo = self._warcinfo_record(file.name)
        try:
            writer.write_record(warcinfo)
        except OSError as exc:
            file.discard()
            raise RecordError(f"cannot start WARC file {file.open_path}: {exc.strerror or exc}") from exc
        self._file, self._writer = file, writer
        self._warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")

    def _warcinfo_record(self, name: str):
        info = {
            "software": self.software,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": self._host,
            **self.operator_info,
        }
        block = "".join(f"{k}: {v}\r\n" for k, v in _safe_headers(tuple((k, str(v)) for k, v in info.items() if v)))
        data = block.encode("utf-8")
        headers = {"WARC-Type": "warcinfo", "WARC-Record-ID": self._new_id(), "WARC-Date": _warc_date(self._clock()),
                   "WARC-Filename": name}
        return self._records.create_warc_record(
            "", "warcinfo", payload=BytesIO(data), length=len(data),
            warc_content_type="application/warc-fields", warc_headers_dict=headers)
