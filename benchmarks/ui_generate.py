"""A generated archive in the project's schema, fast: N articles, 10 references each, 3 check runs.

    .venv/bin/python benchmarks/ui_generate.py --articles 100000 --database sqlite:////tmp/ui100k.db

Rows go straight into the tables the Store made (archiver.store.schema, through SQLAlchemy Core in
batches): the Store's own writes would take hours at this size. What it holds, per article: one
capture of the article, 10 links (a fifth of them cited by two articles, over --hosts hosts), and
for each distinct link URL one capture and one observation per check run, with the verdict mix a
newsroom sees (mostly alive; dead, rotten, drifted, suspect, moved, unverifiable), drifted pages with
a diff, and verdicts that changed in the last run. Used by benchmarks/ui_pages.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from archiver.store import Store
from archiver.store.schema import articles, captures, links, observations, runs

REFERENCES = 10
RUNS = 3
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RUN_TIMES = [T0 + timedelta(days=3 * n) for n in range(RUNS)]
VERDICTS = (["alive"] * 80 + ["dead"] * 5 + ["rotten"] * 3 + ["drifted"] * 4 + ["suspect"] * 3 + ["moved"] * 3
            + ["unverifiable"] * 2)
OBSERVED = {"alive": ("ok", 200), "dead": ("not_found", 404), "rotten": ("soft_404", 200),
            "drifted": ("ok", 200), "suspect": ("server_error", 503), "moved": ("redirected", 200),
            "unverifiable": ("blocked", 403)}
TOPICS = ("budget", "transport", "housing", "schools", "hospital", "election", "climate", "court", "police", "tram")
DIFF = "--- baseline\n+++ now\n@@ -1,2 +1,2 @@\n The council met.\n-The budget passed.\n+The budget was withdrawn.\n"
BATCH = 20_000


def generate(database_url: str, article_count: int, hosts: int, seed: int = 19) -> dict[str, float]:
    rng = random.Random(seed)
    started = time.perf_counter()
    Store.open(database_url).close()  # the schema at head, made by the Store itself
    store = Store.open(database_url)
    engine = store.job_store_engine(writing=True)
    distinct = article_count * REFERENCES * 4 // 5  # a fifth of the citations repeat an earlier URL
    urls = [f"https://ref{n % hosts}.example/{TOPICS[n % 10]}/{n}.html" for n in range(distinct)]
    verdict_of = [rng.choice(VERDICTS) for _ in range(distinct)]
    verdicts_by_run = [Counter(verdict if r == RUNS - 1 or u % 50 else "alive" for u, verdict in enumerate(verdict_of))
                       for r in range(RUNS)]  # as the observations below: what each run's checks left
    with engine.begin() as connection:
        run_ids = [connection.execute(runs.insert().values(
            kind="check", started_at=when, status="finished", finished_at=when + timedelta(hours=2),
            counts={"checked": distinct, **{f"verdict_{k}": n for k, n in verdicts_by_run[r].items()}}))
            .inserted_primary_key[0] for r, when in enumerate(RUN_TIMES)]
    _insert(engine, articles, (
        {"id": i + 1, "url": f"https://news{i % 20}.example/{2023 + i % 3}/story-{i}.html", "source": "bench",
         "title": f"Story {i} about the {TOPICS[i % 10]}", "published": f"{2023 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}",
         "added_at": T0, "last_captured_at": T0, "verdict": "alive", "last_checked_at": RUN_TIMES[-1],
         "next_check_at": RUN_TIMES[-1] + timedelta(days=7)} for i in range(article_count)))
    _insert(engine, links, (
        {"article_id": i // REFERENCES + 1, "url": urls[u], "anchor_text": f"source {i % REFERENCES}",
         "position": i % REFERENCES, "supported": True, "first_seen": T0, "last_seen": T0,
         "verdict": verdict_of[u], "last_checked_at": RUN_TIMES[-1], "next_check_at": RUN_TIMES[-1] + timedelta(days=3),
         "verdict_since": RUN_TIMES[-1] if u % 50 == 0 and verdict_of[u] != "alive" else T0}
        for i in range(article_count * REFERENCES) for u in [i if i < distinct else (i * 7919) % distinct]))
    _insert(engine, captures, (
        {"id": u + 1, "run_id": run_ids[0], "url": url, "requested_url": url, "hop": 0, "fetched_at": T0,
         "http_status": OBSERVED[verdict_of[u]][1], "content_type": "text/html", "warc_file": "bench-0.warc.gz",
         "warc_offset": u * 4096, "warc_length": 4000, "record_id": f"<urn:uuid:bench-{u}>", "failure_detail": ""}
        for u, url in enumerate(urls)))
    _insert(engine, observations, (
        {"run_id": run_ids[r], "url": url, "checked_at": RUN_TIMES[r] + timedelta(seconds=u % 7200),
         "observation": OBSERVED[verdict][0], "detail": "", "http_status": OBSERVED[verdict][1],
         "content_change": "drifted" if verdict == "drifted" and r else None,
         "similarity": 0.6 if verdict == "drifted" and r else None, "capture_id": u + 1,
         "verdict": verdict if r == RUNS - 1 or u % 50 else "alive", "recovered": False,
         "diff": DIFF if verdict == "drifted" and r else None}
        for r in range(RUNS) for u, (url, verdict) in enumerate(zip(urls, verdict_of))))
    store.close()
    return {"seconds": round(time.perf_counter() - started, 1), "articles": article_count,
            "links": article_count * REFERENCES, "distinct_urls": distinct, "observations": distinct * RUNS}


def _insert(engine, table, rows) -> None:
    """executemany straight on the driver, BATCH rows a transaction: SQLAlchemy's per-value type processing
    would triple the time. Datetimes go in as the store keeps them: naive UTC (text on SQLite)."""
    sqlite = engine.dialect.name == "sqlite"
    statement, batch = None, []

    def plain(value):
        if isinstance(value, datetime):
            value = value.astimezone(UTC).replace(tzinfo=None)
            return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value
        return value

    def flush() -> None:
        with engine.begin() as connection:
            cursor = connection.connection.cursor()
            cursor.executemany(statement, batch)
            cursor.close()

    for row in rows:
        if statement is None:
            names = list(row)
            marks = ", ".join(f":{name}" if sqlite else f"%({name})s" for name in names)
            statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
        batch.append({name: plain(value) for name, value in row.items()})
        if len(batch) == BATCH:
            flush()
            batch = []
    if batch:
        flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=2_000)
    parser.add_argument("--database", required=True, help="an empty database: sqlite:////tmp/x.db or postgresql+psycopg://...")
    args = parser.parse_args()
    print(generate(args.database, args.articles, args.hosts), file=sys.stderr)


if __name__ == "__main__":
    main()
