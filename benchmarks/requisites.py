"""Time and bytes per article with page requisites off, on, and in browser mode, on the loopback web.

    .venv/bin/python benchmarks/requisites.py                       # 20 articles x 2 refs over 4 hosts
    .venv/bin/python benchmarks/requisites.py --articles 50 --modes off,on

Each article page of loopweb.py needs a stylesheet (with a CSS background), the site's logo and three
images of its own. Each mode archives --articles articles into a fresh data dir (`archive` in this
process, per_host_delay 0 so that our own cost shows, not politeness), then a second batch of as many
new articles from the same hosts: the shared stylesheet, background and logo are then 304s, and only
each article's own images are new. Reported per article: wall seconds, WARC bytes written, and the
requests the web served. Browser mode needs /usr/bin/chromium and playwright. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopweb import LoopWeb  # a script beside this one

MODES = {"off": {"ARCHIVER_CAPTURE_REQUISITES": "off"}, "on": {}, "browser": {"ARCHIVER_CAPTURE_BROWSER": "true"}}
BASE_ENV = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
            "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0"}


def warc_bytes(data_dir: Path) -> int:
    return sum(path.stat().st_size for path in (data_dir / "warcs").glob("*.warc.gz"))


def archive_batch(settings, urls: list[str], web: LoopWeb, data_dir: Path) -> dict:
    before = warc_bytes(data_dir) if (data_dir / "warcs").is_dir() else 0
    web.take_log()
    started = time.perf_counter()
    with open_pipeline(settings) as pipeline:
        summaries = pipeline.archive([article_from_cli(url) for url in urls])
    seconds = time.perf_counter() - started
    served = sum(web.take_log()["served"])
    count = len(urls)
    return {"articles": count, "captured": sum(s.captured for s in summaries),
            "seconds_per_article": round(seconds / count, 3),
            "warc_kb_per_article": round((warc_bytes(data_dir) - before) / count / 1000, 1),
            "requests_per_article": round(served / count, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--refs", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument("--modes", default="off,on,browser")
    args = parser.parse_args(argv)
    web = LoopWeb(args.articles * 2, args.refs, args.hosts, latency=args.latency).start()
    urls = web.urls()["articles"]
    results = {}
    try:
        for mode in args.modes.split(","):
            with tempfile.TemporaryDirectory(prefix=f"bench-requisites-{mode}-") as scratch:
                data_dir = Path(scratch) / "archives"
                settings = load_settings(env={**BASE_ENV, **MODES[mode]}, overrides={"storage.data_dir": str(data_dir)})
                first = archive_batch(settings, urls[: args.articles], web, data_dir)
                second = archive_batch(settings, urls[args.articles:], web, data_dir)
                results[mode] = {"first batch": first, "second batch (same sites)": second}
                print(json.dumps({mode: results[mode]}), flush=True)
    finally:
        web.close()
    print(json.dumps({"articles": args.articles, "refs": args.refs, "hosts": args.hosts, "latency": args.latency,
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
