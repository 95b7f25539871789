"""Generated archives at newsroom scale: the project's schema filled with bulk inserts, no fetching.

    .venv/bin/python benchmarks/scale_db.py --articles 10000 --database sqlite:////tmp/scale-10k.db
    .venv/bin/python benchmarks/scale_db.py --articles 10000 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/scale10k

The schema comes from Store.open (the migrations); rows then go straight in, in bulk (executemany on
SQLite, COPY on PostgreSQL): the Store's one-transaction-per-row writes would take hours here. Each
article cites `--refs` references (80% its own URLs, 20% from a pool every article shares, so some
URLs are cited many times), over 1,000 hosts, and `--runs` check runs each checked every URL once:
one capture and one observation per URL per run. Verdicts follow fixed paths chosen by the URL's
number: most stay alive, some die, move, rot, drift, recover or stay unverifiable, so the last run
brings news of every kind. Nothing is ANALYZEd: the database is as a daemon would leave it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Iterator

from sqlalchemy import create_engine, text

from archiver.store import Store
from archiver.store.schema import metadata

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
FIRST_DAY = date(2022, 1, 1)
RUN_GAP = timedelta(days=1)
HOSTS = 1000
SEED_TEXT = ("A paragraph of the article as the newsroom published it, kept as its baseline. " * 25).strip()
TEXTS = {"a" * 40: "The page as it was cited.\n\nIt said one thing.",
         "b" * 40: "The page as it is now.\n\nIt says another thing entirely."}
# (observation, http status, verdict) per run, by path; a path is picked by url_number % 100.
OK, NOT_FOUND = ("ok", 200, "alive"), ("not_found", 404, None)
PATHS = (
    (range(0, 80), (OK, OK, OK)),
    (range(80, 85), (OK, ("not_found", 404, "suspect"), ("not_found", 404, "dead"))),  # newly dead
    (range(85, 88), (("not_found", 404, "suspect"), ("not_found", 404, "dead"), ("not_found", 404, "dead"))),
    (range(88, 91), (("redirected", 200, "moved"),) * 3),
    (range(91, 93), (OK, OK, ("soft_404", 200, "rotten"))),  # newly rotten
    (range(93, 95), (OK, OK, ("ok", 200, "drifted"))),  # newly drifted (content_change drifted)
    (range(95, 97), (("timeout", None, "suspect"), ("timeout", None, "suspect"), OK)),  # recovered
    (range(97, 100), (("blocked", 403, "unverifiable"),) * 3),
)
PATH_OF = {n: steps for numbers, steps in PATHS for n in numbers}


def naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


class Layout:
    """Which URLs exist and who cites them: numbers only, so every table is generated in one pass."""

    def __init__(self, articles: int, refs: int) -> None:
        self.articles, self.refs = articles, refs
        self.own = max(refs - refs // 5, 1)  # references only this article cites
        self.pool = max(articles // 10, 10)  # URLs every article may cite
        self.link_urls = articles * self.own + self.pool

    def article_url(self, article: int) -> str:
        return f"https://news{article % 20}.example/{2020 + article % 6}/story-{article}.html"

    def link_url(self, number: int) -> str:
        return f"https://site{number % HOSTS}.example/section-{number % 7}/page-{number}.html"

    def cited(self, article: int) -> Iterator[int]:
        """Link URL numbers cited by `article` (1-based), in body order."""
        base = (article - 1) * self.own
        for position in range(self.refs):
            if position < self.own:
                yield base + position
            else:
                yield self.articles * self.own + (article * 7 + position * 13) % self.pool


def table_rows(layout: Layout, runs: int) -> dict[str, tuple[tuple[str, ...], Iterator[tuple]]]:
    """{table: (columns, rows)} in insert order; ids given, so observations can point at captures."""
    last = T0 + (runs - 1) * RUN_GAP
    per_run = layout.articles + layout.link_urls  # captures per run

    def articles():
        for n in range(1, layout.articles + 1):
            day = (FIRST_DAY + timedelta(days=n % 1096)).isoformat()  # three years of publishing, ~90 a day
            yield (n, layout.article_url(n), "generated", f"Story number {n}", day, SEED_TEXT,
                   layout.article_url(n), f"Story {n}: what the council decided", day, naive(T0),
                   naive(last), "alive", naive(last + timedelta(days=7)), naive(last))

    def links():
        for n in range(1, layout.articles + 1):
            for position, number in enumerate(layout.cited(n)):
                steps = PATH_OF[number % 100][:runs]
                since = next(i for i in range(len(steps)) if all(s[2] == steps[-1][2] for s in steps[i:]))
                yield (n, layout.link_url(number), f"reference {position}", position, True, naive(T0), naive(T0),
                       naive(last + timedelta(days=1)), steps[-1][2] or "suspect", naive(T0 + since * RUN_GAP),
                       naive(last))

    def captures():
        for run in range(runs):
            fetched = naive(T0 + run * RUN_GAP)
            for index in range(per_run):
                url, status, failure, text_hash = _url_state(layout, index, run)
                yield (run * per_run + index + 1, run + 1, index + 1 if index < layout.articles else None, url, url,
                       0, fetched, status, "text/html" if status else None, f"bench-{run}.warc.gz" if status else None,
                       index * 2000 if status else None, 1900 if status else None,
                       f"<urn:uuid:bench-{run}-{index}>" if status else None, f"sha1:{index:032d}" if status else None,
                       None, text_hash, None, failure, "")

    def observations():
        for run in range(runs):
            checked = naive(T0 + run * RUN_GAP + timedelta(minutes=5))
            for index in range(per_run):
                url, status, failure, text_hash = _url_state(layout, index, run)
                observation, verdict, change = _check(layout, index, run)
                drifted = change == "drifted"
                yield (run * per_run + index + 1, run + 1, url, checked, observation, "", status,
                       url.replace("page-", "moved-") if observation == "redirected" else (url if status else None),
                       observation == "redirected", change, 0.42 if drifted else (1.0 if change else None), None,
                       run * per_run + index + 1, index + 1 if change else None, verdict,
                       run == runs - 1 and index % 100 in range(95, 97), None)

    def public_copies():
        for number in range(layout.link_urls):
            if PATH_OF[number % 100][-1][2] == "dead":
                yield (number + 1, layout.link_url(number), "Internet Archive", "lookup", "found",
                       f"https://web.archive.org/web/2023/{layout.link_url(number)}", naive(T0 - RUN_GAP * 300),
                       naive(last), "")

    def texts():
        yield from TEXTS.items()

    def run_tallies():  # what each run kept as it ended: its references' verdicts after it (all were checked)
        counts = [Counter() for _ in range(runs)]
        for n in range(1, layout.articles + 1):
            for number in layout.cited(n):
                for run in range(runs):
                    counts[run][_check(layout, layout.articles + number, run)[1]] += 1
        for run in range(runs):
            yield (run + 1, layout.articles * layout.refs, json.dumps(counts[run]),
                   naive(T0 + run * RUN_GAP + timedelta(hours=1)))

    def runs_rows():
        for run in range(runs):
            yield (run + 1, "check", naive(T0 + run * RUN_GAP), naive(T0 + run * RUN_GAP + timedelta(hours=1)),
                   "finished", "{}", 1, None, "bench", None)

    return {
        "runs": (("id", "kind", "started_at", "finished_at", "status", "counts", "pid", "error", "host",
                  "heartbeat_at"), runs_rows()),
        "run_tallies": (("run_id", "references_checked", "verdicts", "tallied_at"), run_tallies()),
        "articles": (("id", "url", "source", "seed_title", "seed_date", "seed_text", "canonical_url", "title",
                      "published", "added_at", "last_captured_at", "verdict", "next_check_at", "last_checked_at"),
                     articles()),
        "links": (("article_id", "url", "anchor_text", "position", "supported", "first_seen", "last_seen",
                   "next_check_at", "verdict", "verdict_since", "last_checked_at"), links()),
        "texts": (("text_hash", "text"), texts()),
        "captures": (("id", "run_id", "article_id", "url", "requested_url", "hop", "fetched_at", "http_status",
                      "content_type", "warc_file", "warc_offset", "warc_length", "record_id", "payload_digest",
                      "truncated", "text_hash", "text_fingerprint", "failure", "failure_detail"), captures()),
        "observations": (("id", "run_id", "url", "checked_at", "observation", "detail", "http_status", "final_url",
                          "permanent", "content_change", "similarity", "simhash_distance", "capture_id",
                          "baseline_capture_id", "verdict", "recovered", "diff"), observations()),
        "public_copies": (("id", "url", "archive", "kind", "status", "memento_url", "memento_datetime",
                           "looked_up_at", "detail"), public_copies()),
    }


def _url_state(layout: Layout, index: int, run: int) -> tuple[str, int | None, str | None, str | None]:
    """(url, http status, failure, text hash) of capture number `index` (articles first, then link URLs)."""
    if index < layout.articles:
        return layout.article_url(index + 1), 200, None, "a" * 40
    number = index - layout.articles
    observation, status, _ = PATH_OF[number % 100][run]
    text_hash = ("b" * 40 if observation == "ok" and number % 100 in range(93, 95) and run > 0 else "a" * 40)
    return layout.link_url(number), status, "timeout" if status is None else None, text_hash if status == 200 else None


def _check(layout: Layout, index: int, run: int) -> tuple[str, str, str | None]:
    """(observation, verdict, content change) of the check of URL number `index` in `run`."""
    if index < layout.articles:
        return "ok", "alive", "unchanged"
    number = index - layout.articles
    observation, status, verdict = PATH_OF[number % 100][run]
    if number % 100 in range(93, 95) and run == 2:
        return "ok", "drifted", "drifted"
    return observation, verdict or "suspect", "unchanged" if observation == "ok" else None


def load(url: str, tables: dict[str, tuple[tuple[str, ...], Iterator[tuple]]]) -> None:
    engine = create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for name, (columns, rows) in tables.items():
                if engine.dialect.name == "postgresql":
                    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    if "id" in columns:
                        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                       f"(SELECT max(id) FROM {name}))")
                else:
                    marks = ", ".join("?" for _ in columns)
                    cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                                       (tuple(_sqlite_value(v) for v in row) for row in rows))
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


def _sqlite_value(value):
    # As SQLAlchemy's SQLite DateTime stores them; sqlite3's own datetime adapter is deprecated.
    return value.isoformat(sep=" ", timespec="microseconds") if isinstance(value, datetime) else value


def reset(url: str) -> None:
    """Drop every table of ours (and alembic's), so the generator starts from an empty schema."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--refs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--database", required=True, help="an SQLAlchemy URL (sqlite:///... or postgresql+psycopg://...)")
    args = parser.parse_args()
    started = time.perf_counter()
    reset(args.database)
    Store.open(args.database).close()  # the schema, as the migrations make it
    layout = Layout(args.articles, args.refs)
    load(args.database, table_rows(layout, args.runs))
    print(f"{args.articles} articles, {args.articles * args.refs} links ({layout.link_urls} distinct URLs), "
          f"{args.runs} runs in {time.perf_counter() - started:.0f} s: {args.database}")


if __name__ == "__main__":
    main()
