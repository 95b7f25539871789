"""archiver.warc.record: WARC/1.1 writing, checked by warcio, gzip, cdxj-indexer and our own audit."""

from __future__ import annotations

import errno
import gzip
import json
import os
import random
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.errors import RecordError
from archiver.models import Body, Exchange
from archiver.warc.files import OpenWarcFile, sanitized_hostname
from archiver.warc.record import WarcRecorder, recover_open_files
from support.records import T0, make_exchange, make_fetch
from support.warc_audit import audit_warc, check_ref, read_record


def counter_ids():
    count = iter(range(1, 10**6))
    return lambda: f"<urn:uuid:00000000-0000-4000-8000-{next(count):012d}>"


def only_warc(warc_dir: Path) -> Path:
    files = sorted(warc_dir.iterdir())
    assert len(files) == 1 and files[0].name.endswith(".warc.gz"), files
    return files[0]


def test_redirect_and_page_written_as_pairs_and_audited(tmp_path):
    hop = make_exchange("http://example.test/old", b"", status=301, reason="Moved Permanently",
                        headers=(("Location", "/new path?x=1"), ("Content-Length", "0")))
    page = make_exchange("http://example.test/new%20path?x=1", started_at=T0 + timedelta(seconds=1), peer=None)
    clock = lambda: datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    with WarcRecorder(tmp_path, clock=clock, record_id_factory=counter_ids()) as recorder:
        refs = recorder.write_fetch(make_fetch(hop, page))
        assert recorder.current_file.name.endswith(".warc.gz.open")
    path = only_warc(tmp_path)
    assert path.name == f"archiver-20240102030405678-00000-{sanitized_hostname()}-{os.getpid()}.warc.gz"
    records = audit_warc(path)
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "response", "request"]
    assert [r["status"] for r in records if r["type"] == "response"] == [301, 200]
    assert [(r.record_type, r.target_uri, r.warc_file) for r in refs] == [
        ("response", hop.url, path.name), ("response", page.url, path.name)]
    assert refs[0].date == T0 and refs[0].payload_digest == hop.body.payload_digest
    assert records[1]["date"] == records[2]["date"] == "2024-05-06T07:08:09.123456Z"
    assert records[2]["concurrent_to"] == records[1]["record_id"] == refs[0].record_id
    first = check_ref(path.parent, refs[0])
    assert ("WARC-IP-Address", "127.0.0.1") in first["headers"]
    assert first["http_head"].startswith(b"HTTP/1.1 301 Moved Permanently\r\nLocation: /new path?x=1\r\n")
    second = check_ref(path.parent, refs[1])
    assert "WARC-IP-Address" not in dict(second["headers"])
    assert second["block_prefix"].endswith(b"\r\n\r\n<html>hello</html>")
    request = read_record(path, records[4]["offset"], records[4]["length"])
    assert request["http_head"] == (b"GET /new%20path?x=1 HTTP/1.1\r\nHost: example.test\r\n"
                                    b"User-Agent: archiver-test\r\nAccept: */*\r\n\r\n")
    info = read_record(path, 0, records[0]["length"])
    assert b"software: archiver/0.1\r\n" in info["block_prefix"] and b"format: WARC File Format 1.1" in info["block_prefix"]


def test_warcinfo_carries_operator_fields_and_header_breaks_are_folded(tmp_path):
    evil = make_exchange("http://example.test/a b\r\nWARC-Type: x",
                         headers=(("X-Evil", "one\r\nWARC-Type: injected"), ("Content-Length", "18")))
    with WarcRecorder(tmp_path, operator_info={"operator": "Newsroom Archive", "isPartOf": "links"}) as recorder:
        ref = recorder.write_fetch(make_fetch(evil))[0]
    path = only_warc(tmp_path)
    records = audit_warc(path)
    info = read_record(path, 0, records[0]["length"])["block_prefix"]
    assert b"operator: Newsroom Archive\r\n" in info and b"isPartOf: links\r\n" in info
    assert ref.target_uri == "http://example.test/a%20b%0D%0AWARC-Type:%20x"
    assert b"X-Evil: one WARC-Type: injected\r\n" in check_ref(tmp_path, ref)["http_head"]


