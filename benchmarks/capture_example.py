"""Archive the end-to-end test's article (ten references on a loopback web) and print what landed on disk.

    .venv/bin/python benchmarks/capture_example.py

Prints the WARC files with their sizes, the record counts by type, and the
capture rows that point into them. Nothing leaves the machine: every site is
on 127.0.0.x.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from archiver.pipeline import article_from_cli, open_pipeline, open_store  # noqa: E402
from archiver.settings import load_settings  # noqa: E402
from support.fakeweb import serve_fakeweb  # noqa: E402


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="archiver-example-")) / "archives"
    settings = load_settings(env={"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true"},
                             overrides={"storage.data_dir": str(data_dir)})
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        with open_pipeline(settings) as pipeline:
            [summary] = pipeline.archive([article_from_cli(web.article_url)])
        with open_store(settings) as store:
            rows = [c for url in [web.article_url, *web.reference_urls] for c in store.captures_for_url(url)]
    print(f"article: {summary.title!r}: {summary.references} references, {summary.references_captured} captured, "
          f"failed {dict(summary.failed_by_class)}")
    types: Counter = Counter()
    for path in sorted(settings.storage.warc_dir.iterdir()):
        with path.open("rb") as stream:
            kinds = Counter(record.rec_type for record in ArchiveIterator(stream))
        types.update(kinds)
        print(f"{path.name}: {path.stat().st_size} bytes, records {dict(kinds)}")
    print(f"records by type: {dict(types)}")
    print(f"capture rows: {len(rows)} ({sum(1 for c in rows if c.warc_file)} pointing into WARCs)")
    print(f"database: {(data_dir / 'archiver.db').stat().st_size} bytes; data dir {data_dir}")


if __name__ == "__main__":
    main()
