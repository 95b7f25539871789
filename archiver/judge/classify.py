"""A fetch (+ its extracted text, + a random-sibling probe) -> one Observation. Pure: no I/O.

Precedence, first match wins (each step is the stronger evidence for the ones after it; every
"not found or gone" step comes before a page can be called ok, and so before drift is even asked):

1. fetch.failure             - no final response: that observation (dns_error, timeout, redirect_loop ...).
                               A client-side redirect (meta refresh, script) is a hop like a 3xx: the
                               pipeline follows it before classify sees the fetch (pipeline/client_redirects.py).
2. parked (parking host)     - redirected off-domain onto a known parking/aftermarket host, whatever it answered.
3. non-2xx final status      - 403/503 carrying a bot challenge -> blocked; then 404 not_found, 410 gone,
                               429 rate_limited, 401/403/451/999 blocked (451: a legal block for us, not
                               evidence the page is gone), other 4xx (and stray 1xx/3xx) client_error,
                               5xx server_error.
4. blocked (2xx challenge)   - a thin 2xx page that is a bot-challenge interstitial.
5. parked (page)             - a thin 2xx page carrying parking / domain-for-sale markers, or a lapsed-domain
                               phrase (expired / for sale / renew, several languages) backed by a registrar
                               marker or by the same page on a made-up sibling path (judge/parking.py).
6. blocked (login wall)      - redirected onto a login page: the page may well be there, we cannot see it.
7. redirect_to_root          - a non-root URL redirected (by HTTP or client-side) onto the root of its host
                               or registered domain.
8. soft_404 (search)         - a non-root URL redirected onto the site's search page (a search path or query).
9. soft_404 (probe)          - a non-root URL whose random sibling (the probe) also answers 2xx and lands
                               on the same page or reads the same; a not-found phrase in the title or first
                               heading only lowers the bar, it never decides alone. A site root is never soft_404.
                               (The probe and the signals of steps 8 and 9: judge/soft404.py.)
10. redirected               - 2xx at a different URL after >= 1 redirect; permanent iff every hop was 301/308.
11. ok.

Two flags ride on an ok / redirected answer, for the rules that need the baseline (judge/settle.py):
`near_empty` (no main text, or a few words of boilerplate; an empty body) and `not_found_title`.

Marker matches are gated on a thin page (little main text): an article *about* captchas, domain
parking or 404 errors carries the same words, and a verdict must never cry wolf.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from archiver.judge.compare import normalize_text
from archiver.judge.parking import PARKING_HOSTS, lapsed_domain_phrase, page_words, parking_marker, registrar_marker
from archiver.judge.soft404 import (
    TEXT_TYPES,
    Probe,
    near_empty,
    probe_reads_same,
    same_url,
    search_page,
    soft_404_signal,
)
from archiver.models import Extracted, Fetch, Observation
from archiver.urls import is_root, registered_domain

THIN_PAGE_WORDS = 150  # challenge and parking pages carry less main text than this; articles carry more
SCAN_CHARS = 262_144  # markers sit in the head or first screen of a page

# Bot-challenge interstitials, by vendor: markers only the challenge page itself carries.
_CHALLENGE_MARKERS = (
    ("cloudflare", ("cf-chl", "cf_chl", "attention required! | cloudflare")),
    ("datadome", ("captcha-delivery.com",)),  # the challenge iframe's host
    ("perimeterx", ("px-captcha",)),
    ("imperva", ("incapsula incident id",)),
)
_CHALLENGE_TITLES = {"just a moment...": "cloudflare", "just a moment\u2026": "cloudflare",
                     "attention required! | cloudflare": "cloudflare", "pardon our interruption": "imperva/distil"}
_AKAMAI_REFERENCE = re.compile(r"reference\s*(?:&#32;|\s)\s*(?:&#35;|#)\s*[\d.a-f]+")  # "Reference #18.6b2c..."
# Weaker markers count only on a 403/503: protected sites load these scripts on every healthy page too
# (Cloudflare's /cdn-cgi/challenge-platform/ detections, DataDome and PerimeterX tags, Imperva's resource).
_WEAK_CHALLENGE = ("challenge-platform", "datadome", "perimeterx", "_incapsula_resource", "awswafintegration",
                   "captcha", "are you a robot", "verify you are human", "unusual traffic")
_LOGIN_PATH = re.compile(r"/(?:log-?in|sign-?in|sso|auth|session/new)\b")  # where auth walls send visitors

_NOT_FOUND = re.compile(
    r"\b(?:404|not found|page not found|could not be found|can ?not be found|can't be found|does ?n[o']t exist|"
    r"no longer (?:available|exists)|nicht gefunden|existiert nicht|introuvable|n'existe pas|no encontrad[ao]|"
    r"no existe|non trovat[ao]|niet gevonden|não encontrad[ao])\b"
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1", re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Classification:
    observation: Observation
    detail: str
    permanent: bool | None = None  # for redirected: True iff every hop was 301 or 308
    near_empty: bool = False  # ok / redirected, but hardly any text: soft_404 unless its baseline was empty too
    not_found_title: bool = False  # ok / redirected, but its title or heading says "not found"


def classify(fetch: Fetch, extracted: Extracted | None, probe: Probe | None = None) -> Classification:
    if fetch.failure is not None:
        return Classification(fetch.failure, fetch.failure_detail or str(fetch.failure))
    final = fetch.final
    if final is None:
        return Classification(Observation.CONNECTION_ERROR, "no response")
    status, final_url = final.status, final.url
    redirects = len(fetch.exchanges) - 1
    parking_host = _registered(final_url) if redirects else ""
    if parking_host in PARKING_HOSTS and parking_host != _registered(fetch.url):
        return Classification(Observation.PARKED, f"redirected to parking host {parking_host}")
    # Markers are ASCII, so any ASCII-compatible charset reads the same as UTF-8 here.
    html_page = final.content_type in TEXT_TYPES
    page = final.body.decoded[:SCAN_CHARS].decode("utf-8", "replace").lower() if html_page else ""
    thin = len(normalize_text(extracted.text if extracted else "").split()) < THIN_PAGE_WORDS
    if not 200 <= status < 300:
        vendor = _challenge(page, weak=True) if status in (403, 503) else None
        if vendor:
            return Classification(Observation.BLOCKED, f"bot challenge ({vendor}) with HTTP {status}")
        legal = " (unavailable for legal reasons: blocked for us, not gone)" if status == 451 else ""
        return Classification(_status_observation(status), f"HTTP {status}{legal}")
    vendor = _challenge(page, weak=False) if thin else None
    if vendor:
        return Classification(Observation.BLOCKED, f"bot challenge ({vendor}) with HTTP {status}")
    parked = _parked(fetch, extracted, probe, page) if thin else None
    if parked:
        return Classification(Observation.PARKED, parked)
    moved = redirects > 0 and not same_url(final_url, fetch.url)
    if moved and _login_path(final_url) and not _login_path(fetch.url):
        return Classification(Observation.BLOCKED, f"redirected to a login page {final_url}")  # an auth wall, not rot
    if moved and not is_root(fetch.url) and is_root(final_url) and _registered(final_url) == _registered(fetch.url):
        return Classification(Observation.REDIRECT_TO_ROOT, f"redirected to site root {final_url}")
    if moved and not is_root(fetch.url) and search_page(final_url) and not search_page(fetch.url):
        return Classification(Observation.SOFT_404, f"redirected to the site's search page {final_url}")
    phrase = _not_found_phrase(page, extracted)
    if probe is not None and not is_root(fetch.url):
        signal = soft_404_signal(fetch, extracted, probe, phrase)
        if signal:
            return Classification(Observation.SOFT_404, signal)
    flags = {"near_empty": not is_root(fetch.url) and near_empty(final, extracted), "not_found_title": phrase}
    if moved:
        permanent = all(hop.status in (301, 308) for hop in fetch.exchanges[:-1])
        kind = "permanently" if permanent else "temporarily"
        return Classification(Observation.REDIRECTED, f"{kind} redirected to {final_url}", permanent, **flags)
    return Classification(Observation.OK, f"HTTP {status}", **flags)


def _status_observation(status: int) -> Observation:
    if status == 404:
        return Observation.NOT_FOUND
    if status == 410:
        return Observation.GONE
    if status == 429:
        return Observation.RATE_LIMITED
    if status in (401, 403, 451, 999):  # 999: LinkedIn's answer to crawlers; 451: a legal block where we are
        return Observation.BLOCKED
    if 500 <= status < 600:
        return Observation.SERVER_ERROR
    return Observation.CLIENT_ERROR  # other 4xx, and a 1xx/3xx the fetcher could not follow


def _challenge(page: str, *, weak: bool) -> str | None:
    """The vendor whose bot challenge `page` is, or None. Weak markers ('captcha') count only on 403/503."""
    title = _first_text(_TITLE, page)
    if title in _CHALLENGE_TITLES:
        return _CHALLENGE_TITLES[title]
    for vendor, markers in _CHALLENGE_MARKERS:
        if any(marker in page for marker in markers):
            return vendor
    if "access denied" in page and _AKAMAI_REFERENCE.search(page):
        return "akamai"
    if weak and any(marker in page for marker in _WEAK_CHALLENGE):
        return "captcha"
    return None


def _parked(fetch: Fetch, extracted: Extracted | None, probe: Probe | None, page: str) -> str | None:
    """Why this thin 2xx page is a parked, expired or for-sale domain's page, or None (see judge/parking.py)."""
    marker = parking_marker(page)
    if marker:
        return f"parking page ({marker})"
    own = f"{extracted.title or ''} {extracted.text}" if extracted else ""
    lapsed = lapsed_domain_phrase(own) or lapsed_domain_phrase(page_words(page))
    if not lapsed:
        return None
    registrar = registrar_marker(page) or registrar_marker(own)
    if registrar:
        return f"lapsed-domain page ('{lapsed}', registrar: {registrar})"
    if probe is not None and not is_root(fetch.url) and probe_reads_same(fetch, extracted, probe):
        return f"lapsed-domain page ('{lapsed}') served for a made-up sibling too"
    return None


def _not_found_phrase(page: str, extracted: Extracted | None) -> bool:
    """A not-found phrase in the title or first heading (never the body: articles quote such phrases)."""
    texts = [_first_text(_TITLE, page), _first_text(_H1, page), (extracted.title or "").lower() if extracted else ""]
    return any(_NOT_FOUND.search(text.replace("\u2019", "'")) for text in texts if text)


def _first_text(pattern: re.Pattern[str], page: str) -> str:
    found = pattern.search(page)
    return " ".join(html.unescape(_TAG.sub(" ", found.group(1))).split()) if found else ""


def _login_path(url: str) -> bool:
    return bool(_LOGIN_PATH.search(urlsplit(url).path.lower()))


def _registered(url: str) -> str:
    return registered_domain(urlsplit(url).hostname or "")
