"""Reviewers' overrides of link verdicts: one word per link URL ("ignore", or "fine": this is fine).

Like lychee's ignore file or IABot's per-link overrides: the checks go on and the verdict stays what
they found, but every report shows the override beside it, and a link carrying one no longer fails a
report. The review UI (archiver.web) writes them; the report builder reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import Connection, delete, select

from archiver.store.articles import dialect_insert
from archiver.store.engine import Database
from archiver.store.rows import in_chunks
from archiver.store.schema import link_overrides

OVERRIDE_KINDS = ("ignore", "fine")


@dataclass(frozen=True)
class LinkOverride:
    url: str
    kind: str  # one of OVERRIDE_KINDS
    note: str
    reviewer: str
    created_at: datetime


class OverrideQueries:
    _db: Database

    def set_override(self, override: LinkOverride) -> None:
        """Record (or replace) the reviewer's word on `override.url`. ValueError for an unknown kind."""
        if override.kind not in OVERRIDE_KINDS:
            raise ValueError(f"unknown override {override.kind!r}: expected one of {', '.join(OVERRIDE_KINDS)}")
        values = {"url": override.url, "kind": override.kind, "note": override.note, "reviewer": override.reviewer,
                  "created_at": override.created_at}

        def work(connection: Connection) -> None:
            insert = dialect_insert(connection, link_overrides).values(**values)
            connection.execute(insert.on_conflict_do_update(
                index_elements=[link_overrides.c.url], set_={k: v for k, v in values.items() if k != "url"}))

        self._db.write("record a link override", work)

    def clear_override(self, url: str) -> bool:
        """Remove the override on `url`; False when there was none."""

        def work(connection: Connection) -> bool:
            return connection.execute(delete(link_overrides).where(link_overrides.c.url == url)).rowcount > 0

        return self._db.write("clear a link override", work)

    def overrides_for(self, urls: Sequence[str] | None = None) -> dict[str, LinkOverride]:
        """The overrides on these URLs (all of them when None), keyed by URL."""
        found: dict[str, LinkOverride] = {}
        with self._db.read("read link overrides") as connection:
            if urls is None:
                rows = connection.execute(select(link_overrides)).all()
            else:
                rows = [row for chunk in in_chunks(urls)
                        for row in connection.execute(select(link_overrides).where(link_overrides.c.url.in_(chunk)))]
        for row in rows:
            found[row.url] = LinkOverride(row.url, row.kind, row.note, row.reviewer, row.created_at)
        return found
