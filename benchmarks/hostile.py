"""Time and peak memory of every hostile case, each captured alone in a fresh process.

    .venv/bin/python benchmarks/hostile.py [--cases "never answers,gzip bomb page"]
                                           [--total-timeout 10s] [--read-timeout 5s] [--retries 2]

The cases are the hostile web of tests/pipeline/test_hostile_run.py (serve_hostile_web):
raw-socket servers that never answer, drip, reset, lie about lengths and chunks,
send a megabyte of headers or an invalid status line, and HTTP pages that are
gzip bombs (as a page and as a redirect's body), endless redirect chains, binary
garbage, 50 MB of nested tags and charset lies. For each case this process starts
the case's loopback server and a child process (`hostile.py --child ...`) that
imports archiver, opens the store once (schema made), extracts one near-empty
page (jusText's all-language stop-word list, about 33 MB, is loaded once per
process by the first such page: the baseline includes it), notes its baseline
peak RSS, then captures the case's URL as an article through open_pipeline: fetch,
WARC record, extraction, classification and store, the path of every run. The
child prints one JSON line; this process prints a table:

    case | observation | seconds | peak RSS MB | over baseline MB | deadline

Peak RSS is the child's VmHWM (benchmarks/bigbody.py peak_rss_kb): getrusage's
ru_maxrss is carried across exec, so a child would report this parent's peak
(the gzip bomb is built here) instead of its own. Settings are the defaults except
the deadlines given here, private networks allowed (loopback), no per-host delay
and no robots.txt. Measurements to read, not tests: nothing fails when a number is worse.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from bigbody import peak_rss_kb  # noqa: E402

CHILD_SLACK = 120.0  # seconds beyond the worst case's deadlines before a child counts as hung


def child(url: str, data_dir: Path, total_timeout: str, read_timeout: str, retries: int) -> None:
    """Capture `url` as an article; print one JSON line with what happened, how long, how much memory."""
    from archiver.extract import extract
    from archiver.pipeline import article_from_cli, open_pipeline, open_store
    from archiver.settings import load_settings

    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
           "ARCHIVER_FETCH_RESPECT_ROBOTS": "false", "ARCHIVER_FETCH_TOTAL_TIMEOUT": total_timeout,
           "ARCHIVER_FETCH_READ_TIMEOUT": read_timeout, "ARCHIVER_FETCH_RETRIES": str(retries),
           # Extraction in this process, not in worker processes: its memory belongs in the peak measured.
           "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0"}
    settings = load_settings(env=env, overrides={"storage.data_dir": str(data_dir)})
    with open_store(settings):
        pass  # the schema is made before the baseline: the capture alone is measured
    # A page with almost no text makes trafilatura fall back to jusText, which builds a stop-word list of
    # every language once per process (about 33 MB): paid here, so the baseline holds it for every case.
    extract(b"<html><body><p>warm-up</p></body></html>", "http://warm-up.invalid/")
    baseline_kb = peak_rss_kb()
    started = time.perf_counter()
    with open_pipeline(settings) as pipeline:
        [summary] = pipeline.archive([article_from_cli(url)])
    seconds = time.perf_counter() - started
    peak_kb = peak_rss_kb()
    with open_store(settings) as store:
        observation = store.latest_observations([summary.url])[summary.url]
        truncated = sorted({c.truncated for c in store.captures_for_url(summary.url) if c.truncated})
    print(json.dumps({"observation": observation.observation, "http_status": observation.http_status,
                      "truncated": truncated, "seconds": seconds, "baseline_kb": baseline_kb, "peak_kb": peak_kb}))


def measure(case: str, args: argparse.Namespace, data_dir: Path) -> dict:
    """Serve `case`, capture it in a child process, return the child's JSON (or the failure)."""
    from support.hostile_web import serve_hostile_web  # here, not in the child: it would count its imports

    with ExitStack() as stack:
        url = serve_hostile_web(stack, [case])[case]
        command = [sys.executable, __file__, "--child", url, str(data_dir), args.total_timeout, args.read_timeout,
                   str(args.retries)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_SLACK * (1 + args.retries))
    if done.returncode != 0 or not done.stdout.strip():
        return {"error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:] or done.stdout}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(case: str, result: dict, deadline: str) -> list[str]:
    if "error" in result:
        return [case, result["error"], "", "", "", deadline]
    status = f" {result['http_status']}" if result["http_status"] is not None else ""
    cut = f", truncated={'+'.join(result['truncated'])}" if result["truncated"] else ""
    mb = lambda kb: f"{kb / 1024:.0f}"  # noqa: E731
    return [case, f"{result['observation']}{status}{cut}", f"{result['seconds']:.1f}", mb(result["peak_kb"]),
            mb(result["peak_kb"] - result["baseline_kb"]), deadline]


def print_table(rows: list[list[str]]) -> None:
    header = ["case", "observation", "seconds", "peak RSS MB", "over baseline MB", "deadline"]
    widths = [max(len(line[n]) for line in [header, *rows]) for n in range(len(header))]
    for line in [header, ["-" * width for width in widths], *rows]:
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all, as listed in "
                                        "tests/pipeline/test_hostile_run.py HOSTILE_CASES)")
    parser.add_argument("--total-timeout", default="10s", help="fetch.total_timeout (default 10s)")
    parser.add_argument("--read-timeout", default="5s", help="fetch.read_timeout (default 5s)")
    parser.add_argument("--retries", type=int, default=2, help="fetch.retries (default 2, the product default)")
    parser.add_argument("--child", nargs=5, metavar=("URL", "DATA_DIR", "TOTAL", "READ", "RETRIES"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, data_dir, total, read, retries = args.child
        child(url, Path(data_dir), total, read, int(retries))
        return
    from support.hostile_web import HOSTILE_CASES

    cases = [name.strip() for name in args.cases.split(",")] if args.cases else list(HOSTILE_CASES)
    unknown = [name for name in cases if name not in HOSTILE_CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {', '.join(HOSTILE_CASES)}")
    deadline = f"total {args.total_timeout}, read {args.read_timeout}, {args.retries} retries"
    rows = []
    with tempfile.TemporaryDirectory(prefix="archiver-hostile-") as work_dir:
        for number, case in enumerate(cases):
            rows.append(row(case, measure(case, args, Path(work_dir) / f"case-{number}"), deadline))
            print(f"{case}: {rows[-1][1]}, {rows[-1][2]} s", file=sys.stderr, flush=True)
    print_table(rows)


if __name__ == "__main__":
    main()
