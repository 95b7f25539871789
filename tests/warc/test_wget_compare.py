"""The same exchange captured by `wget --warc-file` and by archiver, compared record by record and
header by header.

One loopback server sends fixed bytes (its Date header included), so whatever differs between the
two WARCs comes from the tools. Three variants of one page: plain, gzip Content-Encoding, and
chunked Transfer-Encoding. Every difference is in EXPECTED (or CHUNKED_EXPECTED) with the reason it
is right for us; section numbers are WARC/1.1's
(https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/).

wget is GNU Wget 1.21.3 (Debian bookworm's): `apt-get install wget`. Without it the test fails and
says so: a missing validator must not pass for a passing comparison.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import load_settings
from support.loopback import RawServer, read_request_head

PAGE = ("<!doctype html><html><head><title>Evidence</title></head><body><article><h1>Evidence</h1>"
        + "<p>Figures that readers of the article can check for themselves, ünïcode included.</p>" * 30
        + "</article></body></html>").encode()
GZIPPED = gzip.compress(PAGE, mtime=0)
HEAD = (b"HTTP/1.1 200 OK\r\nDate: Tue, 04 Mar 2025 10:00:00 GMT\r\nServer: fixture/1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nETag: \"v1-abc\"\r\n"
        b"Last-Modified: Tue, 04 Mar 2025 09:30:00 GMT\r\nCache-Control: max-age=60\r\nConnection: close\r\n")
CHUNKED = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (1000, PAGE[:1000], len(PAGE) - 1000, PAGE[1000:])
SERVED = {  # path -> the exact response bytes
    "/page.html": HEAD + b"Content-Length: %d\r\n\r\n" % len(PAGE) + PAGE,
    "/gzip.html": HEAD + b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\nContent-Length: %d\r\n\r\n"
                  % len(GZIPPED) + GZIPPED,
    "/chunked.html": HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + CHUNKED,
}
NOT_FOUND = (b"HTTP/1.1 404 Not Found\r\nDate: Tue, 04 Mar 2025 10:00:00 GMT\r\nContent-Type: text/plain\r\n"
             b"Content-Length: 9\r\nConnection: close\r\n\r\nnot found")  # archiver's soft-404 probe gets this

# Two differences were ours to fix (archiver/warc/record.py), so they are not in the table: our metadata
# records carried a WARC-Payload-Digest (warcio's default; section 4 gives metadata no payload), and
# our records did not name their warcinfo (WARC-Warcinfo-ID, 5.16, which wget writes on every record).
#
# (record, field) -> how wget's record differs from ours: "wget only", "archiver only", or "WGET | OURS"
# after normalising (ids become the label of the record they name, dates their precision, product
# strings their product name; digests and lengths stay as they are and show as "differs").
EXPECTED = {
    # Records in each file. wget writes request before response; we write the response first, as
    # Heritrix does: the response is what an index points at, and recover_open_files cuts a response
    # left without its request (archiver/warc/files.py). No order is required (WARC/1.1 section 5.7:
    # records of one capture event are tied by WARC-Concurrent-To, not by position). The probe is our
    # soft-404 evidence (a random sibling path); MANIFEST.txt, wget_arguments.txt and wget.log are
    # wget's record of its own run, which we keep in archives/logs and in the database instead.
    ("file", "records"): "warcinfo request:page response:page metadata:MANIFEST.txt resource:wget_arguments.txt "
                         "resource:wget.log | warcinfo response:page request:page metadata:page response:probe "
                         "request:probe",
    # We write WARC/1.1, wget WARC/1.0 (and says so in its warcinfo).
    ("file", "version"): "WARC/1.0 | WARC/1.1",
    # 5.4 (WARC-Date): "should be specified with as much precision as is accurately known"; WARC/1.1
    # allows fractions of a second, and warcio writes microseconds for 1.1.
    ("warcinfo", "WARC-Date"): "seconds | microseconds",
    ("request", "WARC-Date"): "seconds | microseconds",
    ("response", "WARC-Date"): "seconds | microseconds",
    ("metadata", "WARC-Date"): "seconds | microseconds",
    # 5.7: "any WARC-Concurrent-To association shall be considered bidirectional even if the header
    # only appears on one record": wget puts it on the response, we on the request (and the metadata).
    ("request", "WARC-Concurrent-To"): "archiver only",
    ("response", "WARC-Concurrent-To"): "wget only",
    ("metadata", "WARC-Concurrent-To"): "archiver only",
    # Parameter spacing of one media type (RFC 9110 5.6.6 allows whitespace around ';'); warcio's
    # spelling. Replay tools (pywb, ReplayWeb.page, cdxj-indexer) read both.
    ("request", "Content-Type"): "application/http;msgtype=request | application/http; msgtype=request",
    ("response", "Content-Type"): "application/http;msgtype=response | application/http; msgtype=response",
    # 5.9 and 6.5: a request's payload is its entity-body; ours states the digest of its empty body
    # (warcio writes it), wget states none. Both are allowed.
    ("request", "WARC-Payload-Digest"): "archiver only",
    # The request differs in what each tool sends (below), so its block and length differ too.
    ("request", "WARC-Block-Digest"): "differs",
    ("request", "Content-Length"): "differs",
    # The HTTP request: we ask like a browser does (Accept, Accept-Language, compressed bodies,
    # which are stored as sent) and name ourselves; wget asks for identity encoding and keep-alive.
    ("request http", "User-Agent"): "Wget | archiver",
    ("request http", "Accept"): "*/* | text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ("request http", "Accept-Encoding"): "identity | gzip, deflate",
    ("request http", "Accept-Language"): "archiver only",
    ("request http", "Connection"): "wget only",
    # Our metadata record lists the page's outlinks (application/warc-fields, 6.6) about the page
    # itself; wget's lists the files of its run (its MANIFEST). Neither carries a payload digest:
    # section 4 gives metadata records no payload.
    ("metadata", "WARC-Target-URI"): "metadata://gnu.org/software/wget/warc/MANIFEST.txt | page",
    ("metadata", "Content-Type"): "text/plain | application/warc-fields",
    ("metadata", "WARC-Block-Digest"): "differs",
    ("metadata", "Content-Length"): "differs",
    # warcinfo (6.2): each tool names itself, its format version and its own fields.
    ("warcinfo", "WARC-Block-Digest"): "differs",
    ("warcinfo", "Content-Length"): "differs",
    ("warcinfo fields", "software"): "Wget | archiver",
    ("warcinfo fields", "format"): "WARC File Format 1.0 | WARC File Format 1.1",
    ("warcinfo fields", "conformsTo"): "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf | "
                                       "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
    # Both say "robots: classic" (6.2): equal, so not listed. wget keeps its command line; we name the
    # User-Agent we send (6.2 http-header-user-agent), which is the part of our settings a site sees.
    ("warcinfo fields", "wget-arguments"): "wget only",
    ("warcinfo fields", "hostname"): "archiver only",
    ("warcinfo fields", "http-header-user-agent"): "archiver only",
}
# A chunked response: wget stores the bytes with their chunk framing and digests them as they are;
# we store the entity-body de-chunked, drop Transfer-Encoding and state its Content-Length
# (archiver/fetch/stream.py consistent_headers), so replay tools do not de-chunk twice. 5.9: "The
# payload of an application/http block is its 'entity-body'", i.e. after transfer decoding: our
# WARC-Payload-Digest is that body's, and equals the plain page's; wget's is of the chunked bytes.
CHUNKED_EXPECTED = {
    ("response http", "Transfer-Encoding"): "wget only",
    ("response http", "Content-Length"): "archiver only",
    ("response", "payload"): "chunked as sent | de-chunked",
    ("response", "WARC-Payload-Digest"): "differs",
    ("response", "WARC-Block-Digest"): "differs",
    ("response", "Content-Length"): "differs",
}
UUID_ID = re.compile(r"<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}>")
REFERENCES = ("WARC-Concurrent-To", "WARC-Warcinfo-ID", "WARC-Refers-To")
MEASURED = ("Content-Length", "WARC-Block-Digest", "WARC-Payload-Digest")
PRODUCT_FIELDS = ("User-Agent", "software")


def sha1_label(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def serve_fixed(conn, stop) -> None:
    """One request per connection (Connection: close), answered with the exact bytes of SERVED."""
    head = read_request_head(conn)
    if head:
        path = head.split(b" ", 2)[1].decode("ascii")
        conn.sendall(SERVED.get(path, NOT_FOUND))


def dechunk(data: bytes) -> bytes:
    body = b""
    while True:
        size_line, data = data.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        body, data = body + data[:size], data[size + 2:]


def read_warc(path: Path, page_url: str) -> list[dict]:
    """Every record of a WARC: label, version, WARC headers, HTTP head and stored payload bytes."""
    records = []
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            http = record.http_headers
            records.append({
                "type": record.rec_type, "uri": uri, "version": record.rec_headers.protocol,
                "label": label(record.rec_type, uri, page_url),
                "headers": record.rec_headers.headers,
                "http_line": (f"{http.protocol} {http.statusline}" if record.rec_type == "response"
                              else f"{http.statusline} {http.protocol}") if http else None,
                "http_headers": http.headers if http else None,
                "payload": record.raw_stream.read(),
            })
    return records


def label(kind: str, uri: str, page_url: str) -> str:
    if kind == "warcinfo":
        return kind
    if uri == page_url:
        return f"{kind}:page"
    if uri.startswith("metadata://"):
        return f"{kind}:{uri.rsplit('/', 1)[1]}"
    if uri.split("/")[:3] == page_url.split("/")[:3]:
        return f"{kind}:probe"
    return f"{kind}:{uri}"


def normalised(name: str, value: str, labels: dict[str, str], page_url: str) -> str:
    if name == "WARC-Record-ID":
        return "<urn:uuid>" if UUID_ID.fullmatch(value) else value
    if name in REFERENCES:
        return "-> " + labels.get(value, "elsewhere")
    if name == "WARC-Date":
        return "microseconds" if re.fullmatch(r"\S+T\d\d:\d\d:\d\d\.\d{6}Z", value) else (
            "seconds" if re.fullmatch(r"\S+T\d\d:\d\d:\d\dZ", value) else value)
    if name == "WARC-Filename":
        return "its file's name"
    if name == "WARC-Target-URI" and value == page_url:
        return "page"
    if name in PRODUCT_FIELDS:
        return value.split("/", 1)[0]
    return value


def compare_fields(where: str, theirs: list[tuple[str, str]], ours: list[tuple[str, str]], normalise) -> dict:
    differences = {}
    theirs_by_name = {name.lower(): (name, value) for name, value in theirs}
    ours_by_name = {name.lower(): (name, value) for name, value in ours}
    for key in theirs_by_name.keys() | ours_by_name.keys():
        name = (ours_by_name.get(key) or theirs_by_name[key])[0]
        if key not in ours_by_name:
            differences[(where, name)] = "wget only"
        elif key not in theirs_by_name:
            differences[(where, name)] = "archiver only"
        else:
            mine, other = normalise(name, ours_by_name[key][1]), normalise(name, theirs_by_name[key][1])
            if mine != other:
                differences[(where, name)] = "differs" if name in MEASURED else f"{other} | {mine}"
    return differences


def warc_fields(block: bytes) -> list[tuple[str, str]]:
    lines = block.decode("utf-8").split("\r\n")
    return [tuple(part.strip() for part in line.split(":", 1)) for line in lines if line.strip()]


def differences(wget_records: list[dict], our_records: list[dict], page_url: str) -> dict:
    found = {("file", "records"): " ".join(r["label"] for r in wget_records) + " | "
                                  + " ".join(r["label"] for r in our_records)}
    versions = ({r["version"] for r in wget_records}, {r["version"] for r in our_records})
    if versions[0] != versions[1]:
        found[("file", "version")] = " ".join(sorted(versions[0])) + " | " + " ".join(sorted(versions[1]))
    theirs, ours = ({r["label"]: r for r in records} for records in (wget_records, our_records))
    labels = {}
    for records in (wget_records, our_records):
        labels.update({dict(r["headers"])["WARC-Record-ID"]: r["label"] for r in records})
    pairs = {"warcinfo": ("warcinfo", "warcinfo"), "request": ("request:page", "request:page"),
             "response": ("response:page", "response:page"), "metadata": ("metadata:MANIFEST.txt", "metadata:page")}
    for where, (their_label, our_label) in pairs.items():
        found.update(compare_fields(where, theirs[their_label]["headers"], ours[our_label]["headers"],
                                    lambda name, value: normalised(name, value, labels, page_url)))
    for where in ("request", "response"):
        wget_record, our_record = theirs[f"{where}:page"], ours[f"{where}:page"]
        if wget_record["http_line"] != our_record["http_line"]:
            found[(f"{where} http", "first line")] = f"{wget_record['http_line']} | {our_record['http_line']}"
        found.update(compare_fields(f"{where} http", wget_record["http_headers"], our_record["http_headers"],
                                    lambda name, value: normalised(name, value, {}, page_url)))
    wget_payload, our_payload = theirs["response:page"]["payload"], ours["response:page"]["payload"]
    if wget_payload != our_payload:
        same_body = dechunk(wget_payload) == our_payload
        found[("response", "payload")] = "chunked as sent | de-chunked" if same_body else "differs"
    found.update(compare_fields("warcinfo fields", warc_fields(theirs["warcinfo"]["payload"]),
                                warc_fields(ours["warcinfo"]["payload"]),
                                lambda name, value: value.split("/", 1)[0] if name in PRODUCT_FIELDS else value))
    return found


@pytest.fixture(scope="module")
def wget() -> str:
    path = shutil.which("wget")
    if path is None:
        pytest.fail("wget is not installed: `apt-get install wget` (GNU Wget 1.21.3); "
                    "this comparison needs it and must not pass without it")
    return path


@pytest.fixture(scope="module")
def server():
    with RawServer(serve_fixed) as raw:
        yield raw


def capture_with_wget(wget: str, url: str, work: Path) -> Path:
    work.mkdir()
    result = subprocess.run(
        [wget, "--no-config", "--no-proxy", "--no-verbose", "--tries=1", "--timeout=10", "-O", str(work / "body"),
         f"--warc-file={work / 'wget'}", f"--warc-tempdir={work}", url],
        cwd=work, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"wget failed: {result.stderr}"
    return work / "wget.warc.gz"  # compressed, one gzip member per record, as we write


def capture_with_archiver(url: str, data_dir: Path) -> Path:
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
           "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s"}
    settings = load_settings(env=env, overrides={"storage.data_dir": str(data_dir)})
    with open_pipeline(settings) as pipeline:
        [summary] = pipeline.archive([article_from_cli(url)])
    assert summary.captured
    [path] = settings.storage.warc_dir.glob("*.warc.gz")
    return path


@pytest.mark.parametrize("path, extra", [("/page.html", {}), ("/gzip.html", {}), ("/chunked.html", CHUNKED_EXPECTED)],
                         ids=["plain", "gzip", "chunked"])
def test_wget_and_archiver_differ_only_as_expected(wget, server, tmp_path, path, extra):
    url = server.url(path)
    wget_records = read_warc(capture_with_wget(wget, url, tmp_path / "wget"), url)
    our_records = read_warc(capture_with_archiver(url, tmp_path / "archives"), url)

    found = differences(wget_records, our_records, url)
    expected = {**EXPECTED, **extra}
    assert {k: v for k, v in found.items() if expected.get(k) != v} == {}, "unexpected differences"
    assert {k: v for k, v in expected.items() if found.get(k) != v} == {}, "expected differences that are gone"


@pytest.mark.parametrize("path", ["/page.html", "/gzip.html", "/chunked.html"])
def test_both_store_the_served_body_under_the_same_payload_digest(wget, server, tmp_path, path):
    url = server.url(path)
    theirs = {r["label"]: r for r in read_warc(capture_with_wget(wget, url, tmp_path / "wget"), url)}
    ours = {r["label"]: r for r in read_warc(capture_with_archiver(url, tmp_path / "archives"), url)}
    wget_response, our_response = theirs["response:page"], ours["response:page"]
    wget_digest = dict(wget_response["headers"])["WARC-Payload-Digest"]
    our_digest = dict(our_response["headers"])["WARC-Payload-Digest"]
    served_body = SERVED[path].split(b"\r\n\r\n", 1)[1]
    if path == "/chunked.html":
        # The entity-body (5.9) is the de-chunked page: ours states its digest; wget's is of the framing.
        assert our_response["payload"] == PAGE and our_digest == sha1_label(PAGE)
        assert wget_response["payload"] == served_body and wget_digest == sha1_label(served_body)
    else:
        # Same bytes on the wire, same payload bytes and digest in both WARCs (gzip kept as sent),
        # and the same response block: HTTP head and body byte for byte.
        assert wget_response["payload"] == our_response["payload"] == served_body
        assert wget_digest == our_digest == sha1_label(served_body)
        assert dict(wget_response["headers"])["WARC-Block-Digest"] == dict(our_response["headers"])["WARC-Block-Digest"]
