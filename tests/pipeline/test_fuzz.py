"""Property tests on what strangers control: URLs, addresses, seed documents, HTML and damaged WARC bytes."""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator

from archiver.errors import GuardRefused, SourceError
from archiver.extract import extract
from archiver.fetch.guard import NetworkGuard, refusal_reason
from archiver.sources.documents import parse_seed_document
from archiver.urls import is_supported, normalize_url
from archiver.warc.files import recover_open_files, sanitized_hostname
from archiver.warc.record import WarcRecorder
from support.records import make_exchange, make_fetch
from support.warc_audit import walk_members

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- URL normalisation -----------------------------------------------------------------------

URL_ALPHABET = st.sampled_from(list("abcXYZ019-._~:/?#[]@!$&'()*+,;=% \\\t\n\x00\x7fé中\u200b\ufeff") + ["%2F", "%zz", "%41",
                                                                                                            "..", "xn--", "::1"])
SCHEMES = st.sampled_from(["http://", "HTTPS://", "ftp://", "mailto:", "javascript:", "//", "", "http:", "h\ttp://"])
HOSTS = st.sampled_from(["example.com", "EXAMPLE.com.", "[::1]", "[::ffff:127.0.0.1]", "127.1", "0x7f000001", "xn--nxasmq6b",
                         "bücher.de", "a..b", "", "user:pw@host", "host:80", "host:99999", "host:", "[fe80::1%25eth0]", "[::"])
URLS = st.one_of(
    st.text(max_size=60),
    st.builds(lambda scheme, host, rest: scheme + host + "".join(rest), SCHEMES, HOSTS, st.lists(URL_ALPHABET, max_size=20)),
)


def normalized_or_error(url: str, base: str | None = None) -> str | None:
    try:
        return normalize_url(url, base)
    except ValueError:  # the one error a malformed URL may raise
        return None


@FUZZ
@given(URLS, st.one_of(st.none(), st.sampled_from(["http://example.com/a/b?c", "https://h.test/"])))
def test_normalize_url_is_idempotent_and_raises_only_value_error(url, base):
    once = normalized_or_error(url, base)
    if once is not None:
        assert normalize_url(once) == once, (url, once)
        assert normalize_url(once, base) == once if is_supported(once) else True


# ---- the network guard -----------------------------------------------------------------------

REFUSED_NETWORKS = [ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "224.0.0.0/4",
    "0.0.0.0/32", "::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8")]


@st.composite
def refused_addresses(draw):
    network = draw(st.sampled_from(REFUSED_NETWORKS))
    address = network[draw(st.integers(0, network.num_addresses - 1))]
    if address.version == 4 and draw(st.booleans()):
        address = ipaddress.IPv6Address("::ffff:" + str(address))  # IPv4-mapped IPv6
    return address


@st.composite
def public_addresses(draw):
    if draw(st.booleans()):
        address = ipaddress.IPv4Address(draw(st.integers(0, 2**32 - 1)))
    else:
        address = ipaddress.IPv6Address((0x2000 << 112) + draw(st.integers(0, 2**125 - 1)))  # 2000::/3
        assume(address.sixtofour is None and address not in ipaddress.ip_network("64:ff9b::/96"))
    assume(address.is_global and not address.is_multicast)
    return address


@FUZZ
@given(refused_addresses())
def test_guard_refuses_every_non_public_address(address):
    assert refusal_reason(address) is not None, address
    with pytest.raises(GuardRefused):
        NetworkGuard().check(str(address), 80)
    NetworkGuard(allow_private=True).check(str(address), 80)


@FUZZ
@given(public_addresses())
def test_guard_allows_public_addresses(address):
    assert refusal_reason(address) is None, address
    NetworkGuard().check(str(address), 443)


# ---- seed documents --------------------------------------------------------------------------

SEED_LINES = st.one_of(
    st.text(max_size=40),
    st.builds(lambda label, url: label + url, st.sampled_from(["Original url:", "Original URL: ", "original url:\t", "# "]),
              URLS),
)


@FUZZ
@given(st.lists(SEED_LINES, max_size=8).map("\n".join))
def test_seed_document_gives_an_article_with_a_valid_url_or_source_error(text):
    try:
        article = parse_seed_document(text, "fuzz.md")
    except SourceError:
        return
    assert is_supported(article.url) and normalize_url(article.url) == article.url
    assert urlsplit(article.url).hostname


