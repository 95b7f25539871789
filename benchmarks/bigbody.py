"""Capture one large response through the whole pipeline and print this process's peak memory.

    .venv/bin/python benchmarks/bigbody.py URL DATA_DIR

Run by benchmarks/run.py in its own process, so the peak resident set size is
the capture's alone: the server streaming the body lives in another process.
The peak is VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across
exec, so a child started by a large parent (run.py after two archive runs)
reports the parent's size, not its own. fetch.max_body_bytes is 2 GB here so a 1 GB body is kept
whole. Prints one JSON line: peak_rss_mb, seconds, http_status (as the capture
row says), truncated, warc_length.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.settings import load_settings

ENV = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_MAX_BODY_BYTES": "2GB",
       "ARCHIVER_FETCH_TOTAL_TIMEOUT": "30m", "ARCHIVER_FETCH_READ_TIMEOUT": "5m"}


def peak_rss_kb() -> int:
    """This process image's peak resident set size in kB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux


def main(url: str, data_dir: Path) -> None:
    settings = load_settings(env=ENV, overrides={"storage.data_dir": str(data_dir)})
    started = time.perf_counter()
    with open_pipeline(settings) as pipeline:
        pipeline.archive([article_from_cli(url)])
    seconds = time.perf_counter() - started
    with open_store(settings) as store:
        [capture] = [c for c in store.captures_for_url(url) if c.hop == 0][:1]
    print(json.dumps({"peak_rss_mb": round(peak_rss_kb() / 1024, 1), "seconds": round(seconds, 1),
                      "http_status": capture.http_status, "truncated": capture.truncated,
                      "warc_length": capture.warc_length}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], Path(sys.argv[2]))
