"""A loopback site whose articles need their requisites to look like themselves.

Every kind the pipeline reads: an external stylesheet with an @import, a CSS background image and a web
font (@font-face), a <style> url(), srcset, <picture><source>, a lazy image (data-src swapped in by a
script), an icon, a video poster and an iframe with a stylesheet of its own. /js-article.html has its
body written by JavaScript (browser capture). Every file carries an ETag and answers 304 to it, so a
second run shows what conditional requests save. Images are solid-colour PNGs made here.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from hashlib import sha1

from support.loopback import LoopbackServer, Reply, Seen

# path -> (content type, body); the kind each one is to the page, for the CDXJ assertions
REQUISITE_KINDS = {
    "/css/site.css": "stylesheet", "/css/base.css": "stylesheet (@import)", "/img/banner.png": "css background",
    "/fonts/site.woff2": "font", "/img/note.png": "style url()", "/img/logo.png": "img",
    "/img/photo-1x.png": "srcset", "/img/photo-2x.png": "srcset", "/img/wide.png": "picture source",
    "/img/narrow.png": "picture img", "/img/lazy.png": "lazy data-src", "/favicon.png": "icon",
    "/js/lazy.js": "script", "/img/poster.png": "video poster", "/frame.html": "iframe",
    "/css/frame.css": "iframe stylesheet",
}
SHARED = ("/css/site.css", "/css/base.css", "/img/banner.png", "/fonts/site.woff2", "/img/logo.png", "/favicon.png",
          "/js/lazy.js")

_PARAGRAPH = ("The harbour board met on Tuesday to settle the dredging contract, and the minutes show a long "
              "argument about the cost of moving silt from the northern channel to the reclamation site. ")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour 8-bit RGB PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")


def _article(title: str, extra: str = "") -> bytes:
    paragraphs = "".join(f"<p>{_PARAGRAPH * 3}</p>" for _ in range(3))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/css/site.css"><link rel="icon" href="/favicon.png">
<style>.note {{ background: url(/img/note.png) repeat-x; height: 30px; margin: 8px 0; }}</style>
<script src="/js/lazy.js" defer></script></head>
<body><header class="banner"><img src="/img/logo.png" alt="" width="160" height="48"></header>
<main><article><h1>{title}</h1>{paragraphs}
<p>The board cited <a href="/minutes.html">the published minutes</a>.</p>
<div class="note"></div>
<img srcset="/img/photo-1x.png 1x, /img/photo-2x.png 2x" src="/img/photo-1x.png" width="240" height="80" alt="">
<picture><source srcset="/img/wide.png" media="(min-width: 600px)"><img src="/img/narrow.png" width="240" height="60" alt=""></picture>
<img class="lazy" data-src="/img/lazy.png" width="240" height="60" alt="">
<video poster="/img/poster.png" width="240" height="80"></video>
<iframe src="/frame.html" width="320" height="60"></iframe>{extra}
</article></main></body></html>""".encode()


FILES: dict[str, tuple[str, bytes]] = {
    "/article.html": ("text/html; charset=utf-8", _article("Harbour board settles dredging contract")),
    "/second.html": ("text/html; charset=utf-8", _article("Harbour board names new chair")),
    "/minutes.html": ("text/html; charset=utf-8",
                      b'<html><body><p>Minutes.</p><img src="/img/minutes.png" alt=""></body></html>'),
    "/img/minutes.png": ("image/png", png(16, 16, (0, 0, 0))),
    "/js-article.html": ("text/html; charset=utf-8", b"""<!doctype html><html><head><meta charset="utf-8">
<title>Written by script</title><link rel="stylesheet" href="/css/site.css"></head><body><main id="main"></main>
<script>document.getElementById("main").innerHTML = "<h1>Written by script</h1><p>" +
  "This article body was written by JavaScript after the page loaded. ".repeat(12) +
  "</p><img src='/img/scripted.png' width='240' height='60'>";
fetch("/api/data.json").then(r => r.json()).then(d => { document.title = d.title; });</script></body></html>"""),
    "/api/data.json": ("application/json", b'{"title": "Written by script"}'),
    "/css/site.css": ("text/css", b"""@import url("/css/base.css");
@font-face { font-family: "Site"; src: url(/fonts/site.woff2) format("woff2"); }
body { margin: 0; background: #f4efe6 url(/img/banner.png) repeat-x; font-family: "Site", sans-serif; }
.banner { height: 64px; padding: 8px 24px; }
main { margin: 0 24px; padding: 16px; background: #fffdf8; border: 3px solid #1f4e7a; }
img, video, iframe { display: block; margin: 6px 0; }
"""),
    "/css/base.css": ("text/css", b"h1 { color: #7a1f1f; border-bottom: 6px solid #d9a400; } p { color: #203040; }\n"),
    "/css/frame.css": ("text/css", b"body { background: #2e7d32; color: #ffffff; margin: 0; }\n"),
    "/frame.html": ("text/html; charset=utf-8",
                    b'<html><head><link rel="stylesheet" href="/css/frame.css"></head><body>framed'
                    b'<iframe src="/nested.html" width="1" height="1" style="border:0"></iframe></body></html>'),
    "/nested.html": ("text/html; charset=utf-8", b"<html><body>an iframe inside the iframe: not followed</body></html>"),
    "/js/lazy.js": ("application/javascript",
                    b"document.querySelectorAll('img[data-src]').forEach(function (i) { i.src = i.dataset.src; });\n"),
    "/fonts/site.woff2": ("font/woff2", b"wOF2-not-a-real-font-the-browser-falls-back"),
    "/img/banner.png": ("image/png", png(8, 64, (31, 78, 122))),
    "/img/note.png": ("image/png", png(8, 30, (217, 164, 0))),
    "/img/logo.png": ("image/png", png(160, 48, (122, 31, 31))),
    "/img/photo-1x.png": ("image/png", png(240, 80, (46, 125, 50))),
    "/img/photo-2x.png": ("image/png", png(480, 160, (46, 125, 50))),
    "/img/wide.png": ("image/png", png(240, 60, (106, 27, 154))),
    "/img/narrow.png": ("image/png", png(240, 60, (0, 0, 0))),
    "/img/lazy.png": ("image/png", png(240, 60, (230, 81, 0))),
    "/img/poster.png": ("image/png", png(240, 80, (0, 131, 143))),
    "/img/scripted.png": ("image/png", png(240, 60, (173, 20, 87))),
    "/favicon.png": ("image/png", png(16, 16, (122, 31, 31))),
}


class StyledSite(LoopbackServer):
    """The site on a loopback port; `fetched` counts the full (200) answers per path, `not_modified` the 304s."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        for path in FILES:
            self.routes[path] = self._answer

    def _answer(self, seen: Seen) -> Reply:
        path = seen.path.split("?")[0]
        content_type, body = FILES[path]
        etag = f'"{sha1(body).hexdigest()[:16]}"'
        if {k.lower(): v for k, v in seen.headers}.get("if-none-match") == etag:
            self.not_modified[path] += 1
            return Reply(304, headers=[("ETag", etag)])
        self.fetched[path] += 1
        return Reply(200, headers=[("Content-Type", content_type), ("ETag", etag)], body=body)
