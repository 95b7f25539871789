"""One fetch into the WARC and into capture rows: every hop as it happened, a repeated payload as a revisit.

The decision is made here, after the body streamed (its digest is known) and
before anything is written: earlier hops are written in full; the final hop is
a `revisit` record when its payload equals the previous capture's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from archiver.models import Capture, Exchange, Fetch, Observation, RecordRef
from archiver.pipeline.conditional import PreviousCapture, confirms_previous
from archiver.pipeline.extraction import ExtractedPage

if TYPE_CHECKING:
    from archiver.warc.record import WarcRecorder


def repeats_payload(fetch: Fetch, previous: PreviousCapture | None) -> bool:
    """The final response is a complete 2xx carrying exactly the bytes of the previous capture."""
    final = fetch.final
    return (previous is not None and final is not None and 200 <= final.status < 300
            and final.body.truncated is None and final.body.payload_digest == previous.payload.payload_digest)


def write_hops(recorder: WarcRecorder, fetch: Fetch, previous: PreviousCapture | None) -> list[RecordRef]:
    """Write every exchange; return one ref per exchange (the response or revisit record), in order."""
    if not repeats_payload(fetch, previous):
        return recorder.write_fetch(fetch) if fetch.exchanges else []
    *earlier, final = fetch.exchanges
    refs = recorder.write_fetch(replace(fetch, exchanges=tuple(earlier))) if earlier else []
    return refs + [recorder.write_revisit(final, previous.payload)]


def capture_rows(fetch: Fetch, refs: list[RecordRef], content: ExtractedPage | None,
                 previous: PreviousCapture | None) -> Iterable[Capture]:
    """A Capture per written exchange; the final one carries validators and, when its payload is the
    previous capture's (a revisit or a confirming 304), that capture's text hash and fingerprint."""
    if not fetch.exchanges:
        yield unfetched_capture(fetch.url, fetch.started_at, fetch.failure, fetch.failure_detail)
        return
    refers_to = None
    if repeats_payload(fetch, previous) or confirms_previous(fetch, previous):
        refers_to = previous.payload.record_id
    last = len(fetch.exchanges) - 1
    for hop, (exchange, ref) in enumerate(zip(fetch.exchanges, refs)):
        row = _exchange_row(fetch, hop, exchange, ref)
        if hop < last:
            yield row
        elif refers_to is not None:
            yield replace(row, text_hash=previous.text_hash, text_fingerprint=previous.text_fingerprint,
                          refers_to_record_id=refers_to, **_validators(exchange))
        else:
            yield replace(row, **_text_fields(exchange, content), **_validators(exchange),
                          failure=fetch.failure, failure_detail=fetch.failure_detail)


def _exchange_row(fetch: Fetch, hop: int, exchange: Exchange, ref: RecordRef) -> Capture:
    return Capture(
        url=exchange.url, requested_url=fetch.url, hop=hop, fetched_at=exchange.started_at,
        http_status=exchange.status, content_type=exchange.content_type or None,
        warc_file=ref.warc_file, warc_offset=ref.offset, warc_length=ref.length,
        record_id=ref.record_id, payload_digest=exchange.body.payload_digest, truncated=exchange.body.truncated,
    )


def _text_fields(exchange: Exchange, content: ExtractedPage | None) -> dict:
    # A cut body's text is incomplete: it is kept as evidence but never becomes a baseline or a comparison.
    if content is None or exchange.body.truncated is not None:
        return {}
    return {"text_hash": content.text_hash, "text_fingerprint": content.text_fingerprint}


def _validators(exchange: Exchange) -> dict:
    return {"etag": exchange.header("ETag"), "last_modified": exchange.header("Last-Modified")}


def unfetched_capture(url: str, when, failure: Observation | None, detail: str) -> Capture:
    """A capture row for a URL that gave no response at all (refused, unresolvable, not http)."""
    return Capture(
        url=url, requested_url=url, hop=0, fetched_at=when, http_status=None, content_type=None,
        warc_file=None, warc_offset=None, warc_length=None, record_id=None, payload_digest=None,
        failure=failure, failure_detail=detail,
    )
