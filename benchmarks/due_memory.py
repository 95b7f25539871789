"""Memory of a check with a million due links: read in batches, queued per host on the frontier.

    .venv/bin/python benchmarks/due_memory.py [--links 1000000] [--hosts 5000]

Builds an SQLite archive with `--links` distinct due link URLs over `--hosts` hosts (10 per
article, rows written straight into the schema the Store made: the Store's own writes would take
an hour at this size), then, in a fresh process, does what `check` does before its first fetch:
reads the due links batch by batch and queues each on the frontier of a Fetcher. Nothing is
fetched: the hosts are made to wait an hour, so the queues hold everything at once, which is
the peak. Prints the process's peak RSS (VmHWM) before and after, and the time taken.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from archiver.store import Store

MEASURE = r"""
import json, sys, time
from datetime import datetime, UTC

def peak():
    return next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM:')) // 1024

from archiver.fetch import Fetcher
from archiver.fetch.task_run import TaskRun
from archiver.settings import FetchSettings
from archiver.store import Store

store = Store.open(sys.argv[1])
fetcher = Fetcher(FetchSettings(per_host_delay=3600.0, allow_private_networks=True))
before = peak()
started = time.perf_counter()
queued = 0
run = TaskRun(fetcher.politeness.frontier, lambda url: None, threads=1)
for batch in store.due_link_batches(datetime.now(UTC), include_not_due=True):
    for url in batch:
        run.put(url, url)
    queued += len(batch)
seconds = time.perf_counter() - started
print(json.dumps({"queued": queued, "peak_before_mb": before, "peak_after_mb": peak(), "seconds": round(seconds, 1)}))
run.stop()
run.close()
"""


def build(path: Path, links: int, hosts: int) -> None:
    Store.open(f"sqlite:///{path}").close()  # the schema, as the Store makes it
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(path) as db:
        articles = links // 10
        db.executemany("INSERT INTO articles (id, url, source, added_at) VALUES (?, ?, '', ?)",
                       ((n + 1, f"https://news.example/{n}", now) for n in range(articles)))
        db.executemany(
            "INSERT INTO links (article_id, url, anchor_text, position, supported, first_seen, last_seen)"
            " VALUES (?, ?, '', ?, 1, ?, ?)",
            ((k // 10 + 1, f"https://site{k % hosts}.example/section/page-{k}.html", k % 10, now, now)
             for k in range(links)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--hosts", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="archiver-due-") as scratch:
        path = Path(scratch) / "archiver.db"
        started = time.perf_counter()
        build(path, args.links, args.hosts)
        print(f"built {args.links} links over {args.hosts} hosts in {time.perf_counter() - started:.0f} s", flush=True)
        done = subprocess.run([sys.executable, "-c", MEASURE, f"sqlite:///{path}"], capture_output=True, text=True,
                              timeout=3600, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"queued {result['queued']} due links in {result['seconds']} s: peak RSS {result['peak_before_mb']} MB "
              f"after opening the store, {result['peak_after_mb']} MB with all of them queued")


if __name__ == "__main__":
    main()
