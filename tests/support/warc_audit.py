"""Audit a WARC file with tools nobody here wrote, then with our own record-level checks.

    from support.warc_audit import audit_warc, check_ref
    records = audit_warc(path)          # AssertionError with a clear message, else one summary per record
    check_ref(warc_dir, ref)            # a RecordRef's offset/length slice gunzips to exactly that record

External: `gzip -t`, `warcio check` (digests), `cdxj-indexer` (indexes response,
revisit and non-warc-fields metadata/resource records: our outlink metadata,
being application/warc-fields, is not indexed). Ours: an independent gzip
member walk (one record per member, nothing after it), warcinfo first,
WARC/1.1, digests recomputed (and no payload digest where WARC/1.1 allows no
payload), unique ids, every record naming the file's warcinfo, request/response
pairing, revisit fields, and warcio's own offsets agreeing with ours.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

BIN = Path(sys.executable).parent
HTTP_TYPES = ("request", "response", "revisit")
PAYLOAD_DIGEST_TYPES = ("request", "response")
# WARC/1.1 section 4: "All 'warcinfo' and 'metadata' records shall not have a payload", so no
# WARC-Payload-Digest (5.9) either. (A revisit's is the original's payload digest, checked apart.)
NO_PAYLOAD_TYPES = ("warcinfo", "metadata")
TRUNCATED_VALUES = ("length", "time", "disconnect", "unspecified")
INDEXED_TYPES = ("response", "revisit")  # plus metadata/resource that are not application/warc-fields
_CHUNK = 1 << 16


def _sha1_label(digester) -> str:
    return "sha1:" + base64.b32encode(digester.digest()).decode("ascii")


class _RecordParser:
    """Takes the inflated bytes of one gzip member, streaming, and checks it holds exactly one record."""

    def __init__(self, where: str):
        self.where = where
        self.head = b""
        self.headers: list[tuple[str, str]] = []
        self.block_left = -1  # -1 until the header is parsed
        self.block = hashlib.sha1()
        self.payload = hashlib.sha1()
        self.http_head = b""  # for HTTP records: the block up to the end of its HTTP headers
        self.http_done = False
        self.tail = b""
        self.block_prefix = b""  # first bytes of the block, kept for callers

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, f"{self.where}: {name} appears {len(values)} times"
        return values[0] if values else None

    def feed(self, data: bytes) -> None:
        if self.block_left < 0:
            self.head += data
            assert len(self.head) < 1 << 20, f"{self.where}: no end of WARC header in the first MB"
            if b"\r\n\r\n" not in self.head:
                return
            raw, data = self.head.split(b"\r\n\r\n", 1)
            lines = raw.decode("utf-8").split("\r\n")
            self.version = lines[0]
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                assert sep, f"{self.where}: malformed WARC header line {line!r}"
                self.headers.append((name.strip(), value.strip()))
            length = self.header("Content-Length")
            assert length and length.isdigit(), f"{self.where}: bad Content-Length {length!r}"
            self.block_left = int(length)
            self.type = self.header("WARC-Type")
        if self.block_left > 0 and data:
            part, data = data[: self.block_left], data[self.block_left:]
            self.block_left -= len(part)
            self.block.update(part)
            if len(self.block_prefix) < 1 << 16:
                self.block_prefix += part[: (1 << 16) - len(self.block_prefix)]
            self._payload(part)
        if data:
            self.tail += data
            assert len(self.tail) <= 4, f"{self.where}: bytes after the record's end: {self.tail[:60]!r}"

    def _payload(self, part: bytes) -> None:
        if self.type not in HTTP_TYPES or self.http_done:
            self.payload.update(part)
            return
        self.http_head += part
        if b"\r\n\r\n" in self.http_head:
            head, rest = self.http_head.split(b"\r\n\r\n", 1)
            self.http_head, self.http_done = head + b"\r\n\r\n", True
            self.payload.update(rest)

    def finish(self) -> dict:
        assert self.block_left == 0, f"{self.where}: record ends {self.block_left} bytes short of its Content-Length"
        assert self.tail == b"\r\n\r\n", f"{self.where}: record not closed by CRLF CRLF (got {self.tail!r})"
        assert self.version == "WARC/1.1", f"{self.where}: version {self.version!r}, expected WARC/1.1"
        status = None
        if self.type in ("response", "revisit") and self.http_head:
            status = int(self.http_head.split(b" ", 2)[1])
        return {
            "type": self.type, "uri": self.header("WARC-Target-URI"), "status": status,
            "record_id": self.header("WARC-Record-ID"), "date": self.header("WARC-Date"),
            "headers": self.headers, "block_digest": _sha1_label(self.block),
            "payload_digest": _sha1_label(self.payload) if (self.http_done or self.type not in HTTP_TYPES) else None,
            "http_head": self.http_head, "block_prefix": self.block_prefix,
        }


def walk_members(path: Path):
    """Yield (offset, length, parsed record) per gzip member; assert the file is nothing but whole members."""
    with open(path, "rb") as handle:
        position, inflater, start, parser = 0, None, 0, None
        while True:
            data = handle.read(_CHUNK)
            if not data:
                assert inflater is None, f"{path}: gzip member at offset {start} is cut short"
                return
            position += len(data)
            while data:
                if inflater is None:
                    inflater, start = zlib.decompressobj(zlib.MAX_WBITS | 16), position - len(data)
                    parser = _RecordParser(f"{path.name} @ {start}")
                try:
                    parser.feed(inflater.decompress(data, _CHUNK))
                    while inflater.unconsumed_tail and not inflater.eof:
                        parser.feed(inflater.decompress(inflater.unconsumed_tail, _CHUNK))
                except zlib.error as exc:
                    raise AssertionError(f"{path}: gzip member at offset {start} is corrupt: {exc}") from None
                if not inflater.eof:
                    break
                data = inflater.unused_data
                yield start, position - len(data) - start, parser.finish()
                inflater = None


def _start(args: list[str], stdin=None) -> subprocess.Popen:
    return subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, f"{' '.join(process.args)} failed ({process.returncode}): {stderr or stdout}"
    return stdout


def audit_warc(path, check_filename: bool = True) -> list[dict]:
    """Validate one WARC file; return [{type, uri, offset, length, status, record_id, ...}] per record.

    `check_filename`: the warcinfo's WARC-Filename must be this file's name (without `.open`).
    """
    path = Path(path)
    with open(path, "rb") as handle:  # the external tools run while we do our own walk
        tools = [_start(["gzip", "-t"], stdin=handle), _start([str(BIN / "warcio"), "check", str(path)]),
                 _start([str(BIN / "cdxj-indexer"), str(path)])]
    try:
        records = []
        for offset, length, record in walk_members(path):
            record.update(offset=offset, length=length)
            records.append(record)
        assert records, f"{path}: no records"
        _check_records(path, records, check_filename)
        _check_warcio_agrees(path, records)
    except BaseException:
        for tool in tools:  # our own finding is the more precise message: report it, drop the tools
            tool.kill()
            tool.communicate()
        raise
    outputs = [_result(tool) for tool in tools]
    assert not outputs[1].strip(), f"warcio check {path}: {outputs[1]}"
    _check_cdxj(path, records, outputs[2])
    for record in records:
        del record["headers"], record["http_head"], record["block_prefix"]
    return records


def _check_records(path: Path, records: list[dict], check_filename: bool) -> None:
    first = records[0]
    assert first["type"] == "warcinfo", f"{path}: first record is {first['type']}, not warcinfo"
    if check_filename:
        named = _get(first, "WARC-Filename")
        assert named == path.name.removesuffix(".open"), f"{path}: warcinfo names {named!r}"
    ids = [r["record_id"] for r in records]
    assert len(set(ids)) == len(ids), f"{path}: duplicate record ids"
    by_id = {r["record_id"]: r for r in records}
    requests_for: dict[str, int] = {}
    for r in records:
        where = f"{path.name} @ {r['offset']} ({r['type']} {r['uri']})"
        r["concurrent_to"] = _get(r, "WARC-Concurrent-To")
        r["refers_to"] = _get(r, "WARC-Refers-To")
        r["truncated"] = _get(r, "WARC-Truncated")
        assert r["type"] == "warcinfo" or r["uri"], f"{where}: no WARC-Target-URI"
        stated_block = _get(r, "WARC-Block-Digest")
        assert stated_block, f"{where}: no WARC-Block-Digest"
        assert stated_block == r["block_digest"], f"{where}: block digest {stated_block} != {r['block_digest']}"
        stated_payload = _get(r, "WARC-Payload-Digest")
        if r["type"] in PAYLOAD_DIGEST_TYPES:
            assert stated_payload, f"{where}: no WARC-Payload-Digest"
            assert stated_payload == r["payload_digest"], f"{where}: payload {stated_payload} != {r['payload_digest']}"
        if r["type"] in NO_PAYLOAD_TYPES:
            assert stated_payload is None, f"{where}: WARC-Payload-Digest on a record without a payload"
        r["payload_digest"] = stated_payload
        if r is not first:
            warcinfo_id = _get(r, "WARC-Warcinfo-ID")
            assert warcinfo_id == first["record_id"], f"{where}: WARC-Warcinfo-ID {warcinfo_id}, not this file's"
        if r["truncated"]:
            assert r["truncated"] in TRUNCATED_VALUES, f"{where}: WARC-Truncated {r['truncated']!r}"
        if r["type"] == "request":
            target = by_id.get(r["concurrent_to"])
            assert target and target["type"] in ("response", "revisit"), \
                f"{where}: WARC-Concurrent-To {r['concurrent_to']} is no response in this file"
            assert target["uri"] == r["uri"] and target["date"] == r["date"], f"{where}: differs from its response"
            requests_for[r["concurrent_to"]] = requests_for.get(r["concurrent_to"], 0) + 1
        if r["type"] == "revisit":
            for name in ("WARC-Refers-To-Target-URI", "WARC-Refers-To-Date", "WARC-Profile", "WARC-Payload-Digest"):
                assert _get(r, name), f"{where}: revisit without {name}"
            assert r["truncated"] == "length", f"{where}: revisit without WARC-Truncated: length (WARC/1.1 6.7.2)"
            assert r["http_head"] and len(r["http_head"]) == int(_get(r, "Content-Length")), \
                f"{where}: revisit block is not HTTP headers only"
    for r in records:
        if r["type"] == "response":
            count = requests_for.get(r["record_id"], 0)
            assert count == 1, f"{path.name} @ {r['offset']}: response {r['uri']} has {count} request records"
        if r["type"] == "revisit":
            assert requests_for.get(r["record_id"], 0) <= 1, f"{path.name} @ {r['offset']}: revisit has 2+ requests"


def _check_warcio_agrees(path: Path, records: list[dict]) -> None:
    seen = []
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle, check_digests=True)
        for record in iterator:
            stream = record.raw_stream
            while stream.read(_CHUNK):
                pass
            assert record.digest_checker.passed is not False, f"{path}: warcio: {record.digest_checker.problems}"
            seen.append((iterator.get_record_offset(), iterator.get_record_length(),
                         record.rec_headers.get_header("WARC-Record-ID")))
    ours = [(r["offset"], r["length"], r["record_id"]) for r in records]
    assert seen == ours, f"{path}: warcio sees records {seen}, our walk {ours}"


def _check_cdxj(path: Path, records: list[dict], output: str) -> None:
    lines = [json.loads(line.split(" ", 2)[2]) for line in output.splitlines() if line and not line.startswith("!")]
    expected = [r for r in records if r["type"] in INDEXED_TYPES or (
        r["type"] in ("metadata", "resource") and _get(r, "Content-Type") != "application/warc-fields")]
    got = sorted((int(line["offset"]), int(line["length"]), line["filename"]) for line in lines)
    want = sorted((r["offset"], r["length"], path.name) for r in expected)
    assert got == want, f"{path}: cdxj-indexer lines {got}, expected {want}"


def _get(record: dict, name: str) -> str | None:
    for key, value in record["headers"]:
        if key.lower() == name.lower():
            return value
    return None


def read_record(path, offset: int, length: int) -> dict:
    """The one record in bytes [offset, offset+length) of `path`: asserts the slice is exactly one member."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(length)
    assert len(data) == length, f"{path}: only {len(data)} of {length} bytes at {offset}"
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    parser = _RecordParser(f"{Path(path).name} @ {offset}")
    parser.feed(inflater.decompress(data, _CHUNK))
    while inflater.unconsumed_tail and not inflater.eof:
        parser.feed(inflater.decompress(inflater.unconsumed_tail, _CHUNK))
    assert inflater.eof and not inflater.unused_data, f"{path} @ {offset}+{length}: not exactly one gzip member"
    record = parser.finish()
    record.update(offset=offset, length=length)
    return record


