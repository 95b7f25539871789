"""Run every WARC validator nobody here wrote over a multi-file archive, and print one verdict per file.

    .venv/bin/python benchmarks/validate_archive.py                     # build a sample archive, then validate it
    .venv/bin/python benchmarks/validate_archive.py --data-dir archives # validate an existing data dir

Without --data-dir it archives the loopback fakeweb article of tests/support/fakeweb.py three times with WARCs
rotating every 6 kB (below the 1MB floor users get, so that each run spans several files): the first run
writes responses and outlink metadata records, the later ones revisit records. Each closed WARC then goes
through gzip -t, warcio check, fastwarc check --verify-payloads and cdxj-indexer, and a WACZ export of the
whole data dir through `wacz validate`. fastwarc's PAYLOAD_FAIL on revisit records is expected and
counted (see FASTWARC_EXPECTED in tests/support/warc_audit.py); any other failure is a FAIL. Exit 1 on any FAIL.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from archiver.cli.commands import main as archiver_main  # noqa: E402
from archiver.settings import load_settings  # noqa: E402
from support.warc_audit import BIN, VALIDATORS, multi_file_archive, validator_verdicts, walk_members  # noqa: E402

TYPE_ORDER = ("warcinfo", "response", "request", "metadata", "revisit", "resource")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an existing archiver data dir (default: build a sample one)")
    parser.add_argument("--runs", type=int, default=3, help="capture runs for the sample archive")
    parser.add_argument("--warc-max-bytes", type=int, default=6_000, help="rotation size for the sample archive")
    return parser.parse_args()


def record_summary(path: Path) -> str:
    try:
        counts = Counter(record["type"] for _, _, record in walk_members(path))
    except AssertionError as exc:  # a damaged file: the validators' columns say how
        return f"unreadable: {exc}"[:80]
    return ", ".join(f"{counts[kind]} {kind}" for kind in TYPE_ORDER if counts[kind])


def wacz_verdict(data_dir: Path, scratch: Path) -> str:
    target = scratch / "archive.wacz"
    if archiver_main(["--data-dir", str(data_dir), "export", "--wacz", str(target)]) != 0:
        return "FAIL: archiver export --wacz failed"
    result = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(target)], capture_output=True, text=True,
                            timeout=300)
    return "pass" if result.returncode == 0 else f"FAIL: {(result.stdout + result.stderr).strip()[:200]}"


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if number == 0:
            print("-|-".join("-" * width for width in widths))


def main() -> int:
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="validate-archive-") as scratch:
        scratch = Path(scratch)
        if args.data_dir:
            data_dir = args.data_dir
            warc_dir = load_settings(overrides={"storage.data_dir": str(data_dir)}).storage.warc_dir
        else:
            data_dir = scratch / "archives"
            warc_dir = multi_file_archive(data_dir, runs=args.runs, warc_max_bytes=args.warc_max_bytes).storage.warc_dir
        files = sorted(warc_dir.glob("*.warc.gz"))
        if not files:
            print(f"no closed WARC files in {warc_dir}", file=sys.stderr)
            return 1
        rows = [["file", "records", *VALIDATORS]]
        for path in files:
            verdicts = validator_verdicts(path, scratch)
            rows.append([path.name, record_summary(path), *(verdicts[name] for name in VALIDATORS)])
        print_table(rows)
        wacz = wacz_verdict(data_dir, scratch)
        print(f"\nwacz validate on `archiver export --wacz` of all {len(files)} files: {wacz}")
        failed = any(cell.startswith("FAIL") for row in rows[1:] for cell in row) or wacz.startswith("FAIL")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