def test_non_ascii_url_and_reason_still_give_an_ascii_request_line(tmp_path):
    exchange = make_exchange("http://example.test/café/ü?q=ä%20b", reason="Okäy")
    with WarcRecorder(tmp_path) as recorder:
        ref = recorder.write_fetch(make_fetch(exchange))[0]
    records = audit_warc(only_warc(tmp_path))
    request = read_record(only_warc(tmp_path), records[2]["offset"], records[2]["length"])
    assert request["http_head"].startswith(b"GET /caf%C3%A9/%C3%BC?q=%C3%A4%20b HTTP/1.1\r\n")
    assert check_ref(tmp_path, ref)["http_head"].startswith(b"HTTP/1.1 200 Ok?y\r\n")
    assert ref.target_uri == exchange.url  # the WARC header is UTF-8: the URL is kept as the database knows it


def test_gzip_encoded_body_is_kept_raw_and_warcio_decodes_it(tmp_path):
    html = b"<html><body>" + b"compressible words " * 500 + b"</body></html>"
    raw = gzip.compress(html)
    exchange = make_exchange(data=raw, headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                                                ("Content-Length", str(len(raw)))))
    with WarcRecorder(tmp_path) as recorder:
        ref = recorder.write_fetch(make_fetch(exchange))[0]
    path = only_warc(tmp_path)
    audit_warc(path)
    record = check_ref(tmp_path, ref)
    assert record["block_prefix"].endswith(raw)  # the bytes as sent, still gzip
    with open(path, "rb") as handle:
        raw_bodies = [r.raw_stream.read() for r in ArchiveIterator(handle) if r.rec_type == "response"]
    with open(path, "rb") as handle:
        decoded = [r.content_stream().read() for r in ArchiveIterator(handle) if r.rec_type == "response"]
    assert raw_bodies == [raw] and decoded == [html]


def test_metadata_record_with_outlinks(tmp_path):
    with WarcRecorder(tmp_path) as recorder:
        ref = recorder.write_fetch(make_fetch(make_exchange()))[0]
        meta = recorder.write_metadata(ref.target_uri, ref.record_id,
                                       [("outlink", "http://a.test/1"), ("outlink", "http://b.test/x y"),
                                        ("via", "line\r\nbreak")])
    records = audit_warc(only_warc(tmp_path))
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "metadata"]
    assert records[3]["concurrent_to"] == ref.record_id and meta.record_type == "metadata"
    record = check_ref(tmp_path, meta)
    assert record["block_prefix"] == b"outlink: http://a.test/1\r\noutlink: http://b.test/x y\r\nvia: line break\r\n"
    # WARC/1.1 section 4: metadata records have no payload, so no WARC-Payload-Digest (5.9); warcio would add one.
    assert "WARC-Payload-Digest" not in dict(record["headers"]) and meta.payload_digest is None
    assert ("WARC-Block-Digest", records[3]["block_digest"]) in record["headers"]


