"""Run the daemon against a loopback web for a while and watch what a months-long run would pile up.

    .venv/bin/python benchmarks/soak.py --minutes 10        # 6 articles x 10 refs, a check every 30 s

Every check cycle re-fetches every page (health.recheck_alive is 20 s, checks run
every 30 s) and the pages carry no validators, so each page is downloaded and
extracted again (an unchanged one is written as a revisit record), and each cycle
starts and stops the extraction workers. Every 10 s it samples the daemon
process: resident memory (VmRSS), its descendant processes (extraction workers, the
forkserver), its open file descriptors and its threads. At the end it stops the
daemon with SIGTERM and prints the samples, the runs by status, the WARC files and
any `.open` file left. A leak shows as a column that keeps climbing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE_SECONDS = 10.0
STOP_TIMEOUT = 120  # seconds for the daemon to exit after SIGTERM


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--articles", type=int, default=6)
    parser.add_argument("--refs", type=int, default=10)
    parser.add_argument("--hosts", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    return parser.parse_args()


def config_text(article_file: Path) -> str:
    return f"""
[fetch]
allow_private_networks = true
per_host_delay = "0.2s"
respect_robots = false
[health]
recheck_alive = "20s"
recheck_failing = "20s"
[sources]
articles = ["{article_file}"]
[schedule]
capture = "interval 30s"
check = "interval 30s"
report = "interval 2m"
jitter = "0s"
"""


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def sample(pid: int) -> dict:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    # The forkserver outlives the daemon's pools by design (one per process); workers come and go.
    return {"rss_mb": int(status["VmRSS"].split()[0]) / 1024, "threads": int(status["Threads"]),
            "fds": len(os.listdir(f"/proc/{pid}/fd")), "descendants": len(descendants(pid))}


def main() -> None:
    args = arguments()
    work = Path(tempfile.mkdtemp(prefix="archiver-soak-"))
    web = subprocess.Popen([sys.executable, str(HERE / "loopweb.py"), f"--articles={args.articles}",
                            f"--refs={args.refs}", f"--hosts={args.hosts}", "--no-validators"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    daemon = None
    try:
        urls = json.loads(web.stdout.readline())
        (work / "articles.txt").write_text("".join(f"{url}\n" for url in urls["articles"]))
        (work / "archiver.toml").write_text(config_text(work / "articles.txt"))
        data_dir = work / "archives"
        env = {name: value for name, value in os.environ.items() if not name.startswith("ARCHIVER_")}
        daemon = subprocess.Popen([sys.executable, "-m", "archiver", "--config", str(work / "archiver.toml"),
                                   "--data-dir", str(data_dir), "daemon"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=(work / "daemon.stderr").open("wb"))
        samples, deadline = [], time.monotonic() + args.minutes * 60
        print(f"{'minute':>7}{'RSS MB':>9}{'threads':>9}{'fds':>6}{'descendants':>13}")
        while time.monotonic() < deadline and daemon.poll() is None:
            try:
                daemon.wait(timeout=SAMPLE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
            if daemon.poll() is not None:
                break
            row = sample(daemon.pid) | {"minute": (args.minutes * 60 - (deadline - time.monotonic())) / 60}
            samples.append(row)
            print(f"{row['minute']:7.1f}{row['rss_mb']:9.1f}{row['threads']:9}{row['fds']:6}{row['descendants']:13}",
                  flush=True)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=STOP_TIMEOUT)
        summarize(samples, data_dir, code, work / "daemon.stderr")
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
        web.stdin.close()
        web.wait(timeout=30)
        if args.keep:
            print(f"(kept {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)


def summarize(samples: list[dict], data_dir: Path, code: int, stderr: Path) -> None:
    with sqlite3.connect(data_dir / "archiver.db") as db:
        runs = db.execute("SELECT kind, status, count(*) FROM runs GROUP BY kind, status ORDER BY kind").fetchall()
        captures = db.execute("SELECT count(*) FROM captures").fetchone()[0]
    warcs = sorted((data_dir / "warcs").glob("*.warc.gz"))
    left_open = sorted((data_dir / "warcs").glob("*.open"))
    print(f"daemon exit {code}; runs {runs}; {captures} capture rows; {len(warcs)} WARC files; "
          f"{len(left_open)} .open left")
    if samples:
        half = samples[len(samples) // 2:]
        print(f"RSS {samples[0]['rss_mb']:.0f} MB first, {max(s['rss_mb'] for s in samples):.0f} MB peak, "
              f"{samples[-1]['rss_mb']:.0f} MB last; second half {min(s['rss_mb'] for s in half):.0f}-"
              f"{max(s['rss_mb'] for s in half):.0f} MB; fds {samples[0]['fds']} -> {samples[-1]['fds']}; "
              f"descendants at most {max(s['descendants'] for s in samples)}")
    lines = stderr.read_text(errors="replace").splitlines()
    errors = [line for line in lines if "ERROR" in line or "Traceback" in line]
    pools = sum("extraction moves to" in line for line in lines)
    print(f"extraction workers started {pools} times; {len(errors)} ERROR/Traceback lines in the daemon's stderr"
          + (f": {errors[:3]}" if errors else ""))


if __name__ == "__main__":
    main()
