"""The store's side of cheap re-checks, on SQLite and PostgreSQL: validators kept, the last complete capture found."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from archiver.models import Capture, Observation

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
LINK = "https://ref.example/a"


def capture(n: int, **overrides) -> Capture:
    """The n-th capture of LINK: a complete 200 at minute n, its own record."""
    values = dict(
        url=LINK, requested_url=LINK, hop=0, fetched_at=T0 + timedelta(minutes=n), http_status=200,
        content_type="text/html", warc_file="w.warc.gz", warc_offset=n * 1000, warc_length=900,
        record_id=f"<urn:uuid:{n:08d}>", payload_digest="sha1:SAME", text_hash="t1", text_fingerprint=-5,
    )
    values.update(overrides)
    return Capture(**values)


def test_validators_and_referred_record_round_trip(store):
    stored = capture(1, etag='W/"x1"', last_modified="Tue, 04 Mar 2025 09:30:00 GMT", refers_to_record_id="<urn:r>")
    store.add_captures([stored])
    assert store.captures_for_url(LINK) == [stored]


def test_the_newest_complete_capture_is_found_with_the_response_that_holds_its_payload(store):
    store.add_captures([capture(1, etag='"a"')])
    store.add_captures([capture(2, record_id="<urn:revisit>", refers_to_record_id=capture(1).record_id, etag='"b"')])
    # Newer, but not complete: a 304, a cut body, a failure, a 5xx. None of them is a base to build on.
    store.add_captures([capture(3, http_status=304, refers_to_record_id=capture(1).record_id)])
    store.add_captures([capture(4, truncated="length")])
    store.add_captures([capture(5, failure=Observation.TIMEOUT)])
    store.add_captures([capture(6, http_status=503)])
    [(latest, holder)] = store.last_complete_captures([LINK, "https://never.example/"]).values()
    assert (latest.record_id, latest.etag) == ("<urn:revisit>", '"b"')
    assert (holder.record_id, holder.fetched_at, holder.warc_offset) == (capture(1).record_id, capture(1).fetched_at, 1000)


def test_only_the_final_hop_of_a_fetch_counts(store):
    moved = "https://ref.example/new"
    store.add_captures([capture(1, http_status=301, hop=0),
                        capture(1, url=moved, hop=1, record_id="<urn:final>", etag='"n"')])
    store.add_captures([capture(2, http_status=200, hop=0, record_id="<urn:first-hop-2xx>"),
                        capture(2, url=moved, hop=1, http_status=404, record_id="<urn:404>")])
    [(latest, holder)] = store.last_complete_captures([LINK]).values()
    assert latest.record_id == holder.record_id == "<urn:final>" and latest.url == moved


def test_a_revisit_whose_response_has_no_row_is_no_base(store):
    store.add_captures([capture(1, refers_to_record_id="<urn:gone>")])
    assert store.last_complete_captures([LINK]) == {}