def test_revisit_is_read_back_by_warcio_and_indexed_by_cdxj(tmp_path):
    first = make_exchange()
    again = make_exchange(started_at=T0 + timedelta(days=1), peer="127.0.0.2")
    with WarcRecorder(tmp_path) as recorder:
        original = recorder.write_fetch(make_fetch(first))[0]
        revisit = recorder.write_revisit(again, original)
        with pytest.raises(ValueError, match="differs"):
            recorder.write_revisit(make_exchange(data=b"other"), original)
    path = only_warc(tmp_path)
    records = audit_warc(path)  # runs cdxj-indexer: one line for the response, one for the revisit
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "revisit", "request"]
    assert revisit.record_type == "revisit" and revisit.payload_digest == original.payload_digest
    with open(path, "rb") as handle:
        found = [r for r in ArchiveIterator(handle) if r.rec_type == "revisit"]
        headers = found[0].rec_headers
        assert headers.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        assert headers.get_header("WARC-Refers-To") == original.record_id
        assert headers.get_header("WARC-Refers-To-Target-URI") == original.target_uri
        assert headers.get_header("WARC-Refers-To-Date") == "2024-05-06T07:08:09.123456Z"
        assert headers.get_header("WARC-Date") == "2024-05-07T07:08:09.123456Z"
        assert headers.get_header("WARC-Truncated") == "length"  # WARC/1.1 6.7.2: the body was left off
        assert found[0].http_headers.get_statuscode() == "200"
    cdxj = subprocess.run([str(Path(sys.executable).parent / "cdxj-indexer"), str(path)],
                          capture_output=True, text=True, check=True).stdout.splitlines()
    lines = [json.loads(line.split(" ", 2)[2]) for line in cdxj]
    assert [line["mime"] for line in lines] == ["text/html", "warc/revisit"]
    assert lines[1]["digest"] == original.payload_digest and int(lines[1]["offset"]) == revisit.offset


def test_body_that_does_not_match_its_digest_is_refused_before_writing(tmp_path):
    exchange = make_exchange()
    bad = Exchange(**{**exchange.__dict__, "body": Body(exchange.body.file, exchange.body.length, "sha1:AAAA")})
    with WarcRecorder(tmp_path) as recorder:
        with pytest.raises(ValueError, match="does not match"):
            recorder.write_fetch(make_fetch(bad))
        recorder.write_fetch(make_fetch(make_exchange()))
    assert [r["type"] for r in audit_warc(only_warc(tmp_path))] == ["warcinfo", "response", "request"]


@pytest.mark.parametrize("flag, written", [("length", "length"), ("time", "time"), ("disconnect", "disconnect"),
                                           ("something", "unspecified")])
def test_truncated_body_gets_warc_truncated(tmp_path, flag, written):
    with WarcRecorder(tmp_path) as recorder:
        ref = recorder.write_fetch(make_fetch(make_exchange(data=b"x" * 100, truncated=flag,
                                                            headers=(("Content-Length", "5000"),))))[0]
    records = audit_warc(only_warc(tmp_path))
    assert records[1]["truncated"] == written and records[2]["truncated"] is None
    assert ("WARC-Truncated", written) in check_ref(tmp_path, ref)["headers"]


def test_rotation_at_max_bytes_gives_several_valid_files(tmp_path):
    rng = random.Random(7)
    refs = []
    with WarcRecorder(tmp_path, prefix="rot", max_bytes=6000) as recorder:
        for n in range(12):
            data = rng.randbytes(1500)  # incompressible: each pair is ~2 KB on disk
            refs += recorder.write_fetch(make_fetch(make_exchange(f"http://example.test/{n}", data)))
    files = sorted(tmp_path.iterdir())
    assert not [f for f in files if f.name.endswith(".open")]
    assert len(files) >= 3
    serials = [int(f.name.split("-")[2]) for f in files]
    assert serials == list(range(len(files)))
    total = 0
    for path in files:
        records = audit_warc(path)
        total += sum(r["type"] == "response" for r in records)
        assert records[-2]["type"] == "response" and records[-2]["offset"] < 6000  # last pair began below the limit
        assert path == files[-1] or path.stat().st_size >= 6000  # and the file was closed once past it
    assert total == 12
    for ref in refs:
        check_ref(tmp_path, ref)
    warcinfo_ids = []
    for path in files:  # every record names the warcinfo of the file it landed in (WARC/1.1 5.16)
        with open(path, "rb") as handle:
            records = list((r.rec_type, r.rec_headers.get_header("WARC-Record-ID"),
                            r.rec_headers.get_header("WARC-Warcinfo-ID")) for r in ArchiveIterator(handle))
        assert records[0][0] == "warcinfo" and records[0][2] is None
        assert {named for _, _, named in records[1:]} == {records[0][1]}
        warcinfo_ids.append(records[0][1])
    assert len(set(warcinfo_ids)) == len(files)


