"""Rows as the database keeps them, mapped to and from our dataclasses; shared by the store's query modules."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Iterator, Sequence

from archiver.models import Capture, Observation

IN_CHUNK = 1000  # values per IN (...) list: far below SQLite's and PostgreSQL's bound-parameter limits
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
CAPTURE_FIELDS = (
    "run_id", "article_id", "url", "requested_url", "hop", "fetched_at", "http_status", "content_type",
    "warc_file", "warc_offset", "warc_length", "record_id", "payload_digest", "truncated", "text_hash",
    "text_fingerprint", "failure", "failure_detail", "etag", "last_modified", "refers_to_record_id",
)


def in_chunks(values: Sequence, size: int = IN_CHUNK) -> Iterator[list]:
    """`values` without repeats, in lists short enough for one IN (...) each."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def capture_values(capture: Capture) -> dict[str, Any]:
    row = {name: getattr(capture, name) for name in CAPTURE_FIELDS}
    fingerprint = capture.text_fingerprint
    if fingerprint is not None and not INT64_MIN <= fingerprint <= INT64_MAX:
        # Folding an unsigned value here would hand back a different number on read.
        raise ValueError(f"text_fingerprint {fingerprint} is not a signed 64-bit int (see compare.simhash64)")
    row["failure"] = capture.failure.value if capture.failure is not None else None
    row["failure_detail"] = capture.failure_detail or ""
    return row


def capture_from_row(row: Any) -> Capture:
    values = {name: getattr(row, name) for name in CAPTURE_FIELDS}
    values["failure"] = Observation(row.failure) if row.failure else None
    values["failure_detail"] = row.failure_detail or ""
    return Capture(**values)


@dataclass(frozen=True)
class ObservationRow:
    """One check of one URL as the database keeps it; `verdict` is the link's verdict after this check."""

    url: str
    checked_at: datetime
    observation: str
    verdict: str
    detail: str = ""
    http_status: int | None = None
    final_url: str | None = None
    permanent: bool | None = None
    content_change: str | None = None
    similarity: float | None = None
    simhash_distance: int | None = None
    capture_id: int | None = None
    baseline_capture_id: int | None = None
    recovered: bool = False
    diff: str | None = None
    run_id: int | None = None
    id: int | None = None


OBSERVATION_FIELDS = tuple(field.name for field in fields(ObservationRow) if field.name != "id")


def plain(value: Any) -> Any:
    """An enum member as its value (Observation.OK -> "ok"); anything else as it is."""
    return value.value if isinstance(value, enum.Enum) else value


def observation_values(row: ObservationRow) -> dict[str, Any]:
    values = {name: plain(getattr(row, name)) for name in OBSERVATION_FIELDS}
    values["detail"] = row.detail or ""
    values["recovered"] = bool(row.recovered)
    return values


def observation_from_row(row: Any) -> ObservationRow:
    values = {name: getattr(row, name) for name in OBSERVATION_FIELDS}
    values["detail"] = row.detail or ""
    return ObservationRow(id=row.id, **values)
