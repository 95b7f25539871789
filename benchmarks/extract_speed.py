"""Extraction time per page on the labelled corpus (tests/extract/corpus/), beside trafilatura called alone.

    .venv/bin/python benchmarks/extract_speed.py [--repeat 3] [--slowest 5] [--clock cpu|wall]

For each page: archiver.extract.extract(html, url) as the pipeline calls it for an article, and
trafilatura.bare_extraction(html, url=url, with_metadata=True, include_links=True) with trafilatura's
own defaults otherwise (its metadata and free-text date scan on). Each is run --repeat times per page
and its fastest run kept. The clock is this process's CPU time by default: extraction is one thread, and
on a shared machine wall time mostly measures the neighbours (--clock wall for it). Prints the mean and
the worst page of each, and their ratio. Numbers go in notes, never in tests.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from archiver.extract import extract  # noqa: E402
from support.corpus import load_pages  # noqa: E402


def _fastest(call, repeat: int, clock) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = clock()
        call()
        best = min(best, clock() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--slowest", type=int, default=5, help="list this many slowest pages")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    logging.disable(logging.WARNING)  # trafilatura's per-page warnings are not the measurement
    pages = load_pages()
    ours, theirs = {}, {}
    for page in pages:
        ours[page.name] = _fastest(lambda: extract(page.html, page.url), args.repeat, clock)
        theirs[page.name] = _fastest(lambda: trafilatura.bare_extraction(
            page.html, url=page.url, with_metadata=True, include_links=True), args.repeat, clock)
    mean_ours, mean_theirs = statistics.mean(ours.values()), statistics.mean(theirs.values())
    worst = max(ours, key=ours.get)
    worst_theirs = max(theirs, key=theirs.get)
    print(f"{len(pages)} pages, fastest of {args.repeat} runs each, {args.clock} time")
    print(f"archiver extract : mean {mean_ours * 1000:7.1f} ms  worst {ours[worst] * 1000:7.1f} ms ({worst})")
    print(f"trafilatura alone: mean {mean_theirs * 1000:7.1f} ms  worst {theirs[worst_theirs] * 1000:7.1f} ms "
          f"({worst_theirs})")
    print(f"ratio of means   : {mean_ours / mean_theirs:.2f}")
    for name in sorted(ours, key=ours.get, reverse=True)[: args.slowest]:
        print(f"  {name:28s} {ours[name] * 1000:7.1f} ms (trafilatura {theirs[name] * 1000:7.1f} ms)")


if __name__ == "__main__":
    main()
