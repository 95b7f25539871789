"""Benchmarks on a loopback web (benchmarks/loopweb.py): speed against politeness, disk, memory, CPU.

    .venv/bin/python benchmarks/run.py --quick          # 20 articles x 10 refs over 8 hosts
    .venv/bin/python benchmarks/run.py                  # 200 x 10 over 40 hosts (the target size)

Prints (a) the wall time to archive the articles and their references against the
politeness lower bound, with wget and LinkChecker on the same URLs; (b) the bytes a
second run over the unchanged pages adds, as a share of the first run's; (c) the peak
memory of a process capturing a 1 GB response; (d) CPU milliseconds per fetched page
by pipeline stage. Nothing leaves the machine: every host is a 127.77.x.y address.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from archiver.pipeline import STAGES, StageTimes, article_from_cli, open_pipeline
from archiver.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopweb import add_web_arguments  # noqa: E402
from others import run_linkchecker, run_wget  # noqa: E402

HERE = Path(__file__).resolve().parent
BIG_BYTES = 1 << 30
SUBPROCESS_TIMEOUT = 1800  # seconds
# LinkChecker waits a random 0.1-0.6 s between requests to one host (maxrequestspersecond=10, its
# default; linkcheck/director/aggregator.py): 0.35 s on average, far busier than our 1 s default. The
# fair comparison runs archiver a third time at that pace.
LINKCHECKER_MEAN_GAP = 0.35


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_web_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="20 articles x 10 refs over 8 hosts")
    parser.add_argument("--per-host-delay", help="override fetch.per_host_delay, e.g. 0.5s")
    parser.add_argument("--per-host-concurrency", help="override fetch.per_host_concurrency")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: others,memory")
    parser.add_argument("--keep", action="store_true", help="keep the data dir, WARCs and tool outputs")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.refs, args.hosts = 20, 10, 8
    return args


def politeness_bound(urls: list[str], per_host_delay: float, per_host_concurrency: int,
                     global_concurrency: int, latency: float) -> float:
    """The least wall time any fetcher obeying our politeness rules needs for `urls`.

    Per host with n requests, two limits hold at once: starts are at least `per_host_delay`
    apart, so the last one starts (n - 1) * delay after the first and ends `latency` later;
    and at most `per_host_concurrency` requests are in flight, each taking `latency`, so the
    host needs ceil(n / concurrency) rounds of `latency`. Hosts are served in parallel, so
    the slowest host sets the bound - unless the global thread limit is tighter:
    ceil(N / global_concurrency) * latency for all N requests. Robots.txt fetches and
    soft-404 probes are extra work our pipeline does on top and are not in the bound.
    """
    per_host = Counter(url.split("/")[2] for url in urls)
    slowest = max((max((n - 1) * per_host_delay + latency, math.ceil(n / per_host_concurrency) * latency)
                   for n in per_host.values()), default=0.0)
    return max(slowest, math.ceil(len(urls) / global_concurrency) * latency)


def data_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def archive_all(settings, article_urls: list[str]) -> tuple[float, StageTimes]:
    times = StageTimes()
    started = time.perf_counter()
    with open_pipeline(settings, stage_times=times) as pipeline:
        pipeline.archive([article_from_cli(url) for url in article_urls])
    return time.perf_counter() - started, times


def start_loopweb(args) -> tuple[subprocess.Popen, dict]:
    command = [sys.executable, str(HERE / "loopweb.py"), f"--articles={args.articles}", f"--refs={args.refs}",
               f"--hosts={args.hosts}", f"--latency={args.latency}", f"--page-kb={args.page_kb}"]
    web = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = web.stdout.readline()
    if not line:
        raise SystemExit(f"loopweb did not start (exit {web.wait(timeout=10)})")
    return web, json.loads(line)


def stop_loopweb(web: subprocess.Popen) -> None:
    web.stdin.close()
    try:
        web.wait(timeout=30)
    except subprocess.TimeoutExpired:
        web.kill()


def bound_for(settings, urls: dict, latency: float) -> float:
    fetch = settings.fetch
    return politeness_bound(urls["articles"] + urls["references"], fetch.per_host_delay, fetch.per_host_concurrency,
                            fetch.global_concurrency, latency)


def report_speed(args, settings, urls: dict, wall: float, work: Path, skip: set[str],
                 paced: tuple | None = None) -> None:
    fetch = settings.fetch
    every_url = urls["articles"] + urls["references"]
    bound = bound_for(settings, urls, args.latency)
    print(f"(a) {len(urls['articles'])} articles x {args.refs} refs = {len(every_url)} URLs over {args.hosts} hosts, "
          f"latency {args.latency * 1000:.0f} ms, per_host_delay {fetch.per_host_delay:g} s, "
          f"per_host_concurrency {fetch.per_host_concurrency}, global_concurrency {fetch.global_concurrency}, "
          f"extract_processes {fetch.extract_processes}")
    print(f"    archiver      {wall:8.1f} s   ({wall / bound:.1f}x the politeness lower bound)")
    print(f"    lower bound   {bound:8.1f} s   (slowest host: max((n-1)*delay + latency, ceil(n/conc)*latency))")
    if paced is not None:
        paced_wall, paced_bound = paced
        print(f"    archiver      {paced_wall:8.1f} s   at LinkChecker's pace: per_host_delay {LINKCHECKER_MEAN_GAP:g} s, "
              f"the mean of its 0.1-0.6 s gap per host (lower bound {paced_bound:.1f} s)")
    if "others" in skip:
        return
    for name, (seconds, note) in (("wget", run_wget(every_url, work / "wget")),
                                  ("linkchecker", run_linkchecker(urls["articles"], work / "linkchecker", 10))):
        shown = f"{seconds:8.1f} s" if seconds is not None else "   skipped"
        print(f"    {name:<13} {shown}   ({note})")


def report_disk(first_warc: int, first_all: int, second_warc: int, second_all: int, wall: float) -> None:
    print(f"(b) second run over unchanged pages ({wall:.1f} s): WARCs +{second_warc / 1e3:.0f} kB on "
          f"{first_warc / 1e3:.0f} kB = {100 * second_warc / first_warc:.1f}% (target <= 5%); "
          f"whole data dir incl. database +{second_all / 1e3:.0f} kB on {first_all / 1e3:.0f} kB "
          f"= {100 * second_all / first_all:.1f}%")


def report_memory(big_url: str, work: Path) -> None:
    command = [sys.executable, str(HERE / "bigbody.py"), f"{big_url}?bytes={BIG_BYTES}", str(work / "big")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    if done.returncode != 0:
        print(f"(c) FAILED: bigbody.py exited {done.returncode}: {done.stderr.strip()[-500:]}")
        return
    found = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"(c) capturing a {BIG_BYTES / 2**30:.0f} GiB response: peak RSS {found['peak_rss_mb']:.0f} MB "
          f"(target < 200 MB) in {found['seconds']:.0f} s; HTTP {found['http_status']}, "
          f"truncated {found['truncated']}, WARC record {found['warc_length'] / 1e6:.0f} MB")


def report_cpu(runs: list[tuple[str, StageTimes]]) -> None:
    print("(d) CPU ms per fetched page, by stage (thread CPU time; fetches include probes)")
    print("    " + f"{'run':<8}{'pages':>7}" + "".join(f"{stage:>10}" for stage in STAGES) + f"{'total':>10}")
    for name, times in runs:
        pages = max(times.calls["fetch"], 1)
        cells = [1000 * times.cpu_seconds[stage] / pages for stage in STAGES]
        print("    " + f"{name:<8}{times.calls['fetch']:>7}" + "".join(f"{ms:>10.2f}" for ms in cells)
              + f"{sum(cells):>10.2f}")


def main() -> None:
    args = arguments()
    skip = set(filter(None, args.skip.split(",")))
    work = Path(tempfile.mkdtemp(prefix="archiver-bench-"))
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true"}
    if args.per_host_delay:
        env["ARCHIVER_FETCH_PER_HOST_DELAY"] = args.per_host_delay
    if args.per_host_concurrency:
        env["ARCHIVER_FETCH_PER_HOST_CONCURRENCY"] = args.per_host_concurrency
    data_dir = work / "archives"
    settings = load_settings(env=env, overrides={"storage.data_dir": str(data_dir)})
    web, urls = start_loopweb(args)
    try:
        first_wall, first_times = archive_all(settings, urls["articles"])
        first_warc, first_all = data_bytes(settings.storage.warc_dir), data_bytes(data_dir)
        second_wall, second_times = archive_all(settings, urls["articles"])
        paced = None
        if "others" not in skip:  # the same list at the pace LinkChecker keeps, into a fresh data dir
            paced_settings = load_settings(env=env | {"ARCHIVER_FETCH_PER_HOST_DELAY": f"{LINKCHECKER_MEAN_GAP}s"},
                                           overrides={"storage.data_dir": str(work / "archives-paced")})
            paced = (archive_all(paced_settings, urls["articles"])[0], bound_for(paced_settings, urls, args.latency))
        report_speed(args, settings, urls, first_wall, work, skip, paced)
        report_disk(first_warc, first_all, data_bytes(settings.storage.warc_dir) - first_warc,
                    data_bytes(data_dir) - first_all, second_wall)
        if "memory" not in skip:
            report_memory(urls["big"], work)
        report_cpu([("first", first_times), ("second", second_times)])
    finally:
        stop_loopweb(web)
        if args.keep:
            print(f"(work files kept in {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
