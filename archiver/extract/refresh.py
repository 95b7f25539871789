"""Client-side redirects: a page that sends its reader elsewhere at once, without an HTTP redirect.

Two forms are followed, as a browser would follow them:

* `<meta http-equiv="refresh" content="N; url=...">` with N at most MAX_DELAY_SECONDS, outside
  <noscript> (a browser running scripts ignores what is inside it);
* an inline script assigning the location (`location = ...`, `location.href = ...`,
  `window.location.replace(...)`, `document.location.assign(...)`) with a literal URL, run at once
  or from a setTimeout of at most MAX_DELAY_SECONDS; only on a page with hardly any visible text,
  since real pages carry such statements in click handlers and menus that never run on their own.

A refresh without a URL, or to the page itself, is a reload, not a redirect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from archiver.extract.charset import decode_html
from archiver.extract.core import MAX_HTML_BYTES, parse_html
from archiver.extract.meta import document_base

MAX_DELAY_SECONDS = 5.0  # longer, and the reader has read the page: a slideshow or a news ticker reloading
SCRIPT_PAGE_MAX_WORDS = 40  # "Loading...", "You are being redirected": a real page says more than this
_VISIBLE_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript "
                             "or ancestor::template)]")
_REFRESH = re.compile(r"^\s*(\d+(?:\.\d*)?)?\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$", re.IGNORECASE | re.DOTALL)
_QUICK_CHECK = re.compile(rb"refresh|location", re.IGNORECASE)
_LOCATION = re.compile(
    r"(?<![\w$.])(?:(?:window|document|top|self|parent)\s*\.\s*)?location\s*"
    r"(?:(?:\.\s*href\s*)?=\s*(?P<q1>[\"'`])(?P<assigned>[^\"'`\s]*)(?P=q1)"  # location = '...', location.href = '...'
    r"|\.\s*(?P<call>replace|assign)\s*\(\s*(?P<q2>[\"'`])(?P<called>[^\"'`\s]*)(?P=q2)\s*\))"  # .replace('...')
)
_SET_TIMEOUT = re.compile(r"setTimeout\s*\(")
# The head of a function body ("function name(args)", "(args) =>"), and what, just before it, makes the function
# run without the reader: called at once (an IIFE), a timer, jQuery's ready, the load event. Anything else
# (a click handler, a named function) may never run.
_FUNCTION_HEAD = re.compile(r"(?:\bfunction\b[^{;]*|(?:\([^()]*\)|[\w$]+)\s*=>\s*)$")
_RUNS_NOW = re.compile(
    r"(?:(?:^|[^\w$.\])\s])\s*\(|[!+~]|\bvoid|(?:setTimeout|requestAnimationFrame)\s*\(|(?:^|[^\w.])(?:\$|jQuery)\s*\("
    r"|\.ready\s*\(|\b(?:onload|onpageshow)\s*=|[\"'](?:load|DOMContentLoaded|pageshow)[\"']\s*,)\s*$")
_TIMEOUT_DELAY = re.compile(r"[)}]\s*,\s*(\d+)\s*\)")


@dataclass(frozen=True)
class ClientRedirect:
    """Where a page sends its reader, and how."""

    target: str  # absolute URL
    via: str  # "meta refresh", "script location.replace()", ...
    delay: float  # seconds


def client_redirect(html: bytes, url: str, charset: str | None = None) -> ClientRedirect | None:
    """The client-side redirect a browser would follow at once on this page (fetched from `url`), or None."""
    if not _QUICK_CHECK.search(html[:MAX_HTML_BYTES]):
        return None  # most pages: no parse needed
    dom = parse_html(decode_html(html[:MAX_HTML_BYTES], charset))
    if dom is None:
        return None
    base = document_base(dom, url)
    found = _meta_refresh(dom, base) or _script_redirect(dom, base)
    if found is None or not _leaves(found.target, url):
        return None
    return found


def _meta_refresh(dom, base: str) -> ClientRedirect | None:
    for meta in dom.iter("meta"):
        if (meta.get("http-equiv") or "").strip().lower() != "refresh" or next(meta.iterancestors("noscript"), None) is not None:
            continue
        parsed = _REFRESH.match(meta.get("content") or "")
        if parsed is None or not parsed.group(2):
            continue  # "300": reload this page in five minutes
        delay = float(parsed.group(1) or 0)
        target = parsed.group(2).strip().strip("'\"").strip()
        if target and delay <= MAX_DELAY_SECONDS:
            return ClientRedirect(urljoin(base, target), "meta refresh", delay)
    return None


def _script_redirect(dom, base: str) -> ClientRedirect | None:
    scripts = [script.text or "" for script in dom.iter("script")
               if not script.get("src") and "json" not in (script.get("type") or "").lower()]
    if not any(_LOCATION.search(text) for text in scripts) or _visible_words(dom) > SCRIPT_PAGE_MAX_WORDS:
        return None
    for text in scripts:
        for found in _LOCATION.finditer(text):
            if not _runs_on_load(text, found.start()):
                continue  # inside a click handler or a function nobody may call
            delay = _timeout_delay(text, found.start(), found.end())
            target = found.group("assigned") if found.group("call") is None else found.group("called")
            if delay <= MAX_DELAY_SECONDS and target:
                form = f"location.{found.group('call')}()" if found.group("call") else "location assignment"
                return ClientRedirect(urljoin(base, target), f"script {form}", delay)
    return None


def _runs_on_load(script: str, start: int) -> bool:
    """Whether the statement at `start` runs as the page loads: at top level, in a plain block, or in a function
    that runs at once (an IIFE), on a timer or on the load event; not in a handler or a named function."""
    depth = 0
    for index in range(start - 1, -1, -1):
        char = script[index]
        if char == "}":
            depth += 1
        elif char == "{" and depth:
            depth -= 1
        elif char == "{":
            head = script[max(0, index - 120):index]
            function = _FUNCTION_HEAD.search(head)
            if function is not None and not _RUNS_NOW.search(head[:function.start()]):
                return False
    return True


def _timeout_delay(script: str, start: int, end: int) -> float:
    """Seconds until the statement at script[start:end] runs: 0, or the delay of the setTimeout it sits in."""
    timer = None
    for timer in _SET_TIMEOUT.finditer(script, 0, start):
        pass
    if timer is None:
        return 0.0
    delay = _TIMEOUT_DELAY.search(script, end)
    return int(delay.group(1)) / 1000 if delay else 0.0


def _visible_words(dom) -> int:
    """Words a reader sees in the body, counted up to just past SCRIPT_PAGE_MAX_WORDS."""
    words = 0
    for text in _VISIBLE_TEXT(dom):
        words += len(text.split())
        if words > SCRIPT_PAGE_MAX_WORDS:
            break
    return words


def _leaves(target: str, url: str) -> bool:
    """A fetchable URL other than the page itself (a refresh to itself is a reload)."""
    parts = urlsplit(target)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    return urldefrag(target).url != urldefrag(url).url