def test_ref_offset_and_length_slice_is_exactly_one_gzip_member(tmp_path):
    with WarcRecorder(tmp_path) as recorder:
        refs = recorder.write_fetch(make_fetch(make_exchange(), make_exchange("http://example.test/2", b"two")))
    path = only_warc(tmp_path)
    data = path.read_bytes()
    for ref in refs:
        with open(path, "rb") as handle:
            handle.seek(ref.offset)
            member = handle.read(ref.length)
        assert member[:2] == b"\x1f\x8b"
        text = gzip.decompress(member)
        assert text.startswith(b"WARC/1.1\r\nWARC-Type: response\r\n") and text.count(b"WARC/1.1\r\n") == 1
        assert ref.record_id.encode() in text and text.endswith(b"\r\n\r\n")
        following = data[ref.offset + ref.length:]
        assert following == b"" or following[:2] == b"\x1f\x8b"


def test_concurrent_writers_keep_pairs_adjacent(tmp_path):
    with WarcRecorder(tmp_path, max_bytes=50_000) as recorder:
        def work(worker):
            for n in range(15):
                recorder.write_fetch(make_fetch(make_exchange(f"http://t{worker}.test/{n}", os.urandom(500)),
                                                make_exchange(f"http://t{worker}.test/{n}b", b"b")))
        threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    responses = 0
    for path in sorted(tmp_path.iterdir()):
        records = audit_warc(path)
        for previous, record in zip(records, records[1:]):
            if record["type"] == "request":
                assert record["concurrent_to"] == previous["record_id"]
        responses += sum(r["type"] == "response" for r in records)
    assert responses == 6 * 15 * 2


SUBPROCESS_PRELUDE = """
import base64, hashlib, json, os, resource, signal, sys, tempfile
from datetime import datetime, timezone
from pathlib import Path
from archiver.errors import RecordError
from archiver.models import Body, Exchange, Fetch
from archiver.warc.record import WarcRecorder

def exchange(url, data, spool=1 << 24):
    body = tempfile.SpooledTemporaryFile(max_size=spool)
    body.write(data)
    body.seek(0)
    digest = "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()
    now = datetime.now(timezone.utc)
    return Exchange(url, "GET", (("Host", "example.test"),), "HTTP/1.1", 200, "OK",
                    (("Content-Length", str(len(data))),), Body(body, len(data), digest), now, "127.0.0.1")

def fetch(*exchanges):
    return Fetch(exchanges[0].url, exchanges, exchanges[0].started_at, exchanges[0].started_at)

def ref_json(ref):
    return {"file": ref.warc_file, "offset": ref.offset, "length": ref.length, "id": ref.record_id}
"""


def run_python(code: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", SUBPROCESS_PRELUDE + code, *args],
                            capture_output=True, text=True, timeout=110)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_file_size_limit_cuts_back_to_last_complete_record_and_raises(tmp_path):
    outcome = run_python("""
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
recorder = WarcRecorder(Path(sys.argv[1]))
small = [fetch(exchange(f"http://example.test/{n}", os.urandom(3000))) for n in range(2)]
big = fetch(exchange("http://example.test/big", os.urandom(400_000)))
refs = [ref_json(r) for r in recorder.write_fetch(small[0])]
limit = recorder.current_file.stat().st_size + 10_000
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
refs += [ref_json(r) for r in recorder.write_fetch(small[1])]
size_before = recorder.current_file.stat().st_size
try:
    recorder.write_fetch(big)
    error = None
except RecordError as exc:
    error = str(exc)
size_after = recorder.current_file.stat().st_size
meta = ref_json(recorder.write_metadata("http://example.test/1", None, [("outlink", "http://x.test/")]))
recorder.close()
print(json.dumps({"refs": refs, "error": error, "before": size_before, "after": size_after, "meta": meta,
                  "limit": limit}))
""", str(tmp_path))
    assert outcome["error"] and "File too large" in outcome["error"] and "cut back" in outcome["error"]
    assert outcome["after"] == outcome["before"] < outcome["limit"]
    last = outcome["refs"][-1]
    path = only_warc(tmp_path)
    records = audit_warc(path)
    assert [r["type"] for r in records] == ["warcinfo"] + ["response", "request"] * 2 + ["metadata"]
    assert records[3]["offset"] == last["offset"] and outcome["meta"]["offset"] == outcome["before"]
    assert path.stat().st_size == outcome["meta"]["offset"] + outcome["meta"]["length"]


