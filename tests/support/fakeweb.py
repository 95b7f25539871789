"""A small loopback web for end-to-end tests: one news site and reference sites on other 127.x addresses.

The article page looks like a real news page (navigation, cookie banner, share
buttons, an ad, a related-articles widget, a footer) with ten references in its
body, each a different case: HTML, a permanent redirect, a PDF, an image, a 404,
a gzip-encoded page, a chunked page, a refused port, a name that cannot
resolve, and a mailto link.
"""

from __future__ import annotations

import gzip
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from support.loopback import LoopbackServer, Reply, closed_port

HTML = (("Content-Type", "text/html; charset=utf-8"),)


def reference_page(title: str, paragraphs: int = 4) -> bytes:
    body = "".join(
        f"<p>{title} paragraph {n}: evidence and figures that readers of the article can check for themselves.</p>"
        for n in range(paragraphs)
    )
    return f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>".encode()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 20_000
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64


@dataclass
class FakeWeb:
    news: LoopbackServer
    refs_a: LoopbackServer
    refs_b: LoopbackServer
    refs_c: LoopbackServer
    refused_url: str
    article_url: str = ""
    reference_urls: list[str] = field(default_factory=list)
    navigation_urls: list[str] = field(default_factory=list)

    @property
    def servers(self) -> list[LoopbackServer]:
        return [self.news, self.refs_a, self.refs_b, self.refs_c]


def article_page(web: FakeWeb) -> bytes:
    a, b, c = web.refs_a, web.refs_b, web.refs_c
    refs = [
        (a.url("/studies/ok.html"), "a study"),
        (a.url("/old/location"), "the ministry said"),
        (b.url("/files/report.pdf"), "the full report"),
        (b.url("/img/chart.png"), "a chart"),
        (b.url("/gone/missing.html"), "an earlier statement"),
        (c.url("/compressed.html"), "an interview"),
        (c.url("/chunked.html"), "court records"),
        (web.refused_url, "a mirror"),
        ("http://unreachable.invalid/page", "a defunct blog"),
        ("mailto:tips@news.test", "email us"),
    ]
    web.reference_urls = [url for url, _ in refs]
    nav = [a.url("/nav/section-world"), a.url("/nav/section-business"), b.url("/share?u=1"),
           c.url("/related/other-story"), c.url("/footer/privacy"), a.url("/ads/click?id=7")]
    web.navigation_urls = nav
    paragraphs = []
    for n, (url, text) in enumerate(refs):
        paragraphs.append(
            f"<p>Paragraph {n} of the story explains the matter in some detail, and according to "
            f"<a href=\"{url}\">{text}</a> the situation changed considerably over the last year, "
            f"which officials have confirmed in several public statements since then.</p>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Builders to help with reconstruction, ambassador says</title>
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2022-07-19T10:00:00Z">
<link rel="canonical" href="{web.news.url('/2022/07/19/builders-a1')}">
</head><body>
<div class="cookie-banner">We use cookies to improve your experience. <a href="{nav[4]}">Privacy</a></div>
<header><nav><a href="{nav[0]}">World</a> <a href="{nav[1]}">Business</a></nav></header>
<main><article>
<h1>Builders to help with reconstruction, ambassador says</h1>
<p class="byline">By Jane Reporter</p>
<div class="share"><a href="{nav[2]}">Share on social</a></div>
{''.join(paragraphs)}
<div class="ad"><a href="{nav[5]}">Advertisement: buy now</a></div>
</article>
<aside class="related"><h2>Related articles</h2><ul><li><a href="{nav[3]}">Another story entirely</a></li></ul></aside>
</main>
<footer><a href="{nav[4]}">Privacy policy</a> <a href="{nav[0]}">World</a></footer>
</body></html>""".encode()


def serve_fakeweb(stack: ExitStack) -> FakeWeb:
    """Start the sites on 127.0.0.1-4; they stop when `stack` closes."""
    news = stack.enter_context(LoopbackServer(host="127.0.0.1"))
    refs_a = stack.enter_context(LoopbackServer(host="127.0.0.2"))
    refs_b = stack.enter_context(LoopbackServer(host="127.0.0.3"))
    refs_c = stack.enter_context(LoopbackServer(host="127.0.0.4"))
    web = FakeWeb(news, refs_a, refs_b, refs_c, refused_url=f"http://127.0.0.1:{stack.enter_context(closed_port())}/mirror")
    web.article_url = news.url("/2022/07/19/builders-a1")
    news.routes["/2022/07/19/builders-a1"] = Reply(headers=HTML, body=article_page(web))
    refs_a.routes["/studies/ok.html"] = Reply(headers=HTML, body=reference_page("A study"))
    refs_a.routes["/old/location"] = Reply(status=301, headers=(("Location", "/new/location.html"),))
    refs_a.routes["/new/location.html"] = Reply(headers=HTML, body=reference_page("Ministry statement"))
    refs_b.routes["/files/report.pdf"] = Reply(headers=(("Content-Type", "application/pdf"),), body=PDF)
    refs_b.routes["/img/chart.png"] = Reply(headers=(("Content-Type", "image/png"),), body=PNG)
    refs_b.routes["/gone/missing.html"] = Reply(status=404, headers=HTML, body=b"<h1>Not found</h1>")
    refs_c.routes["/compressed.html"] = Reply(
        headers=HTML + (("Content-Encoding", "gzip"),), body=gzip.compress(reference_page("Interview", 40))
    )
    refs_c.routes["/chunked.html"] = Reply(headers=HTML, body=[reference_page("Court records")[:100], reference_page("Court records")[100:]], chunked=True)
    return web


def write_run_config(folder: Path, article_url: str) -> Path:
    """A config in `folder` whose [sources] list only `article_url` and whose data dir is folder/archives."""
    (folder / "articles.txt").write_text(f"{article_url}\n")
    config = folder / "archiver.toml"
    config.write_text(f'[storage]\ndata_dir = "{folder / "archives"}"\n[sources]\narticles = ["articles.txt"]\n')
    return config
