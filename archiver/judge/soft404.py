"""Is this 2xx page what the site serves for any URL? The soft-404 signals, and the random-sibling probe. Pure: no I/O.

* `soft_404_signal`: a made-up sibling of the link (the probe, fetched by the pipeline) answers 2xx and
  lands on the same page or reads the same; a not-found title lowers the bar, it never decides alone.
* `probe_reads_same`: the lower bar a lapsed-domain page needs (judge/parking.py): one page on every path.
* `search_page`: a URL that is a site search (a search path segment, or a search query key with a value).
* `near_empty`: a page with no main text to speak of; judge/settle.py decides it against the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from archiver.judge.compare import normalize_text, similarity
from archiver.models import Exchange, Extracted, Fetch
from archiver.urls import normalize_url

SOFT_404_SIMILARITY = 0.95  # probe and page read the same: a template, not an article
SOFT_404_SUPPORTED_SIMILARITY = 0.80  # ... when the page also calls itself "not found"
SAME_PARKED_PAGE_SIMILARITY = 0.80  # a lapsed-domain page and its made-up sibling: one page for every path
NEAR_EMPTY_WORDS = 12  # fewer main-text words than this: nothing, "Loading...", or a menu and a footer
MIN_WORDS_FOR_TEXT_MATCH = 20  # fewer words ("Loading...", an app shell) match every URL of a site: no evidence
TEXT_TYPES = ("", "text/html", "application/xhtml+xml", "text/plain")  # bodies read as pages
# Where a site sends a search: a path segment or a query key. A redirect there from an article is a soft 404.
_SEARCH_SEGMENTS = frozenset({"search", "suche", "recherche", "buscar", "busca", "ricerca", "zoeken", "szukaj",
                              "sok", "haku", "search.php", "search.html", "search.aspx", "search.jsp", "results"})
_SEARCH_KEYS = frozenset({"q", "s", "query", "search", "searchterm", "search_query", "keyword", "keywords",
                          "term", "terms", "suche", "recherche", "busqueda", "text", "wd"})


@dataclass(frozen=True)
class Probe:
    """What fetching a random sibling of the link found (the pipeline does the fetch)."""

    url: str
    final_url: str
    redirects: int
    status: int | None
    text: str  # extracted main text, '' if none


def probe_url_for(url: str, token: str) -> str:
    """A sibling of `url` that should not exist: its parent path + `token` (trailing slash mirrored), no query."""
    if not token.isascii() or not token.isalnum():
        raise ValueError(f"probe token must be ASCII letters or digits, got {token!r}")
    parts = urlsplit(url)
    path = parts.path or "/"
    parent = path.rstrip("/").rpartition("/")[0] + "/"  # /a/b/c.html -> /a/b/ ; /a/b/ -> /a/ ; / -> /
    suffix = "/" if path.endswith("/") and path != "/" else ""
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parent + token + suffix, "", ""))


def probe_reads_same(fetch: Fetch, extracted: Extracted | None, probe: Probe) -> bool:
    """The made-up sibling answered 2xx with the same page: the host serves one page for every path."""
    if probe.status is None or not 200 <= probe.status < 300:
        return False
    if same_url(probe.final_url, fetch.final_url) and probe.redirects >= 1:
        return True
    mine = _without_url_words(extracted.text if extracted else "", fetch.url, probe.url)
    theirs = _without_url_words(probe.text, probe.url, fetch.url)
    return bool(mine and theirs) and similarity(mine, theirs) >= SAME_PARKED_PAGE_SIMILARITY


def near_empty(final: Exchange, extracted: Extracted | None) -> bool:
    """No body, or an HTML page whose main text is a few words at most (a menu and a footer, "Loading...")."""
    if final.body.truncated is not None:
        return False
    if final.body.length == 0:
        return True
    if extracted is None or final.content_type not in TEXT_TYPES:
        return False  # a PDF, an image: no text was ever expected
    return len(normalize_text(extracted.text).split()) < NEAR_EMPTY_WORDS


def search_page(url: str) -> bool:
    """A site search URL: a search path segment, or a search query key with a value."""
    parts = urlsplit(url)
    if any(segment in _SEARCH_SEGMENTS for segment in parts.path.lower().split("/")):
        return True
    return any(key.lower() in _SEARCH_KEYS and value.strip() for key, value in parse_qsl(parts.query))


def soft_404_signal(fetch: Fetch, extracted: Extracted | None, probe: Probe, phrase: bool) -> str | None:
    """Why the page looks like what the site serves for any missing URL, or None."""
    if probe.status is None or not 200 <= probe.status < 300:
        return None  # the site answers a made-up URL honestly: its 2xx pages are real
    redirects = len(fetch.exchanges) - 1
    same_landing = same_url(probe.final_url, fetch.final_url) and probe.redirects >= 1
    if same_landing and (probe.redirects == redirects or phrase):
        return f"a made-up sibling lands on the same page ({fetch.final_url})"
    # Words of each URL (an echoed path, the probe's token) would make identical templates differ.
    mine = _without_url_words(extracted.text if extracted else "", fetch.url, probe.url)
    theirs = _without_url_words(probe.text, probe.url, fetch.url)
    if not mine or not theirs:
        return None
    score = similarity(mine, theirs)
    if phrase and score >= SOFT_404_SUPPORTED_SIMILARITY:
        return f"not-found title and a made-up sibling reads the same (similarity {score:.2f})"
    if score >= SOFT_404_SIMILARITY and len(mine.split()) >= MIN_WORDS_FOR_TEXT_MATCH:
        return f"a made-up sibling reads the same (similarity {score:.2f})"
    return None


def _without_url_words(text: str, own_url: str, other_url: str) -> str:
    own, other = (set(normalize_text(urlsplit(url).path).split()) for url in (own_url, other_url))
    return " ".join(word for word in normalize_text(text).split() if word not in own - other)


def same_url(a: str, b: str) -> bool:
    try:
        return normalize_url(a) == normalize_url(b)
    except ValueError:
        return a == b
