"""What users run, on a web shaped like the real one: `archive`, then `check --all`, against the politeness bound.

    .venv/bin/python benchmarks/frontier.py                       # 200 x 10 over 40 hosts, then 1,000 x 10 over 100
    .venv/bin/python benchmarks/frontier.py --sizes 200x10x40     # one size (articles x refs x hosts)

The loopback web (loopweb.py) gives reference hosts a Zipf-like popularity (the busiest
host holds about 15% of the links) and makes --rotten of the references rotten: 404, 410,
hangs, 429 with Retry-After, 503 and redirect loops. Each command runs in its own process
(`archiver --config ... archive URL...`, then `check --all`), with default politeness
(1 s between starts to a host, 2 at once) unless --per-host-delay says otherwise.

The bound of a run is the busiest host's: the requests it was actually sent (robots.txt,
pages, probes, retries), each start after the one before by the delay our politeness
requires at that point (per_host_delay, widened by the back-off its 429 and 503 answers
ask for, as fetch/backoff.py computes it), plus one latency. No fetcher obeying those rules
can finish sooner. Hangs are not in it: they hold one of the host's two slots, not its pace.
Peak RSS is the archiver process's VmHWM. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archiver.fetch.backoff import next_backoff
from archiver.settings import load_settings

HERE = Path(__file__).resolve().parent
TIMEOUT = 3600  # seconds: a bound on one command
MEASURED = (  # runs the CLI in this child, then reports its own peak RSS (VmHWM) on the last stderr line
    "import json, sys\n"
    "from archiver.cli.commands import main\n"
    "code = main(sys.argv[1:])\n"
    "peak = next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM:'))\n"
    "print(json.dumps({'exit': code, 'peak_rss_kb': peak}), file=sys.stderr)\n"
    "sys.exit(0)\n"
)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200x10x40,1000x10x100", help="articles x refs x hosts, comma-separated")
    parser.add_argument("--rotten", type=float, default=0.05, help="share of rotten references")
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--per-host-delay", default="1s")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    return parser.parse_args()


def config_text(data_dir: Path, per_host_delay: str) -> str:
    # Timeouts shorter than the defaults keep a hang's cost (three attempts) in minutes; politeness is the default.
    return (f'[storage]\ndata_dir = "{data_dir}"\n'
            f'[fetch]\nallow_private_networks = true\nper_host_delay = "{per_host_delay}"\n'
            'read_timeout = "5s"\ntotal_timeout = "10s"\n')


def host_bound(answers: list[list], delay: float, max_backoff: float, latency: float) -> float:
    """The least time one host's answers can take under our pace: the delay in force after each, summed."""
    backoff, total = 0.0, latency
    for status, retry_after in answers[:-1]:
        backoff = next_backoff(backoff, delay, status, retry_after, max_backoff)
        total += max(delay, backoff)
    return total


def run_measured(config: Path, *command: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, "--config", str(config), "-q", *command],
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)
    wall = time.perf_counter() - started
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return wall, report["exit"], report["peak_rss_kb"]


def one_size(articles: int, refs: int, hosts: int, args: argparse.Namespace, work: Path) -> list[str]:
    web = subprocess.Popen([sys.executable, str(HERE / "loopweb.py"), f"--articles={articles}", f"--refs={refs}",
                            f"--hosts={hosts}", f"--latency={args.latency}", "--popularity=zipf",
                            f"--rotten={args.rotten}", "--hang=15"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        urls = json.loads(web.stdout.readline())
        data_dir = work / f"data-{articles}x{refs}x{hosts}"
        config = work / f"archiver-{articles}.toml"
        config.write_text(config_text(data_dir, args.per_host_delay))
        fetch = load_settings(config, env={}).fetch
        rows = []
        for name, command in (("archive", ["archive", *urls["articles"]]), ("check --all", ["check", "--all"])):
            wall, code, peak_kb = run_measured(config, *command)
            web.stdin.write("log\n")
            web.stdin.flush()
            log = json.loads(web.stdout.readline())
            bounds = [host_bound(answers, fetch.per_host_delay, fetch.max_backoff_delay, args.latency)
                      for answers in log["answers"]]
            busiest = max(range(hosts), key=lambda h: bounds[h])
            bound = bounds[busiest]
            rows.append(f"| {articles} x {refs} / {hosts} | {name} | {wall:.1f} s | {bound:.1f} s | "
                        f"{wall / bound:.2f}x | {peak_kb / 1024:.0f} MB | {sum(log['served'])} | "
                        f"{log['served'][busiest]} | {code} |")
        print(f"rotten references: {urls['rotten']}", flush=True)
        return rows
    finally:
        web.stdin.close()
        try:
            web.wait(timeout=60)
        except subprocess.TimeoutExpired:
            web.kill()


def main() -> None:
    args = arguments()
    header = ["| size | command | wall | bound | ratio | peak RSS | requests | busiest host's | exit |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="archiver-frontier-") as scratch:
        work = Path(scratch)
        for size in args.sizes.split(","):
            articles, refs, hosts = (int(part) for part in size.split("x"))
            rows += one_size(articles, refs, hosts, args, work)
            print("\n".join(header + rows), flush=True)
        if args.keep:
            kept = Path(tempfile.mkdtemp(prefix="archiver-frontier-kept-"))
            subprocess.run(["cp", "-a", f"{work}/.", str(kept)], check=True)
            print(f"kept in {kept}")


if __name__ == "__main__":
    main()
