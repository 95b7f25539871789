"""How long each page of the review UI (archiver serve) takes on a generated archive.

    .venv/bin/python benchmarks/ui_generate.py --articles 100000 --database sqlite:////tmp/ui100k.db
    .venv/bin/python benchmarks/ui_pages.py --database sqlite:////tmp/ui100k.db [--repeat 5]

Any generated archive will do: ui_generate.py's has the UI's variety (article verdicts, diffs, overrides);
scale_db.py's (the one benchmarks/scale.py measures) is faster to make at 100,000 articles.

Renders every page through the Flask app in this process (no network, so the number is the server's
work: queries and templates), each --repeat times, and prints one line per page: the first (cold)
time and the median of the others, in milliseconds of wall time and of this process's CPU time (on a
shared, overloaded machine the CPU time is the steadier number: SQLite works inside this process; a
PostgreSQL server's work shows in wall time only), with the page size. The dashboard and hosts pages
compute their archive-wide aggregates on the first request after a data change (cold) and reuse them
until the next change (warm); every other page reads one screenful by index and has no cache, so its
cold and warm times differ only by the database's page cache. Templates are compiled before timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from urllib.parse import quote

from archiver.settings import load_settings
from archiver.store import ArticleFilter, Store
from archiver.web.app import create_app
from archiver.web.jobs import JobRunner


def pages(store: Store) -> list[tuple[str, str]]:
    """(name, path) of every page, with targets picked from the archive: a middle article, a popular link."""
    rows = store.search_articles(ArticleFilter(), after_id=None, limit=1)
    top = rows[0]["id"] if rows else 1
    middle = max(top // 2, 1)
    links = store.article_links(middle)
    link = links[0]["url"] if links else "https://example.invalid/"
    drifted = next((row["url"] for row in links if row["verdict"] == "drifted"), link)
    article = store.article_row(middle) or {"url": "", "published": "2024-01-01"}
    host = article["url"].split("/")[2] if article["url"] else "example.invalid"
    return [
        ("dashboard", "/"),
        ("articles, first page", "/articles"),
        (f"articles, keyset page after {middle}", f"/articles?after={middle}"),
        ("articles, search 'story 4242'", "/articles?q=story+4242"),
        ("articles, search no match", "/articles?q=no-such-title"),
        ("articles, verdict alive", "/articles?verdict=alive"),
        ("articles, verdict dead (rare)", "/articles?verdict=dead"),
        (f"articles, host {host}", f"/articles?host={host}"),
        ("articles, dated one day", "/articles?from=2024-03-03&to=2024-03-03"),
        ("article page", f"/articles/{middle}"),
        ("link page", f"/link?url={quote(link, safe='')}"),
        ("diff page", f"/diff?url={quote(drifted, safe='')}&article={middle}"),
        ("hosts", "/hosts"),
        ("jobs", "/jobs"),
    ]


def measure(database_url: str, repeat: int) -> list[dict]:
    settings = load_settings(None, overrides={"storage.database": database_url})
    results = []
    with Store.open(database_url) as store:
        jobs = JobRunner(settings)
        app = create_app(settings, store, jobs=jobs, background_counts=False)
        client, cache = app.test_client(), app.extensions["archiver_cache"]
        targets = pages(store)
        for _, path in targets:  # templates compiled once, as in a server that has shown each page before
            client.get(path)
        for name, path in targets:
            times, cpu, size, status = [], [], 0, 0
            cache.clear()  # the first request after a change recomputes the aggregates: the cold time
            for _ in range(repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                size, status = len(response.data), response.status_code
            results.append({"page": name, "status": status, "cold_ms": round(times[0], 1),
                            "warm_median_ms": round(statistics.median(times[1:] or times), 1),
                            "cold_cpu_ms": round(cpu[0], 1), "warm_cpu_ms": round(statistics.median(cpu[1:] or cpu), 1),
                            "bytes": size})
        jobs.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON list instead of a table")
    args = parser.parse_args()
    results = measure(args.database, args.repeat)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"{'page':42} {'status':>6} {'cold ms':>9} {'warm ms':>9} {'cold cpu':>9} {'warm cpu':>9} {'bytes':>8}")
    for row in results:
        print(f"{row['page']:42} {row['status']:>6} {row['cold_ms']:>9} {row['warm_median_ms']:>9} "
              f"{row['cold_cpu_ms']:>9} {row['warm_cpu_ms']:>9} {row['bytes']:>8}")
    slow = [row["page"] for row in results if row["warm_median_ms"] >= 300 or row["cold_ms"] >= 300]
    print(f"pages at or over 300 ms: {', '.join(slow) or 'none'}", file=sys.stderr)


if __name__ == "__main__":
    main()
