"""Tools nobody here wrote, over a multi-file archive the real pipeline wrote (three runs: responses,
then revisit records for the unchanged pages): gzip -t, warcio check, fastwarc check, cdxj-indexer.

fastwarc 2.0.1 `check --verify-payloads` reports PAYLOAD_FAIL for two kinds of record that are
right by WARC/1.1, so those two are asserted exactly rather than waved through:
  * revisit records: their WARC-Payload-Digest is the digest of the payload they stand for
    (WARC/1.1 section 6.7.2; warcio check says "present but not checked (revisit)"), while
    fastwarc hashes their empty body;
  * application/warc-fields metadata records: fastwarc fails every non-HTTP payload digest, even
    an empty block's sha1 of b"" (its block-digest check of the same records passes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archiver.index import index_dir_of
from test_index import archive_repeatedly
from warc_audit import walk_members

BIN = Path(sys.executable).parent
FASTWARC_FALSE_ALARMS = {"revisit", "metadata"}


@pytest.fixture(scope="module")
def warcs(tmp_path_factory):
    settings, _ = archive_repeatedly(tmp_path_factory.mktemp("validators") / "archives", runs=3)
    files = sorted(settings.storage.warc_dir.glob("*.warc.gz"))
    assert len(files) >= 3 and not list(settings.storage.warc_dir.glob("*.open"))
    return settings, files


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300)


def record_types(path: Path) -> dict[str, str]:
    """record id -> WARC-Type, from our own gzip-member walk."""
    return {record["record_id"]: record["type"] for _, _, record in walk_members(path)}


def test_gzip_t_passes_on_every_file(warcs):
    for path in warcs[1]:
        result = run("gzip", "-t", path)
        assert result.returncode == 0, f"gzip -t {path.name}: {result.stderr}"


def test_warcio_check_passes_on_every_file(warcs):
    for path in warcs[1]:
        result = run(BIN / "warcio", "check", path)
        assert result.returncode == 0 and not result.stdout.strip(), f"warcio check {path.name}: {result.stdout}"


def test_fastwarc_check_passes_on_every_file(warcs, tmp_path):
    revisits = 0
    for path in warcs[1]:
        blocks = run(BIN / "fastwarc", "check", "--quiet", path)
        assert blocks.returncode == 0, f"fastwarc check {path.name}: {blocks.stdout}{blocks.stderr}"

        details = tmp_path / (path.name + ".txt")
        run(BIN / "fastwarc", "check", "--verify-payloads", "--quiet", "--output", details, path)
        types = record_types(path)
        verdicts = dict(line.rsplit(": ", 1) for line in details.read_text().splitlines() if line.strip())
        assert set(verdicts) == set(types), f"{path.name}: fastwarc saw other records than ours"
        for record_id, verdict in verdicts.items():
            block, _, payload = verdict.partition(", ")
            assert block == "OK", f"{path.name} {record_id}: block digest {verdict}"
            allowed = {"PAYLOAD_OK", "PAYLOAD_NO_DIGEST"}
            if types[record_id] in FASTWARC_FALSE_ALARMS:
                allowed = {"PAYLOAD_FAIL"} | allowed  # see the module docstring
            assert payload in allowed, f"{path.name} {record_id} ({types[record_id]}): {verdict}"
        revisits += sum(kind == "revisit" for kind in types.values())
    assert revisits, "the later runs wrote no revisit records"


def test_cdxj_indexer_passes_and_agrees_with_our_index(warcs):
    settings, files = warcs
    for path in files:
        result = run(BIN / "cdxj-indexer", "--sort", path)
        assert result.returncode == 0, f"cdxj-indexer {path.name}: {result.stderr}"
        lines = [line for line in result.stdout.splitlines() if line and not line.startswith("!")]
        indexed = sum(record["type"] in ("response", "revisit") for _, _, record in walk_members(path))
        assert len(lines) == indexed
        ours = (index_dir_of(settings.storage.data_dir) / (path.name + ".cdxj")).read_text().splitlines()
        assert ours == lines
