"""Rules on single links: which are never references, and what a link's anchor text is.

Learned on the labelled corpus (tests/extract/corpus/): the false references trafilatura's main text
lets through are affiliate redirectors, the site's own tag, author and newsletter pages, its home page,
"Read more:" / "Lire aussi :" lines inside the body, and image links with nothing to say.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from archiver.extract.normalize import squash
from archiver.urls import registered_domain

# Hosts whose links only redirect to a shop through an affiliate programme; the shop is the reference,
# the redirector's URL is no citation (and dies with the programme).
_AFFILIATE_HOSTS = frozenset({
    "go.redirectingat.com", "go.skimresources.com", "click.linksynergy.com", "redirect.viglink.com",
    "shareasale.com", "www.shareasale.com", "fave.co", "howl.me", "go.magik.ly", "amzn.to",
    "www.anrdoezrs.net", "www.dpbolvw.net", "www.jdoqocy.com", "www.kqzyfj.com", "www.tkqlhce.com",
    "click.cj.com", "prf.hn", "pntra.com", "pjtra.com", "goto.target.com", "goto.walmart.com",
    "affiliate.rakuten.com", "linksynergy.walmart.com", "shop-links.co", "geni.us", "www.awin1.com", "awin1.com",
})
_AD_HOSTS = ("teads.tv", "doubleclick.net", "googleadservices.com", "googlesyndication.com", "outbrain.com",
             "taboola.com")
# The site's own listing pages: who wrote it (/author/x, /by/x, /@x), what it is filed under, where to subscribe,
# its voucher-code pages (the Telegraph's "View the latest Argos and Amazon deals" under a buying guide).
_SITE_LISTING = re.compile(r"/(?:(?:tags?|authors?|auteurs?|autor(?:es)?|contributors?|by|people|newsletters?|"
                           r"subscribe|vouchercodes|voucher-codes|discount-codes)(?:/|$)|@[\w.-]+/?$)", re.IGNORECASE)
# A profile, or the network's home page ("https://twitter.com/#!/name" loses its name with the fragment).
_SOCIAL_PROFILE = re.compile(r"^https?://(?:www\.|m\.)?(?:twitter\.com|x\.com|facebook\.com|instagram\.com|"
                             r"linkedin\.com/in)/(?!.*/status/)[^?#]*$", re.IGNORECASE)
# A bio's or a signature's line: "Follow Lucas Nolan on Twitter @LucasNolan_", "Email Ben at ...", "FB 粉絲團".
_BIO_LINE = re.compile(r"\b(?:follow|email|e-mail|contact)\b|粉絲團", re.IGNORECASE)
# Link texts that only point to another article: "Read Article How to ...", "Read more", "Continue reading".
_POINTER_TEXT = re.compile(r"^(?:read article|read more|read next|continue reading)\b", re.IGNORECASE)
# The heading or line before a list that makes the list a related block: "More games news:", "Related stories".
_RELATED_LEAD = re.compile(r"^\W{0,3}(?:more\b.{0,30}|related\b.{0,30}|you (?:may|might) also like.{0,10}|"
                           r"recommended\b.{0,20}|(?:read|see) also.{0,10}|lire aussi.{0,10})$", re.IGNORECASE)
# A line that only points elsewhere: "Read more:", "Related:", "[Read: ...]", "Lire aussi :", "Learn More:".
_POINTER_LINE = re.compile(
    r"^\W{0,3}(?:read|read more|read also|also read|see also|related|more|more from|learn more|watch|listen|"
    r"lire aussi|lire la suite|voir aussi|à lire aussi|leia também|leia mais|lea también|lee también|"
    r"ver también|siehe auch|mehr zum thema|mehr dazu)\s*:", re.IGNORECASE)
_FILE_NAME = re.compile(r"^[\w.()\- ]+\.(?:jpe?g|png|gif|webp|svg|bmp|tiff?|avif)$", re.IGNORECASE)
_TRACKING_KEYS = re.compile(r"^(?:utm_\w+|source|ref|ref_src|src|cmpid|mbid|smid|fbclid|gclid)$", re.IGNORECASE)


def anchor_text(anchor) -> str:
    """The visible text, or for an image link its alt text; never an image's file name. "" when neither."""
    text = squash(anchor.text_content())
    if text and not _FILE_NAME.match(text):
        return text
    for image in anchor.iter("img"):
        alt = squash(image.get("alt") or "")
        if alt and not _FILE_NAME.match(alt):
            return alt
    return ""


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # "http://[bad": no host to compare
        return ""


def server_of(url: str) -> str:
    """host:port as written: two servers on one host (127.0.0.1:8001, :8002) are two sites; http and https
    of one host are one."""
    try:
        parts = urlsplit(url)
        return f"{(parts.hostname or '').lower()}:{parts.port or ''}"
    except ValueError:  # "http://[bad", or a port out of range
        return ""


def without_tracking(url: str) -> str:
    """`url` less its tracking parameters (utm_*, source, ref ...), to know a link to the page itself."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING_KEYS.match(key)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def never_a_reference(url: str, page_url: str) -> bool:
    """Affiliate redirectors, ad servers, the site's home page and its tag, author and newsletter pages."""
    host = host_of(url)
    if not host:
        return False
    parts = urlsplit(url)
    if host in _AFFILIATE_HOSTS or host.endswith(_AD_HOSTS) or "/adsense/" in parts.path:
        return True
    if "module=Related" in parts.query:  # the site's own marker of a related-links module
        return True
    page_host = host_of(page_url)
    if not page_host or _domain(host) != _domain(page_host) or _port(url) != _port(page_url):
        return False
    return parts.path in ("", "/") and not parts.query or bool(_SITE_LISTING.search(parts.path))


def _port(url: str) -> str:
    return server_of(url).rsplit(":", 1)[-1]


def _domain(host: str) -> str:
    try:
        return registered_domain(host) or host
    except ValueError:
        return host


def is_pointer_line(block_text: str, link_text: str) -> bool:
    """A block that is only a pointer to another article ("Related: <a>Rich are paying more</a>")."""
    if not _POINTER_LINE.match(block_text):
        return False
    return len(link_text) >= 0.5 * len(block_text.split(":", 1)[1].strip(" ]"))


def is_bio_link(url: str, block_text: str) -> bool:
    """A social-media profile in a bio's or signature's line ("Follow him on Twitter"): no citation."""
    return bool(_SOCIAL_PROFILE.match(url)) and bool(_BIO_LINE.search(block_text))


def is_pointer_text(link_text: str) -> bool:
    return bool(_POINTER_TEXT.match(link_text))


def follows_related_lead(block) -> bool:
    """A list item whose list comes after a "More ...:" / "Related ..." line or heading."""
    if block.tag != "li":
        return False
    listing = block.getparent()
    lead = listing.getprevious() if listing is not None else None
    return lead is not None and bool(_RELATED_LEAD.match(squash(lead.text_content())))
