"""client_redirect: which meta refreshes and scripts send a reader elsewhere at once, and which never do."""

from __future__ import annotations

import pytest

from archiver.extract.refresh import client_redirect

URL = "http://news.test/2021/05/story.html"
ARTICLE = "<p>" + " ".join(["The council met again on Tuesday to debate the transport budget."] * 10) + "</p>"


@pytest.mark.parametrize("html, target, via", [
    ('<meta http-equiv="refresh" content="0; url=/">', "http://news.test/", "meta refresh"),
    ("<meta http-equiv='Refresh' content='0;URL=/2021/05/new.html'>", "http://news.test/2021/05/new.html",
     "meta refresh"),
    ('<meta http-equiv="refresh" content="3;url=\'https://other.test/x\'">', "https://other.test/x", "meta refresh"),
    ('<meta http-equiv="refresh" content="0; URL=other.html">' + ARTICLE, "http://news.test/2021/05/other.html",
     "meta refresh"),  # a browser leaves at once, whatever the page says
    ('<base href="http://news.test/archive/"><meta http-equiv="refresh" content="0; url=a.html">',
     "http://news.test/archive/a.html", "meta refresh"),
    ("<script>location.replace('/');</script>", "http://news.test/", "script location.replace()"),
    ('<p>Loading&hellip;</p><script>window.location.href = "/";</script>', "http://news.test/",
     "script location assignment"),
    ("<script>window.location = 'https://other.test/';</script>", "https://other.test/", "script location assignment"),
    ("<p>One moment</p><script>setTimeout(function () { document.location.assign('/home'); }, 1500);</script>",
     "http://news.test/home", "script location.assign()"),
    ("<script>top.location.href=`/en/`</script>", "http://news.test/en/", "script location assignment"),
    ("<script>(function () { if (true) { location.replace('/'); } })();</script>", "http://news.test/",
     "script location.replace()"),
    ("<script>(() => { window.location.href = '/'; })();</script>", "http://news.test/", "script location assignment"),
    ("<script>setTimeout(() => location.assign('/'), 0);</script>", "http://news.test/", "script location.assign()"),
    ("<script>document.addEventListener('DOMContentLoaded', function () { location.href = '/'; });</script>",
     "http://news.test/", "script location assignment"),
    ("<script>$(function () { location.href = '/'; });</script>", "http://news.test/", "script location assignment"),
])
def test_followed(html, target, via):
    found = client_redirect(f"<html><head>{html}</head><body></body></html>".encode(), URL)
    assert (found.target, found.via) == (target, via)


@pytest.mark.parametrize("html", [
    '<meta http-equiv="refresh" content="300">',  # a live page reloading itself
    '<meta http-equiv="refresh" content="60; url=/">',  # too slow: the reader reads the page first
    f'<meta http-equiv="refresh" content="0; url={URL}#top">',  # itself: a reload
    '<noscript><meta http-equiv="refresh" content="0; url=/no-js.html"></noscript>',  # not for a browser with scripts
    '<meta http-equiv="refresh" content="0; url=javascript:void(0)">',
    '<meta name="refresh" content="0; url=/">',  # not http-equiv
    ARTICLE + "<script>document.getElementById('menu').onclick = function () { location.href = '/menu'; };</script>",
    "<script>setTimeout(function () { location.replace('/'); }, 30000);</script>",  # half a minute: not at once
    # thin pages whose redirects wait for the reader: handlers and functions nobody calls on load
    "<button id=b>Go</button><script>document.getElementById('b').addEventListener('click', function () {"
    " location.href = '/next'; });</script>",
    "<a id=a>Home</a><script>document.getElementById('a').onclick = function () { location.assign('/'); };</script>",
    "<script>function goHome() { location.replace('/'); }</script><button onclick='goHome()'>Home</button>",
    "<script>$('#logo').click(() => { window.location = '/'; });</script>",
    "<script>if (location == '/') { start(); } obj.location = '/x';</script>",  # comparisons, other objects
    "<script>location.href = base + path;</script>",  # no literal URL: nothing to follow
    '<script type="application/ld+json">{"location": "/x"}</script>',
    "<p>Nothing to see</p>",
])
def test_not_followed(html):
    assert client_redirect(f"<html><head></head><body>{html}</body></html>".encode(), URL) is None


def test_undecodable_and_empty_bodies_are_no_redirect():
    assert client_redirect(b"", URL) is None
    assert client_redirect(b"\xff\xfe\x00location\x00", URL) is None
