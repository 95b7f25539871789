"""Newsroom scale: `status`, every report format and check planning on a generated archive (scale_db.py).

    .venv/bin/python benchmarks/scale.py --articles 1000 10000 --backend sqlite postgresql
    .venv/bin/python benchmarks/scale.py --articles 10000 --reuse     # keep and reuse generated databases

Each measurement is a fresh process (`archiver ... status`, `archiver ... report --format F -o FILE`, what a
run writes after each cycle (`cycle`: the default HTML and the JSON of what fails), and a planning script), timed by wall clock, its peak RSS read from wait4's rusage, and the output's size.
`table-tty` is the table as a terminal gets it (FORCE_COLOR, stdout to a file). Check planning reads the due
links batch by batch onto a fetcher's frontier, as `check --all` does before its first fetch, and looks
up the previous capture of 2,000 of them as the workers do (per-lookup time). Databases: SQLite files
under --scratch; PostgreSQL databases scale_<n> on 127.0.0.1:5432 (created if missing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
TIMEOUT = 3600
REPORTS = ("cycle", "table", "table-tty", "html", "html-all", "json", "csv", "markdown", "junit")

# What a run and the daemon write after each cycle (report/publish.py): the default HTML and the JSON of what fails.
CYCLE = r"""
import sys
from datetime import datetime, UTC
from archiver.report import write_cycle_reports
from archiver.settings import load_settings
from archiver.store import Store

settings = load_settings(None, overrides={"storage.database": sys.argv[1], "storage.data_dir": sys.argv[2]})
with Store.open(sys.argv[1]) as store:
    write_cycle_reports(store, settings, datetime.now(UTC))
"""

PLAN = r"""
import json, sys, time
from datetime import datetime, UTC
from archiver.fetch import Fetcher
from archiver.fetch.task_run import TaskRun
from archiver.pipeline.check_results import previous_captures
from archiver.settings import FetchSettings
from archiver.store import Store

store = Store.open(sys.argv[1])
fetcher = Fetcher(FetchSettings(per_host_delay=3600.0, allow_private_networks=True))
started = time.perf_counter()
run = TaskRun(fetcher.politeness.frontier, lambda url: None, threads=1)
queued, sample = 0, []
for batch in store.due_link_batches(datetime.now(UTC), include_not_due=True):
    for url in batch:
        run.put(url, url)
    queued += len(batch)
    sample.extend(batch[:2000 - len(sample)])
queue_seconds = time.perf_counter() - started
started = time.perf_counter()
for url in sample:
    previous_captures(store, [url])
lookup_ms = (time.perf_counter() - started) * 1000 / max(len(sample), 1)
print(json.dumps({"queued": queued, "queue_s": round(queue_seconds, 2), "lookup_ms": round(lookup_ms, 2)}))
run.stop()
run.close()
"""


def measure(command: list[str], env: dict, stdout_path: Path | None = None) -> dict:
    """Wall seconds, peak RSS (MB) and exit code of `command`, run to the end."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out if stdout_path else subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            raise
        seconds = time.perf_counter() - started
        output = b"" if stdout_path else process.stdout.read()
        error = process.stderr.read()
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout_path:
            out.close()
    if process.returncode not in (0, 2):
        raise RuntimeError(f"{command} exited {process.returncode}: {error.decode()[-2000:]}")
    return {"s": round(seconds, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "rss_mb": usage.ru_maxrss // 1024, "stdout": output}


def database_url(backend: str, articles: int, scratch: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{scratch / f'scale-{articles}.db'}"
    name = f"scale_{articles}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc", f"CREATE DATABASE {name}"],
                   capture_output=True)  # fails harmlessly when it exists
    return f"{PG_SERVER}/{name}"


def human(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def bench(backend: str, articles: int, args: argparse.Namespace) -> dict:
    url = database_url(backend, articles, args.scratch)
    if not args.reuse or (backend == "sqlite" and not (args.scratch / f"scale-{articles}.db").exists()):
        subprocess.run([sys.executable, str(HERE / "scale_db.py"), "--articles", str(articles), "--database", url],
                       check=True, timeout=TIMEOUT)
    results: dict = {"backend": backend, "articles": articles}
    with tempfile.TemporaryDirectory(prefix="archiver-scale-", dir=args.scratch) as data_dir:
        env = {**os.environ, "ARCHIVER_STORAGE_DATABASE": url, "ARCHIVER_STORAGE_DATA_DIR": data_dir}
        env.pop("FORCE_COLOR", None)
        # -q: status prints nothing (its queries are what is measured; stdout is a pipe read at the end).
        archiver = ([sys.executable, "-m", "archiver.cli", "-q"] if args.module
                    else [str(Path(sys.executable).parent / "archiver"), "-q"])
        # The first command upgrades the schema (and, after this issue, gathers the planner's statistics).
        results["first_open"] = {k: v for k, v in measure([*archiver, "status"], env).items() if k != "stdout"}
        results["status"] = {k: v for k, v in measure([*archiver, "status"], env).items() if k != "stdout"}
        for name in args.reports:
            out = Path(data_dir) / f"report-{name}"
            if name == "cycle":
                out = Path(data_dir) / "reports"
                found = measure([sys.executable, "-c", CYCLE, url, data_dir], env)
            elif name == "table-tty":
                found = measure([*archiver, "report", "--format", "table"], {**env, "FORCE_COLOR": "1",
                                "COLUMNS": "160"}, stdout_path=out)
            else:
                fmt, _, scope = name.partition("-")
                extra = ["--all"] if scope == "all" else []
                try:
                    found = measure([*archiver, "report", "--format", fmt, *extra, "-o", str(out)], env)
                except RuntimeError as exc:
                    results[name] = {"error": str(exc)[:200]}
                    continue
            results[name] = {"s": found["s"], "cpu_s": found["cpu_s"], "rss_mb": found["rss_mb"],
                             "size": human(size_of(out))}
            print(json.dumps({"backend": backend, "articles": articles, name: results[name]}), file=sys.stderr,
                  flush=True)  # as it comes: a long run cut short still tells what it measured
        plan = measure([sys.executable, "-c", PLAN, url], env)
        results["plan"] = {"s": plan["s"], "cpu_s": plan["cpu_s"], "rss_mb": plan["rss_mb"],
                           **json.loads(plan["stdout"].decode().splitlines()[-1])}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--backend", nargs="+", default=["sqlite"], choices=("sqlite", "postgresql"))
    parser.add_argument("--reports", nargs="+", default=list(REPORTS), choices=REPORTS)
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--reuse", action="store_true", help="use databases a previous run generated")
    parser.add_argument("--module", action="store_true", help="run `python -m archiver.cli` (PYTHONPATH wins)")
    args = parser.parse_args()
    for articles in args.articles:
        for backend in args.backend:
            print(json.dumps(bench(backend, articles, args)), flush=True)


if __name__ == "__main__":
    main()
