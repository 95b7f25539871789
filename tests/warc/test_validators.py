"""Tools nobody here wrote, over a multi-file archive the real pipeline wrote: three runs of the fakeweb
article with WARCs rotating every 6 kB, so each run spans several files, the first with outlink
metadata records, the later ones with revisit records for the unchanged pages. Every file must pass
gzip -t, warcio check, fastwarc check (block digests, then payload digests) and cdxj-indexer, and
an export of the whole archive must pass `wacz validate`.

fastwarc's payload check fails revisit records, and only those, for a reason that is fastwarc's:
see FASTWARC_EXPECTED in tests/support/warc_audit.py, which this test asserts verdict by verdict.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from archiver.cli.commands import main
from archiver.warc.index import index_dir_of
from support.warc_audit import (
    VALIDATORS,
    audit_warc,
    fastwarc_verdicts,
    multi_file_archive,
    validator_verdicts,
    walk_members,
)

BIN = Path(sys.executable).parent
SERIAL = re.compile(r"-(\d{5})-[^-]+-\d+\.warc\.gz$")


@pytest.fixture(scope="module")
def warcs(tmp_path_factory):
    settings = multi_file_archive(tmp_path_factory.mktemp("validators") / "archives", runs=3, warc_max_bytes=6_000)
    files = sorted(settings.storage.warc_dir.glob("*.warc.gz"))
    assert not list(settings.storage.warc_dir.glob("*.open"))
    return settings, files


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300)


def test_the_archive_spans_files_within_a_run_and_holds_every_record_type(warcs):
    _, files = warcs
    serials = [int(SERIAL.search(path.name).group(1)) for path in files]
    assert max(serials) >= 2, f"no run rotated into a third file: {[p.name for p in files]}"
    types = Counter(record["type"] for path in files for _, _, record in walk_members(path))
    assert set(types) == {"warcinfo", "response", "request", "metadata", "revisit"}, types
    assert types["warcinfo"] == len(files)


@pytest.mark.parametrize("validator", VALIDATORS)
def test_every_file_passes_each_validator(warcs, validator, tmp_path):
    failures = {}
    for path in warcs[1]:
        verdict = validator_verdicts(path, tmp_path)[validator]
        if not verdict.startswith("pass"):
            failures[path.name] = verdict
    assert not failures, failures


def test_our_own_audit_passes_on_every_file(warcs):
    for path in warcs[1]:
        audit_warc(path)


def test_fastwarc_fails_revisit_payloads_only_and_exactly(warcs, tmp_path):
    verdicts = Counter()
    for path in warcs[1]:
        verdicts.update(fastwarc_verdicts(path, tmp_path).values())  # asserts each against FASTWARC_EXPECTED
    assert verdicts[("revisit", "OK, PAYLOAD_FAIL")] > 0
    assert verdicts[("metadata", "OK, PAYLOAD_NO_DIGEST")] > 0  # no payload, no payload digest (WARC/1.1 5.9)
    assert not [v for v in verdicts if v[0] != "revisit" and "FAIL" in v[1]]


def test_cdxj_indexer_agrees_with_our_index(warcs):
    settings, files = warcs
    for path in files:
        result = run(BIN / "cdxj-indexer", "--sort", path)
        assert result.returncode == 0, f"cdxj-indexer {path.name}: {result.stderr}"
        lines = [line for line in result.stdout.splitlines() if line and not line.startswith("!")]
        indexed = sum(record["type"] in ("response", "revisit") for _, _, record in walk_members(path))
        assert len(lines) == indexed
        ours = (index_dir_of(settings.storage.data_dir) / (path.name + ".cdxj")).read_text().splitlines()
        assert ours == lines


def test_an_export_of_the_whole_archive_passes_wacz_validate(warcs, tmp_path):
    settings, files = warcs
    target = tmp_path / "all.wacz"
    assert main(["--data-dir", str(settings.storage.data_dir), "export", "--wacz", str(target)]) == 0
    result = run(BIN / "wacz", "validate", "-f", target)
    assert result.returncode == 0, f"wacz validate: {result.stdout}{result.stderr}"