def test_disk_full_during_the_request_record_cuts_back_the_whole_pair(tmp_path, monkeypatch):
    recorder = WarcRecorder(tmp_path)
    first = recorder.write_fetch(make_fetch(make_exchange()))[0]
    pair_end = recorder.current_file.stat().st_size
    limit = {"bytes": pair_end + first.length + 40}  # room for the next response, not for its request
    real_write = OpenWarcFile.write

    def write_until_full(self, data):
        if self.tell() + len(data) > limit["bytes"]:
            limit["failed_at"] = self.tell()
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(OpenWarcFile, "write", write_until_full)
    with pytest.raises(RecordError, match="No space left on device") as raised:
        recorder.write_fetch(make_fetch(make_exchange()))
    assert raised.value.__cause__.errno == errno.ENOSPC
    assert limit["failed_at"] >= pair_end + first.length  # the response was whole: the request failed
    assert recorder.current_file.stat().st_size == pair_end
    limit["bytes"] = 10**9
    second = recorder.write_fetch(make_fetch(make_exchange("http://example.test/after")))[0]
    assert second.offset == pair_end
    recorder.close()
    records = audit_warc(only_warc(tmp_path))
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "response", "request"]


def write_sample_warc(warc_dir: Path) -> Path:
    rng = random.Random(3)
    with WarcRecorder(warc_dir) as recorder:
        refs = recorder.write_fetch(make_fetch(make_exchange("http://example.test/r", b"", status=302, reason="Found"),
                                               make_exchange("http://example.test/a", rng.randbytes(40_000))))
        recorder.write_metadata(refs[-1].target_uri, refs[-1].record_id, [("outlink", "http://b.test/")])
        page_b = rng.randbytes(30_000)
        refs = recorder.write_fetch(make_fetch(make_exchange("http://example.test/b", page_b)))
        recorder.write_revisit(make_exchange("http://example.test/b", page_b, started_at=T0 + timedelta(1)), refs[0])
        recorder.write_fetch(make_fetch(make_exchange("http://example.test/c", b"c" * 5000)))
    return only_warc(warc_dir)


