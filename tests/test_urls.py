"""URL normalisation: the one identity every room uses for a URL."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from archiver import urls as urls_module
from archiver.urls import is_root, is_supported, normalize_url, registered_domain, site_root

NORMALISED = [
    # (url, base, expected)
    ("HTTP://WWW.Example.COM/Path", None, "http://www.example.com/Path"),  # path case is kept
    ("https://example.com", None, "https://example.com/"),
    ("https://example.com:443/a", None, "https://example.com/a"),
    ("http://example.com:80/a", None, "http://example.com/a"),
    ("http://example.com:8080/a", None, "http://example.com:8080/a"),
    ("https://example.com:/a", None, "https://example.com/a"),  # empty port
    ("https://example.com/a#section-2", None, "https://example.com/a"),
    ("https://example.com/a?b=1#frag", None, "https://example.com/a?b=1"),
    ("https://example.com/a/./b/../c", None, "https://example.com/a/c"),
    ("https://example.com/a/b/..", None, "https://example.com/a/"),
    ("https://example.com/%7euser/%2fx", None, "https://example.com/~user/%2Fx"),  # unreserved decoded, hex upper
    ("https://example.com/100%", None, "https://example.com/100%25"),  # a lone % is not an escape
    ("https://example.com/caf\u00e9?q=\u00e9t\u00e9", None, "https://example.com/caf%C3%A9?q=%C3%A9t%C3%A9"),
    ('https://example.com/a"b<c>?x="y"', None, "https://example.com/a%22b%3Cc%3E?x=%22y%22"),
    ("https://example.com/a?b=[1]&c=|", None, "https://example.com/a?b=[1]&c=|"),  # browsers leave these alone
    ("https://example.com/a\\b", None, "https://example.com/a/b"),  # backslash is a slash in http(s)
    ("https://B\u00dcCHER.example/x", None, "https://xn--bcher-kva.example/x"),
    ("https://xn--bcher-kva.example/x", None, "https://xn--bcher-kva.example/x"),
    ("https://user:pw@Example.com/", None, "https://user:pw@example.com/"),
    ("http://[2001:DB8::1]:8080/x", None, "http://[2001:db8::1]:8080/x"),
    ("  https://example.com/padded \n", None, "https://example.com/padded"),
    ("../c?d=1#e", "https://example.com/a/b/page.html", "https://example.com/a/c?d=1"),
    ("/root", "https://example.com/a/b", "https://example.com/root"),
    ("//cdn.example.org/x.js", "https://example.com/", "https://cdn.example.org/x.js"),
    ("?page=2", "https://example.com/list?page=1", "https://example.com/list?page=2"),
    ("#top", "https://example.com/a#old", "https://example.com/a"),
    ("", "https://example.com/a", "https://example.com/a"),
    ("https://other.example/x", "https://example.com/", "https://other.example/x"),
    ("MAILTO:Someone@Example.com?subject=Hi#x", None, "mailto:Someone@Example.com?subject=Hi"),
    ("tel:+44-20-7946-0958", None, "tel:+44-20-7946-0958"),
    ("ftp://FTP.example.org:21/pub/", None, "ftp://ftp.example.org/pub/"),
]


@pytest.mark.parametrize("url, base, expected", NORMALISED)
def test_normalize_url(url, base, expected):
    assert normalize_url(url, base) == expected
    assert normalize_url(expected) == expected  # idempotent


MALFORMED = [
    ("https://exa mple.com/", "whitespace"),
    ("https://example.com/a b", "whitespace"),
    ("https://example.com/a\tb", "whitespace"),
    ("https://example.com/a\x07b", "control"),
    ("https:///path-only", "no host"),
    ("http://", "no host"),
    ("https://example.com:99999/", "bad port"),
    ("https://example.com:80a/", "bad port"),
    ("https://example.com:-1/", "bad port"),
    ("http://[::1/", "IPv6"),
    ("example.com/no-scheme", "no scheme"),
    ("/relative/without/base", "no scheme"),
    ("https://exa%mple.com/", "bad character in host"),
    ("https://" + "a" * 64 + "\u00e9.example/", "IDNA"),
]


@pytest.mark.parametrize("url, reason", MALFORMED)
def test_malformed_urls_raise_with_a_reason(url, reason):
    with pytest.raises(ValueError, match=reason):
        normalize_url(url)


@pytest.mark.parametrize(
    "url, expected",
    [("http://a.example/", True), ("HTTPS://a.example/x", True), ("ftp://a.example/", False),
     ("mailto:x@a.example", False), ("javascript:void(0)", False), ("/relative", False), ("", False)],
)
def test_is_supported(url, expected):
    assert is_supported(url) is expected


def test_site_root():
    assert site_root("https://user:pw@News.Example.com:8443/a/b?c#d") == "https://news.example.com:8443/"
    assert site_root("http://example.com") == "http://example.com/"
    with pytest.raises(ValueError):
        site_root("not a url")


@pytest.mark.parametrize(
    "url, expected",
    [("https://example.com/", True), ("https://example.com", True), ("https://example.com/?", True),
     ("https://example.com/#top", True), ("https://example.com/?lang=en", False), ("https://example.com/a", False)],
)
def test_is_root(url, expected):
    assert is_root(url) is expected


@pytest.mark.parametrize(
    "host, expected",
    [("www.bbc.co.uk", "bbc.co.uk"), ("news.example.com", "example.com"), ("Example.COM.", "example.com"),
     ("user1.github.io", "user1.github.io"),  # private suffixes count: each github.io user is its own site
     ("co.uk", "co.uk"), ("localhost", "localhost"), ("192.168.1.10", "192.168.1.10"), ("[::1]", "[::1]"),
     ("xn--bcher-kva.de", "xn--bcher-kva.de")],
)
def test_registered_domain(host, expected):
    assert registered_domain(host) == expected


def test_registered_domain_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tldextract tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    urls_module._suffix_extractor.cache_clear()
    try:
        assert registered_domain("a.b.example.co.uk") == "example.co.uk"
    finally:
        urls_module._suffix_extractor.cache_clear()


_segment = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def loose_urls(draw):
    """URLs a page might contain: odd case, ports, dot segments, escapes, non-ASCII, fragments."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?(\.[A-Za-z]{2,6}){1,2}", fullmatch=True))
    host = draw(st.sampled_from([host, host.upper(), "b\u00fccher." + host, "[2001:db8::1]"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":"]))
    path = "/".join(draw(st.lists(st.one_of(_segment, st.sampled_from([".", "..", "%7e", "%2F", "%"])), max_size=5)))
    query = draw(st.one_of(st.none(), _segment))
    fragment = draw(st.one_of(st.none(), _segment))
    url = f"{scheme}://{host}{port}/{path}"
    return url + (f"?{query}" if query is not None else "") + (f"#{fragment}" if fragment is not None else "")


@settings(max_examples=300)
@given(st.one_of(urls(), loose_urls()))
def test_normalize_url_is_idempotent(url):
    try:
        once = normalize_url(url)
    except ValueError:
        return  # whitespace or control characters in a drawn segment: rejected, as it should be
    assert normalize_url(once) == once
    assert "#" not in once and is_supported(once)


@given(st.text(max_size=60), st.sampled_from([None, "https://example.com/a/b"]))
def test_normalize_url_raises_only_value_error(text, base):
    try:
        normalize_url(text, base)
    except ValueError:
        pass