def check_ref(warc_dir, ref) -> dict:
    """Assert a RecordRef points at its record (final file name, id, type, URI, digest); return the record."""
    record = read_record(Path(warc_dir) / ref.warc_file, ref.offset, ref.length)
    assert record["record_id"] == ref.record_id, f"{ref}: found {record['record_id']}"
    assert record["type"] == ref.record_type and record["uri"] == ref.target_uri, f"{ref}: found {record['type']}"
    if ref.payload_digest:
        assert _get(record, "WARC-Payload-Digest") == ref.payload_digest, f"{ref}: payload digest differs"
    return record


# ---- the external validators, one verdict each (tests/warc/test_validators.py, benchmarks/validate_archive.py) ----

# What `fastwarc check --verify-payloads` (FastWARC 2.0.1) must say of each record type in our WARCs.
# Revisit records fail by design of the tool, not of the record: WARC/1.1 6.7.2 makes a revisit's
# WARC-Payload-Digest the digest of the original payload, "not actually present in the current record
# block" (5.9), while fastwarc's WarcRecord::verify_payload_digest (fastwarc/src/record.rs, resiliparse
# commit 70459f0) hashes whatever follows the HTTP headers of any application/http record: for a
# revisit, nothing. warcio check says "present but not checked (revisit)" instead. `fastwarc_verdicts`
# asserts each such failure is exactly that: a digest that is not the empty body's, and is the
# payload digest of the record the revisit refers to, when that record is in the same file.
FASTWARC_EXPECTED = {
    "warcinfo": "OK, PAYLOAD_NO_DIGEST",
    "request": "OK, PAYLOAD_OK",
    "response": "OK, PAYLOAD_OK",
    "metadata": "OK, PAYLOAD_NO_DIGEST",  # WARC/1.1 gives metadata no payload: we write no payload digest
    "revisit": "OK, PAYLOAD_FAIL",  # see above
    # The browser capture's screenshot and thumbnail: WARC/1.1 makes a resource record's payload its whole
    # block, and warcio writes that digest (tests/browser/test_browser_capture.py checks it); fastwarc
    # reports PAYLOAD_FAIL for a non-HTTP resource block whose digest is right.
    "resource": "OK, PAYLOAD_FAIL",
}
EMPTY_SHA1 = "sha1:" + base64.b32encode(hashlib.sha1(b"").digest()).decode("ascii")
VALIDATORS = ("gzip -t", "warcio check", "fastwarc check --verify-payloads", "cdxj-indexer")


