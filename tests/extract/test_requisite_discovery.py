"""Requisites read from HTML and CSS: every kind, resolved against <base>, each URL once, nothing that is no fetch."""

from __future__ import annotations

from archiver.extract.requisites import css_requisites, html_requisites
from archiver.models import RequisiteKind as Kind

BASE = "https://news.example/2024/story.html"


def _found(html: str) -> dict[str, Kind]:
    return {item.url: item.kind for item in html_requisites(html, BASE)}


def test_every_kind_in_an_html_page():
    found = _found("""<html><head>
<link rel="stylesheet" href="/css/a.css"><link rel="icon" href="/favicon.ico">
<link rel="apple-touch-icon" href="/touch.png"><link rel="preload" as="font" href="/f.woff2">
<link rel="alternate" href="/feed.xml"><script src="app.js"></script>
<style>@import "print.css"; .hero { background: url('img/hero.jpg') }</style></head>
<body style="background-image: url(/bg.png)">
<img src="a.png" srcset="a-1x.png 1x, a-2x.png 2x">
<img data-src="lazy.png" data-srcset="lazy-480.png 480w, lazy-960.png 960w">
<picture><source srcset="wide.webp 1200w, wide-small.webp 600w" type="image/webp"><img src="fallback.jpg"></picture>
<video poster="poster.jpg"></video><iframe src="https://embed.example/frame"></iframe>
<a href="/not-a-requisite.html">link</a></body></html>""")
    assert found == {
        "https://news.example/css/a.css": Kind.STYLESHEET, "https://news.example/favicon.ico": Kind.ICON,
        "https://news.example/touch.png": Kind.ICON, "https://news.example/f.woff2": Kind.FONT,
        "https://news.example/2024/app.js": Kind.SCRIPT, "https://news.example/2024/print.css": Kind.STYLESHEET,
        "https://news.example/2024/img/hero.jpg": Kind.IMAGE, "https://news.example/bg.png": Kind.IMAGE,
        "https://news.example/2024/a.png": Kind.IMAGE, "https://news.example/2024/a-1x.png": Kind.IMAGE,
        "https://news.example/2024/a-2x.png": Kind.IMAGE, "https://news.example/2024/lazy.png": Kind.IMAGE,
        "https://news.example/2024/lazy-480.png": Kind.IMAGE, "https://news.example/2024/lazy-960.png": Kind.IMAGE,
        "https://news.example/2024/wide.webp": Kind.IMAGE, "https://news.example/2024/wide-small.webp": Kind.IMAGE,
        "https://news.example/2024/fallback.jpg": Kind.IMAGE, "https://news.example/2024/poster.jpg": Kind.POSTER,
        "https://embed.example/frame": Kind.IFRAME,
    }


def test_base_href_data_urls_fragments_and_repeats():
    found = html_requisites("""<html><head><base href="https://cdn.example/assets/"></head><body>
<img src="x.png#part"><img src="x.png"><img src="data:image/png;base64,AAAA"><img src="javascript:alert(1)">
<img src="about:blank"><img src=""><script src="//other.example/s.js"></script></body></html>""", BASE)
    assert [(item.url, item.kind) for item in found] == [
        ("https://cdn.example/assets/x.png", Kind.IMAGE), ("https://other.example/s.js", Kind.SCRIPT)]


def test_css_imports_fonts_and_images():
    css = """/* url(commented.png) */
@import url("base.css");
@import 'theme.css' screen;
@font-face { font-family: X; src: url(fonts/x.woff2) format("woff2"), url("fonts/x.woff") format("woff"); }
body { background: url( "img/bg.png" ) } .a { cursor: url(cursor.cur), auto } .b { background: url(data:image/png;base64,AA) }
.c { src: url(other.ttf) }"""
    found = [(item.url, item.kind) for item in css_requisites(css, "https://s.example/css/site.css")]
    assert found == [
        ("https://s.example/css/base.css", Kind.STYLESHEET), ("https://s.example/css/theme.css", Kind.STYLESHEET),
        ("https://s.example/css/fonts/x.woff2", Kind.FONT), ("https://s.example/css/fonts/x.woff", Kind.FONT),
        ("https://s.example/css/img/bg.png", Kind.IMAGE), ("https://s.example/css/cursor.cur", Kind.IMAGE),
        ("https://s.example/css/other.ttf", Kind.FONT),
    ]


def test_markup_that_is_no_html_gives_nothing():
    assert html_requisites("", BASE) == []
    assert html_requisites("plain text, no tags", BASE) == []
    assert css_requisites("url(", BASE) == []