def test_recover_open_files_cuts_to_last_complete_record(tmp_path):
    original = write_sample_warc(tmp_path / "orig")
    records = audit_warc(original)
    data = original.read_bytes()
    ends = [r["offset"] + r["length"] for r in records]
    rng = random.Random(11)
    cuts = sorted({1, 10, len(data)} | {e for e in ends} | {e + 1 for e in ends[:-1]}
                  | {r["offset"] + r["length"] // 2 for r in records} | {rng.randrange(len(data)) for _ in range(12)})
    audited: set[int] = set()  # cuts that keep the same records give the same bytes: audit each outcome once
    for cut in cuts:
        crash_dir = tmp_path / f"cut{cut}"
        crash_dir.mkdir()
        (crash_dir / "crashed.warc.gz.open").write_bytes(data[:cut])
        complete = [r for r in records if r["offset"] + r["length"] <= cut]
        if complete and complete[-1]["type"] in ("response", "revisit"):
            complete.pop()  # its request never made it: the pair is incomplete
        fixed = recover_open_files(crash_dir)
        assert not list(crash_dir.glob("*.open"))
        if not complete:
            assert fixed == [] and not list(crash_dir.iterdir()), cut
            continue
        assert fixed == [crash_dir / "crashed.warc.gz"], cut
        kept = complete[-1]["offset"] + complete[-1]["length"]
        assert fixed[0].read_bytes() == data[:kept], cut
        if kept not in audited:
            recovered = audit_warc(fixed[0], check_filename=False)
            assert [r["record_id"] for r in recovered] == [r["record_id"] for r in complete], cut
            audited.add(kept)
    assert len(audited) == 7  # warcinfo; +302 pair; +200 pair; +metadata; +pair; +revisit pair; +last pair


def test_recover_leaves_a_live_writers_file_alone(tmp_path):
    recorder = WarcRecorder(tmp_path)
    recorder.write_fetch(make_fetch(make_exchange()))
    live = recorder.current_file
    assert recover_open_files(tmp_path) == [] and live.exists()
    recorder.close()
    # the same file under the name of a process that has exited is recovered
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    final = tmp_path / live.name.removesuffix(".open")
    stale = final.name.replace(f"-{os.getpid()}.warc.gz", f"-{dead.stdout.strip()}.warc.gz")
    final.rename(tmp_path / (stale + ".open"))
    assert recover_open_files(tmp_path) == [tmp_path / stale]


def test_200mb_body_is_streamed_with_bounded_memory(tmp_path):
    outcome = run_python("""
block = os.urandom(4096) * 256  # 1 MiB that deflates fast: the test measures memory, not zlib
body = tempfile.SpooledTemporaryFile(max_size=1 << 20)
digester = hashlib.sha1()
for _ in range(200):
    body.write(block)
    digester.update(block)
size = body.tell()
ex = exchange("http://example.test/big", b"")
ex = Exchange(**{**ex.__dict__, "body": Body(body, size, "sha1:" + base64.b32encode(digester.digest()).decode())})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with WarcRecorder(Path(sys.argv[1])) as recorder:
    ref = recorder.write_fetch(fetch(ex))[0]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kb": before, "after_kb": after, "size": size, "ref": ref_json(ref)}))
""", str(tmp_path))
    assert outcome["size"] == 200 * (1 << 20)
    growth_mb = (outcome["after_kb"] - outcome["before_kb"]) / 1024
    assert growth_mb < 100, f"peak RSS grew by {growth_mb:.0f} MB while writing a 200 MB body"
    records = audit_warc(only_warc(tmp_path))
    assert [r["type"] for r in records] == ["warcinfo", "response", "request"]
    assert records[1]["offset"] == outcome["ref"]["offset"] and records[1]["length"] == outcome["ref"]["length"]


def _members_of(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return [data[r["offset"]:r["offset"] + r["length"]] for r in audit_warc(path)]


@pytest.mark.parametrize("damage, message", [
    ("cut", "cut short"),
    ("drop_request", "has 0 request records"),
    ("flip_body_byte", "digest"),
    ("two_records_one_member", "after the record's end"),
    ("no_warcinfo", "not warcinfo"),
])
def test_audit_rejects_broken_warcs(tmp_path, damage, message):
    with WarcRecorder(tmp_path / "good") as recorder:
        recorder.write_fetch(make_fetch(make_exchange(data=b"body bytes " * 50)))
    members = _members_of(only_warc(tmp_path / "good"))  # warcinfo, response, request
    if damage == "cut":
        broken = b"".join(members)[:-7]
    elif damage == "drop_request":
        broken = members[0] + members[1]
    elif damage == "flip_body_byte":
        record = gzip.decompress(members[1])
        members[1] = gzip.compress(record.replace(b"body bytes", b"body bytez", 1))
        broken = b"".join(members)
    elif damage == "two_records_one_member":
        broken = members[0] + gzip.compress(gzip.decompress(members[1]) + gzip.decompress(members[2]))
    else:
        broken = members[1] + members[2]
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(broken)
    with pytest.raises(AssertionError, match=message):
        audit_warc(path, check_filename=False)
