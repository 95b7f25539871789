"""Import pages from mozilla/readability's test/test-pages into this corpus, with draft labels.

Run once by hand (not a test): python tests/extract/corpus/import_readability.py READABILITY_CHECKOUT NAME...
It writes pages/NAME.html.gz (the page's source.html with the bodies of <script> (all but JSON-LD), <style>
and <svg> elements emptied, to keep the corpus small; none of them holds article text, a link or a date
we label) and a draft labels/NAME.json: the page URL (its canonical or og:url, else readability's fakehost),
the title from expected-metadata.json, candidate dates from the markup, and the body links of expected.html
mapped back to the page URL, each with its text or its image's alt text; then it applies the hand checks
of hand_checks.py (links outside the article proper dropped, titles without the site's name, the
publication day read off the page).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
from hand_checks import ADDED_LINKS, DROPPED_LINKS, PUBLISHED, TITLES, dropped

HERE = Path(__file__).parent
_FILE_NAME = re.compile(r"^[\w.()\- ]+\.(?:jpe?g|png|gif|webp|svg|bmp|tiff?)$", re.IGNORECASE)
FAKEHOST = "http://fakehost/test/page.html"  # the URL readability's tests extract every page at
# An element's body up to its own end tag, never across another opening of the same element.
_STRIPPED = re.compile(rb"(<(script|style|svg)\b[^>]*>)((?:(?!<\2\b).)*?)(</\2\s*>)", re.IGNORECASE | re.DOTALL)


def _slim(source: bytes, keep: bytes | None = None) -> bytes:
    """`source` with script, style and svg bodies emptied, but JSON-LD and any script body holding `keep`."""
    def empty(match: re.Match) -> bytes:
        if b"ld+json" in match.group(1).lower():
            return match.group(0)
        if keep and match.group(2).lower() == b"script" and keep in match.group(3):
            return match.group(0)  # the date trap the page is in the corpus for (import_other.py)
        return match.group(1) + match.group(4)
    return _STRIPPED.sub(empty, source)


def _page_url(dom) -> str:
    for link in dom.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").startswith("http"):
            return link.get("href").strip()
    for meta in dom.iter("meta"):
        if (meta.get("property") or meta.get("name")) == "og:url" and (meta.get("content") or "").startswith("http"):
            return meta.get("content").strip()
    return FAKEHOST


def _base(dom, url: str) -> str:
    for base in dom.iter("base"):
        if (base.get("href") or "").strip():
            return urljoin(url, base.get("href").strip())
    return url


def _date_candidates(dom, url: str) -> list[str]:
    found = []
    for meta in dom.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if "date" in key or "time" in key:
            found.append(f"meta {key}={meta.get('content')}")
    for script in dom.iter("script"):
        if "ld+json" in (script.get("type") or ""):
            found += [f"ld {m}" for m in re.findall(r'"date(?:Published|Modified|Created)"\s*:\s*"[^"]*"',
                                                      script.text or "")]
    found += [f"time {t.get('datetime')} {' '.join(t.text_content().split())[:40]}" for t in dom.iter("time")]
    if re.search(r"/(19|20)\d\d/\d\d/", url):
        found.append("url " + url)
    return found


def import_page(checkout: Path, name: str) -> None:
    folder = checkout / "test" / "test-pages" / name
    source = (folder / "source.html").read_bytes()
    dom = lxml.html.document_fromstring(source)
    url = _page_url(dom)
    fake_base, real_base = _base(dom, FAKEHOST), _base(dom, url)
    back = {}  # readability's resolution of each href -> ours
    for anchor in dom.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href:
            back.setdefault(urljoin(fake_base, href), urljoin(real_base, href))
    expected = lxml.html.fragment_fromstring((folder / "expected.html").read_text("utf-8"), create_parent="div")
    links = []
    for anchor in expected.iter("a"):
        href = (anchor.get("href") or "").strip()
        resolved = back.get(href, href).split("#", 1)[0]
        if resolved.startswith("http://fakehost/test/") and not url.startswith("http://fakehost/"):
            resolved = urljoin(real_base, resolved[len("http://fakehost/test/"):])  # an href readability escaped
        if not resolved.startswith(("http://", "https://")) or resolved == url.split("#", 1)[0]:
            continue
        text = " ".join(anchor.text_content().split())
        text = text or next((" ".join(img.get("alt").split()) for img in anchor.iter("img") if img.get("alt")), "")
        if _FILE_NAME.match(text):  # an alt text that is the image's file name is no text either
            text = ""
        if text and not dropped(name, resolved, text):  # no text and no alt: no reference
            links.append({"url": resolved, "text": text})
    links += [{"url": added, "text": text} for added, text, _why in ADDED_LINKS.get(name, ())]
    metadata = json.loads((folder / "expected-metadata.json").read_text("utf-8"))
    labels = {
        "source": f"mozilla/readability test/test-pages/{name}", "licence": "Apache-2.0", "url": url,
        "titles": TITLES.get(name) or [metadata.get("title")], "published": PUBLISHED[name],
        "dropped_by_hand": [f"{needle}: {why}" for needle, why in DROPPED_LINKS.get(name, ())],
        "added_by_hand": [f"{added}: {why}" for added, _text, why in ADDED_LINKS.get(name, ())],
        "date_candidates": _date_candidates(dom, url), "links": links,
    }
    (HERE / "pages").mkdir(exist_ok=True)
    (HERE / "labels").mkdir(exist_ok=True)
    (HERE / "pages" / f"{name}.html.gz").write_bytes(gzip.compress(_slim(source), mtime=0))
    (HERE / "labels" / f"{name}.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    for page_name in sys.argv[2:]:
        import_page(Path(sys.argv[1]), page_name)
