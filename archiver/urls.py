"""URL normalisation helpers shared by every room. Pure: standard library plus tldextract's bundled list.

One normalised form is the identity of a URL everywhere (dedupe, store keys,
self-link detection), so `normalize_url` must be idempotent. Its percent-encoding
follows the WHATWG URL standard's encode sets, so the normalised URL is what a
browser would send for the same href.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urljoin, urlsplit, urlunsplit

SUPPORTED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
# Schemes with an authority and a hierarchical path ("special" in WHATWG terms).
HIERARCHICAL_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss"})

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# ASCII characters a browser percent-encodes in each component (WHATWG path / query encode sets).
_PATH_ENCODE = frozenset(' "#<>?`{}')
_QUERY_ENCODE = frozenset(" \"#<>'")
_OPAQUE_ENCODE = frozenset(' "#<>`{}')
_FORBIDDEN_HOST_CHARS = frozenset(" #%/:<>?@[\\]^|")
_HEX = "0123456789ABCDEFabcdef"
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_BAD_CHAR = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")  # whitespace and control characters (C0, DEL, C1)


def _reject_bad_chars(url: str) -> None:
    bad = _BAD_CHAR.search(url)
    if bad:
        raise ValueError(f"invalid URL {url!r}: contains whitespace or control character {bad.group()!r}")


def _needs_escaping(encode: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[^!-~]|[%" + re.escape("".join(sorted(encode))) + "]")


_NEEDS_WORK = {encode: _needs_escaping(encode) for encode in (_PATH_ENCODE, _QUERY_ENCODE, _OPAQUE_ENCODE)}


def _normalize_escapes(component: str, encode: frozenset[str]) -> str:
    """Upper-case %xx escapes, decode escaped unreserved characters, encode what a browser would."""
    if not _NEEDS_WORK[encode].search(component):
        return component  # the common case: plain printable ASCII, no escapes
    out: list[str] = []
    i = 0
    while i < len(component):
        char = component[i]
        if char == "%":
            hexpair = component[i + 1 : i + 3]
            if len(hexpair) == 2 and all(h in _HEX for h in hexpair):
                decoded = chr(int(hexpair, 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + hexpair.upper())
                i += 3
                continue
            out.append("%25")  # a lone "%" is not an escape
        elif ord(char) < 0x80 and char not in encode:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for an absolute path: every client resolves /a/../b before sending it."""
    if "." not in path:
        return path
    segments = path.split("/")[1:]
    output: list[str] = []
    for index, segment in enumerate(segments):
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
        if segment in (".", "..") and index == len(segments) - 1:
            output.append("")  # "/a/b/.." is the directory "/a/"
    return "/" + "/".join(output)


def _normalize_host(host: str, url: str) -> str:
    if host.startswith("["):
        return host.lower()  # IPv6 literal, already validated by urlsplit
    if any(char in _FORBIDDEN_HOST_CHARS for char in host):
        raise ValueError(f"invalid URL {url!r}: bad character in host {host!r}")
    host = host.lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"invalid URL {url!r}: host {host!r} cannot be IDNA-encoded ({exc})") from None


def _split_authority(netloc: str, url: str) -> tuple[str, str, int | None]:
    """Return (userinfo@ or "", host, port) with the port validated."""
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        close = hostport.find("]")
        host, rest = hostport[: close + 1], hostport[close + 1 :]
        if close < 0 or (rest and not rest.startswith(":")):
            raise ValueError(f"invalid URL {url!r}: malformed IPv6 host")
        port_text = rest[1:]
    else:
        host, _, port_text = hostport.partition(":")
    port = None
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
            raise ValueError(f"invalid URL {url!r}: bad port {port_text!r}")
        port = int(port_text)
    return (userinfo + at), host, port


@functools.lru_cache(maxsize=8192)  # pages repeat hrefs; exceptions are not cached and re-raise each time
def normalize_url(url: str, base: str | None = None) -> str:
    """Absolute, fragment-free, canonical form of `url` (resolved against `base`); ValueError if malformed."""
    stripped = url.strip(_C0_AND_SPACE)  # as browsers do with href values
    _reject_bad_chars(stripped)
    if base is not None and not _SCHEME_RE.match(stripped):
        stripped = urljoin(base.strip(), stripped)
    if not _SCHEME_RE.match(stripped):
        raise ValueError(f"invalid URL {url!r}: no scheme (relative URL without a base)")
    try:
        parts = urlsplit(stripped)
    except ValueError as exc:  # e.g. an unterminated IPv6 literal
        raise ValueError(f"invalid URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in HIERARCHICAL_SCHEMES:
        opaque = stripped.split(":", 1)[1].split("#", 1)[0]
        return f"{scheme}:{_normalize_escapes(opaque, _OPAQUE_ENCODE)}"
    userinfo, host, port = _split_authority(parts.netloc, url)
    if not host:
        raise ValueError(f"invalid URL {url!r}: no host")
    netloc = userinfo + _normalize_host(host, url)
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    # Browsers read "\\" as "/" in http(s) paths.
    path = _remove_dot_segments(_normalize_escapes(parts.path.replace("\\", "/"), _PATH_ENCODE)) or "/"
    query = _normalize_escapes(parts.query, _QUERY_ENCODE)
    return urlunsplit((scheme, netloc, path, query, ""))


def is_supported(url: str) -> bool:
    """True for http(s) URLs: the only ones archiver fetches."""
    match = _SCHEME_RE.match(url.strip())
    return bool(match) and match.group(0)[:-1].lower() in SUPPORTED_SCHEMES


def site_root(url: str) -> str:
    """"scheme://host[:port]/" of `url` (no user info); ValueError if malformed."""
    parts = urlsplit(normalize_url(url))
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/"


def is_root(url: str) -> bool:
    """True when `url` is its site's home page: path "/" (or empty) and no query."""
    parts = urlsplit(url.strip())
    return parts.path in ("", "/") and not parts.query


@functools.lru_cache(maxsize=1)
def _suffix_extractor():
    import tldextract  # imported lazily: loading the bundled suffix list costs ~50 ms

    # suffix_list_urls=() and cache_dir=None: only the snapshot shipped in the package, never the network.
    # Private suffixes (github.io, blogspot.com) count: user1.github.io and user2.github.io are different sites.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def registered_domain(host: str) -> str:
    """The registrable domain ("eTLD+1") of `host`; the host itself for IPs, localhost or bare suffixes."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") or not host:
        return host
    result = _suffix_extractor()(host)
    if result.ipv4 or not result.suffix or not result.domain:
        return host
    return f"{result.domain}.{result.suffix}"