def _run_tool(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300)


def fastwarc_verdicts(path: Path, scratch: Path) -> dict[str, tuple[str, str]]:
    """record id -> (WARC-Type, fastwarc's verdict); asserts each verdict is the one FASTWARC_EXPECTED names."""
    details = Path(scratch) / (Path(path).name + ".fastwarc.txt")
    _run_tool(BIN / "fastwarc", "check", "--verify-payloads", "--quiet", "--output", details, path)
    records = {r["record_id"]: r for _, _, r in walk_members(Path(path))}
    verdicts = dict(line.rsplit(": ", 1) for line in details.read_text().splitlines() if line.strip())
    assert set(verdicts) == set(records), f"{path}: fastwarc saw other records than ours"
    by_id = {}
    for record_id, verdict in verdicts.items():
        record = records[record_id]
        where = f"{Path(path).name} {record_id} ({record['type']} {record['uri']})"
        assert verdict == FASTWARC_EXPECTED[record["type"]], f"{where}: fastwarc says {verdict}"
        if record["type"] == "revisit":
            stated = _get(record, "WARC-Payload-Digest")
            assert stated != EMPTY_SHA1 and record["payload_digest"] == EMPTY_SHA1, f"{where}: {stated}"
            original = records.get(_get(record, "WARC-Refers-To"))
            assert original is None or _get(original, "WARC-Payload-Digest") == stated, f"{where}: not the original's"
        by_id[record_id] = (record["type"], verdict)
    return by_id