# ---- link extraction -------------------------------------------------------------------------

TAGS = st.sampled_from(["p", "div", "article", "main", "nav", "a", "base", "script", "table", "b", "footer", "svg"])
HREFS = st.one_of(URLS, st.sampled_from(["/x", "../y", "?q", "#f", "mailto:a@b", "javascript:x()", "http://[", "//h/p"]))


@st.composite
def html_documents(draw):
    parts = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.integers(0, 4))
        tag = draw(TAGS)
        if kind == 0:
            parts.append(f"<a href=\"{draw(HREFS)}\">{draw(st.text(max_size=30))}</a>")
        elif kind == 1:
            parts.append(f"<{tag} href='{draw(HREFS)}'>")
        elif kind == 2:
            parts.append(f"</{tag}>")
        elif kind == 3:
            parts.append(draw(st.text(max_size=80)))
        else:
            parts.append(f"<base href=\"{draw(HREFS)}\"><meta charset=\"{draw(st.sampled_from(['utf-8', 'bogus', 'utf-16', '']))}\">")
    html = "".join(parts)
    if draw(st.booleans()):
        return html.encode(draw(st.sampled_from(["utf-8", "latin-1", "utf-16"])), "replace")
    return draw(st.binary(max_size=200)) + html.encode("utf-8", "surrogatepass") if draw(st.booleans()) else html


@FUZZ
@given(html_documents(), st.sampled_from([None, "utf-8", "bogus", "shift_jis"]))
def test_extract_never_raises_and_links_are_absolute_or_unsupported(html, charset):
    result = extract(html, "http://news.test/2024/story.html", content_type_charset=charset)
    for link in result.links:
        if not link.supported:
            continue
        assert "#" not in link.url
        try:
            parts = urlsplit(link.url)
            absolute = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            absolute = False
        if not absolute:
            # A malformed href is kept as written so that its check reports `invalid_url`.
            with pytest.raises(ValueError):
                normalize_url(link.url)


# ---- WARC recovery of damaged bytes ----------------------------------------------------------

DEAD_PID = 4_999_999  # above any pid_max: never a live process


@pytest.fixture(scope="module")
def small_warc(tmp_path_factory) -> bytes:
    warc_dir = tmp_path_factory.mktemp("warc")
    with WarcRecorder(warc_dir) as recorder:
        for n in range(3):
            recorder.write_fetch(make_fetch(make_exchange(f"http://example.test/{n}", data=os.urandom(300) + b"<html>x</html>")))
        recorder.write_metadata("http://example.test/0", None, [("outlink", "http://example.test/1")])
    [path] = list(warc_dir.iterdir())
    return path.read_bytes()


DAMAGE = st.lists(st.tuples(st.sampled_from(["flip", "truncate", "insert"]), st.floats(0, 1), st.integers(1, 255)),
                  min_size=1, max_size=4)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(damage=DAMAGE)
def test_recovery_of_damaged_bytes_removes_the_file_or_leaves_whole_records(small_warc, damage):
    data = bytearray(small_warc)
    for kind, where, value in damage:
        position = min(int(where * len(data)), len(data) - 1) if data else 0
        if kind == "flip" and data:
            data[position] ^= value
        elif kind == "truncate":
            del data[position:]
        else:
            data[position:position] = bytes([value]) * value
    directory = Path(tempfile.mkdtemp())
    try:
        name = f"archiver-20240506070809123-00000-{sanitized_hostname()}-{DEAD_PID}.warc.gz"
        (directory / (name + ".open")).write_bytes(bytes(data))
        fixed = recover_open_files(directory)
        assert not list(directory.glob("*.open"))
        if not fixed:
            assert not list(directory.iterdir())  # nothing whole was left: removed
            return
        assert fixed == [directory / name]
        kept = fixed[0].read_bytes()
        assert kept and bytes(data).startswith(kept)  # cut back, never rewritten
        members = list(walk_members(fixed[0]))
        with open(fixed[0], "rb") as handle:
            records = [record.rec_headers.get_header("WARC-Record-ID") for record in ArchiveIterator(handle)]
        assert [m[2]["record_id"] for m in members] == records
        assert members[-1][2]["type"] not in ("response", "revisit")  # a response never ends the file without its request
    finally:
        shutil.rmtree(directory)
