"""The database tables as SQLAlchemy Core objects: the schema at the newest migration.

Migrations (store/migrations/versions) are frozen copies and never import this
module; tests/store/test_store.py checks that the two agree on both backends.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, so later migrations can refer to them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime in Python, a naive UTC timestamp in the database.

    Both backends store the same naive UTC value (SQLite has no time zones), and a
    naive datetime is refused rather than guessed at.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: the store takes timezone-aware datetimes")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


articles = Table(
    "articles",
    metadata,
    Column("id", Id, primary_key=True),
    Column("url", Text, nullable=False, unique=True),  # normalised by the caller (archiver.urls)
    Column("source", Text, nullable=False, default=""),
    Column("seed_title", Text),
    Column("seed_date", Text),
    Column("seed_text", Text),
    Column("canonical_url", Text),
    Column("title", Text),
    Column("clean_title", Text),  # the title without the site's name (0006)
    Column("byline", Text),
    Column("published", Text),  # ISO 8601 UTC, or a day alone; before 0006, as the page wrote it
    Column("published_raw", Text),  # the publication date as the page wrote it (0006)
    Column("modified", Text),  # the page's modified date, normalised as `published` (0006)
    Column("language", String(35)),  # BCP 47 tags are at most 35 characters
    Column("added_at", UTCDateTime, nullable=False),
    Column("last_captured_at", UTCDateTime),
    # Article health (filled by the checker): its verdict, when it was last checked and when to look again.
    Column("verdict", String(16)),
    Column("next_check_at", UTCDateTime),
    Column("last_checked_at", UTCDateTime),
    Index(None, "canonical_url"),
    Index(None, "next_check_at"),
    Index(None, "verdict"),  # the review UI's verdict filter (migration 0008)
)

links = Table(
    "links",
    metadata,
    Column("id", Id, primary_key=True),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("anchor_text", Text, nullable=False, default=""),
    Column("position", Integer, nullable=False),
    Column("supported", Boolean, nullable=False, default=True),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    # Link health (filled by the checker): when to look again and the verdict so far.
    Column("next_check_at", UTCDateTime),
    Column("verdict", String(32)),
    Column("verdict_since", UTCDateTime),  # when the link got its current verdict
    Column("last_checked_at", UTCDateTime),
    UniqueConstraint("article_id", "url"),
    Index(None, "url", "verdict"),  # migration 0007: distinct URLs by verdict from the index alone
    Index(None, "article_id", "verdict"),  # an article's failing references
    Index(None, "next_check_at"),
    Index(None, "verdict"),  # verdict counts and filters in the review UI (migration 0008)
    Index(None, "verdict_since", "id"),  # what changed lately, newest first (migration 0011)
)

runs = Table(
    "runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(32), nullable=False),
    Column("counts", JSON, nullable=False, default=dict),
    Column("pid", Integer),
    Column("error", Text),
    # Which process runs it (migration 0005): a run still `running` whose process is gone is marked interrupted.
    Column("host", String(255)),
    Column("heartbeat_at", UTCDateTime),
    Index(None, "started_at"),
    Index(None, "status"),
)

# Per run that made observations, kept as it ends (migration 0012): how many references its checks
# covered, and how many references had each verdict after it. The reports' history chart reads these.
run_tallies = Table(
    "run_tallies",
    metadata,
    Column("run_id", Id, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("references_checked", Integer, nullable=False),
    Column("verdicts", JSON, nullable=False),
    Column("tallied_at", UTCDateTime, nullable=False),
)

captures = Table(
    "captures",
    metadata,
    Column("id", Id, primary_key=True),
    Column("run_id", Id, ForeignKey("runs.id", ondelete="SET NULL")),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("url", Text, nullable=False),
    Column("requested_url", Text, nullable=False),
    Column("hop", Integer, nullable=False, default=0),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("http_status", Integer),
    Column("content_type", Text),
    Column("warc_file", Text),
    Column("warc_offset", BigInteger),
    Column("warc_length", BigInteger),
    Column("record_id", Text),
    Column("payload_digest", Text),
    Column("truncated", String(16)),
    Column("text_hash", Text),
    Column("text_fingerprint", BigInteger),  # simhash64, signed: every backend has signed 64-bit ints
    Column("failure", String(32)),
    Column("failure_detail", Text, nullable=False, default=""),
    Column("etag", Text),  # validators of the final response (migration 0003)
    Column("last_modified", Text),
    Column("refers_to_record_id", Text),  # the response record a revisit or a 304 stands for
    Index(None, "url", "fetched_at"),
    Index(None, "requested_url", "fetched_at"),  # all hops of the fetches of one link
    Index(None, "requested_url", "http_status"),  # did a link ever get an answer (status; migration 0007)
    Index(None, "payload_digest"),  # an earlier identical payload: a WARC revisit
    Index(None, "article_id"),
    Index(None, "run_id"),
    Index(None, "record_id"),  # observations point at the capture of a WARC record
)

# Extracted main texts, one row per compare.text_hash: the baselines edited pages are diffed against.
texts = Table(
    "texts",
    metadata,
    Column("text_hash", String(40), primary_key=True),
    Column("text", Text, nullable=False),
)

# One check of one URL: what it found, and the link's verdict after it.
observations = Table(
    "observations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("run_id", Id, ForeignKey("runs.id", ondelete="SET NULL")),
    Column("url", Text, nullable=False),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("observation", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("http_status", Integer),
    Column("final_url", Text),
    Column("permanent", Boolean),
    Column("content_change", String(16)),
    Column("similarity", Double),
    Column("simhash_distance", Integer),
    Column("capture_id", Id, ForeignKey("captures.id", ondelete="SET NULL")),
    Column("baseline_capture_id", Id, ForeignKey("captures.id", ondelete="SET NULL")),
    Column("verdict", String(16), nullable=False),
    Column("recovered", Boolean, nullable=False, default=False),
    Column("diff", Text),  # unified diff against the baseline, for an edited page
    Index(None, "url", "checked_at"),
    Index(None, "run_id"),
)

# Public web archives (migration 0004): the latest look-up of each link URL at each Memento TimeGate
# (kind "lookup"), and each submission to a save endpoint (kind "submit"). One row per (url, archive, kind).
public_copies = Table(
    "public_copies",
    metadata,
    Column("id", Id, primary_key=True),
    Column("url", Text, nullable=False),
    Column("archive", String(64), nullable=False),  # the TimeGate's configured name, or the save endpoint's host
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # "found", "none", "failed"; "submitted" for a submission
    Column("memento_url", Text),  # kept through a failed refresh: the copy found before is still a copy
    Column("memento_datetime", UTCDateTime),
    Column("looked_up_at", UTCDateTime, nullable=False),
    Column("detail", Text, nullable=False, default=""),
    UniqueConstraint("url", "archive", "kind"),
)

# A reviewer's word on a link URL (migration 0008): "ignore" or "fine". Reports show it beside the verdict, and a
# link carrying one no longer fails a report; the verdict itself stays what the checks found.
link_overrides = Table(
    "link_overrides",
    metadata,
    Column("url", Text, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("reviewer", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

# Queue mode (migration 0009): each URL a queued run captures, once per run; done_at is set in the
# transaction that stores its captures and observation, so a redelivered message writes nothing twice.
queue_items = Table(
    "queue_items",
    metadata,
    Column("id", Id, primary_key=True),
    Column("run_id", Id, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # "article" or "reference"
    Column("article_id", Id, ForeignKey("articles.id", ondelete="SET NULL")),  # the article, or the first citing it
    Column("queued_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime),
    Column("worker", String(255)),  # the worker that stored it
    UniqueConstraint("run_id", "url"),
    Index(None, "run_id", "done_at"),
)

# WARC files uploaded to the bucket of storage.warc_store, each with its CDXJ index; verified by size and digest.
warc_objects = Table(
    "warc_objects",
    metadata,
    Column("id", Id, primary_key=True),
    Column("warc_file", Text, nullable=False, unique=True),  # the name capture rows give in warc_file
    Column("object_key", Text, nullable=False),
    Column("index_key", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
)

# The worker processes (`archiver worker`) and their heartbeats, for `status`.
queue_workers = Table(
    "queue_workers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),  # host:pid
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("threads", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("processed", BigInteger, nullable=False),
)