def validator_verdicts(path: Path, scratch: Path) -> dict[str, str]:
    """Each of VALIDATORS run over one WARC file -> "pass" (with what it found) or "FAIL: why"."""
    path = Path(path)
    verdicts = {}
    result = _run_tool("gzip", "-t", path)
    verdicts["gzip -t"] = "pass" if result.returncode == 0 else f"FAIL: {result.stderr.strip()}"
    result = _run_tool(BIN / "warcio", "check", path)
    ok = result.returncode == 0 and not result.stdout.strip()
    verdicts["warcio check"] = "pass" if ok else f"FAIL: {(result.stdout + result.stderr).strip()[:200]}"
    blocks = _run_tool(BIN / "fastwarc", "check", "--quiet", path)
    try:
        assert blocks.returncode == 0, f"block digests: {blocks.stdout}{blocks.stderr}"
        revisits = sum(kind == "revisit" for kind, _ in fastwarc_verdicts(path, scratch).values())
        verdicts["fastwarc check --verify-payloads"] = (
            f"pass (blocks OK; payloads OK, {revisits} revisit PAYLOAD_FAIL as expected)" if revisits
            else "pass (blocks and payloads OK)")
    except AssertionError as exc:
        verdicts["fastwarc check --verify-payloads"] = f"FAIL: {exc}"
    result = _run_tool(BIN / "cdxj-indexer", "--sort", path)
    lines = [line for line in result.stdout.splitlines() if line and not line.startswith("!")]
    verdicts["cdxj-indexer"] = (f"pass ({len(lines)} lines)" if result.returncode == 0
                                else f"FAIL: {result.stderr.strip()[:200]}")
    return verdicts


def multi_file_archive(data_dir: Path, runs: int = 3, warc_max_bytes: int = 6_000):
    """Archive the fakeweb article `runs` times into `data_dir`, WARCs rotating every `warc_max_bytes`:
    each run spans several files; later runs write revisit records. Returns the settings used.

    `warc_max_bytes` may be below the 1MB floor users get (settings refuse less): set on the
    validated settings, so that a handful of small pages still rotate within one run.
    """
    from contextlib import ExitStack
    from dataclasses import replace

    from archiver.pipeline import article_from_cli, open_pipeline
    from archiver.settings import load_settings
    from support.fakeweb import serve_fakeweb

    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s"}
    settings = load_settings(env=env, overrides={"storage.data_dir": str(data_dir)})
    settings = replace(settings, storage=replace(settings.storage, warc_max_bytes=warc_max_bytes))
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        for _ in range(runs):
            with open_pipeline(settings) as pipeline:
                pipeline.archive([article_from_cli(web.article_url)])
    return settings
