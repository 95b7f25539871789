"""Reading our WARC files back: every record's place and headers, and a record's payload (for `archiver rebuild`).

The records come out as ArchivedRecord (ours, so nothing of warcio leaves this room), in file
order, with the file name, byte offset and length a capture row keeps. Payloads come out as
stored: transfer chunking already removed by the recorder, content-encoding kept, so the reader
decodes them as the fetcher did (archiver.fetch.decompress).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

__all__ = ["ArchivedRecord", "read_payload", "read_records"]

_CHUNK = 1 << 16
_OUTLINK = "outlink"


@dataclass(frozen=True)
class ArchivedRecord:
    """One WARC record: where it lies, its WARC headers, and its HTTP status line and headers if it has them."""

    warc_file: str  # the file's name in the warcs folder
    offset: int
    length: int
    record_type: str
    record_id: str
    target_uri: str
    date: datetime
    warc_headers: tuple[tuple[str, str], ...]
    http_status: int | None = None  # responses and revisits
    http_headers: tuple[tuple[str, str], ...] = ()  # responses, revisits and requests
    outlinks: tuple[str, ...] = ()  # a metadata record's "outlink:" fields, in order
    fields: tuple[tuple[str, str], ...] = ()  # a metadata record's fields (outlinks included), in order

    def warc_header(self, name: str) -> str | None:
        return _find(self.warc_headers, name)

    def header(self, name: str) -> str | None:
        """An HTTP header of the response, revisit or request."""
        return _find(self.http_headers, name)


def _find(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def read_records(warc_path: Path) -> Iterator[ArchivedRecord]:
    """Every record of a closed WARC file, in file order. warcio's errors for a damaged file propagate."""
    warc_path = Path(warc_path)
    with open(warc_path, "rb") as stream:
        records = ArchiveIterator(stream, no_record_parse=False, check_digests=False)
        for record in records:
            fields = _fields(record) if record.rec_type == "metadata" else ()
            records.read_to_end(record)  # before asking where it lies: warcio would read (skip) the block itself
            yield _archived(record, warc_path.name, records.get_record_offset(), records.get_record_length(), fields)


def read_payload(warc_path: Path, offset: int) -> Iterator[bytes]:
    """The payload of the response record at `offset` (after its HTTP headers), as stored, in chunks."""
    with open(warc_path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream, check_digests=False)))
        for chunk in iter(lambda: record.raw_stream.read(_CHUNK), b""):
            yield chunk


def _fields(record) -> tuple[tuple[str, str], ...]:
    """The `name: value` lines of an application/warc-fields block."""
    block = record.content_stream().read().decode("utf-8", errors="replace")
    found = []
    for line in block.splitlines():
        name, _, value = line.partition(":")
        if name.strip() and value.strip():
            found.append((name.strip(), value.strip()))
    return tuple(found)


def _archived(record, warc_file: str, offset: int, length: int, fields: tuple[tuple[str, str], ...]) -> ArchivedRecord:
    headers = record.rec_headers
    http = record.http_headers
    status = None
    if http is not None and record.rec_type in ("response", "revisit"):
        code = http.get_statuscode()
        status = int(code) if code and code.isdigit() else None
    date = datetime.fromisoformat(headers.get_header("WARC-Date").replace("Z", "+00:00"))
    return ArchivedRecord(
        warc_file=warc_file, offset=offset, length=length, record_type=record.rec_type,
        record_id=headers.get_header("WARC-Record-ID") or "", target_uri=headers.get_header("WARC-Target-URI") or "",
        date=date, warc_headers=tuple(headers.headers), http_status=status,
        http_headers=tuple(http.headers) if http is not None else (), fields=fields,
        outlinks=tuple(value for name, value in fields if name == _OUTLINK),
    )
