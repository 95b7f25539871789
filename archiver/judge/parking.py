"""Parked, expired and for-sale domains: the signals, in several languages. Pure: no I/O.

No template is matched. A parked page is recognised by what every such page has in common:

* a parking or domain-aftermarket service: a link to its host, or its name in the page (`parking_marker`);
* a template's own unmistakable sentence ("this domain is for sale", "domain parking") (`parking_marker`);
* a lapsed-domain phrase: a word for "domain" near a word for expired / for sale / parked / renew,
  in English, German, French, Spanish, Italian, Dutch, Portuguese, Polish or Russian (`lapsed_domain_phrase`);
* a registrar named or linked ("registrar", "bureau d'enregistrement", "whois", the big registrars)
  (`registrar_marker`);
* the same page on every path of the host (the random-sibling probe reads the same; classify checks it).

classify() calls a thin page parked on a parking marker alone, or on a lapsed-domain phrase together
with a registrar marker or the same page on every path: one of those alone is also what a short news
item about a domain sale, or a registrar's own help page, carries.
"""

from __future__ import annotations

import html
import re

# Parking and domain-aftermarket services: a domain that lands here has lapsed or is for sale.
PARKING_HOSTS = frozenset({
    "sedoparking.com", "sedo.com",  # Sedo: parking feed and marketplace
    "parkingcrew.net", "bodis.com", "above.com", "parklogic.com",  # parking networks
    "dan.com", "afternic.com", "hugedomains.com", "buydomains.com", "undeveloped.com",  # aftermarkets
    "domainmarket.com",
})
_PARKING_HOST_REF = re.compile(r"//(?:[\w-]+\.)*(" + "|".join(re.escape(h) for h in sorted(PARKING_HOSTS)) + r")\b")
_PARKING_PHRASES = (  # what parking templates say; on a thin page only
    "this domain is for sale", "this domain name is for sale", "domain may be for sale", "buy this domain",
    "parked free, courtesy of godaddy", "domain parking", "this web page is parked", "this domain is parked",
    "sedoparking", "parkingcrew", "window.park",
)

_DOMAIN = r"(?:domain(?:name)?|domaine|dom[aä]ne|dominio|dom[ií]nio|domein(?:naam)?|domena|домен)"
_LAPSED = (
    r"(?:expired|has expired|expir[ée]|abgelaufen|ausgelaufen|caducad[oa]|expirad[oa]|expirou|scadut[oa]|"
    r"verlopen|wygas[łl]a|истек|vencid[oa]"  # expired
    r"|for sale|à vendre|a vendre|en venta|a la venta|zu verkaufen|zum verkauf|in vendita|te koop|à venda|"
    r"na sprzeda[żz]|прода[её]тся"  # for sale
    r"|parked|geparkt|parqu[ée]|estacionad[oa]|parcheggiat[oa]"  # parked
    r"|renew|renouvel|verl[äa]ngern|renovar|renove|rinnov|verlengen)"  # renew
)
_NEAR = r"[^.!?\n]{0,60}?"  # within one sentence, a few words apart
_LAPSED_PHRASE = re.compile(rf"\b{_DOMAIN}\b{_NEAR}{_LAPSED}|{_LAPSED}{_NEAR}\b{_DOMAIN}\b", re.IGNORECASE)
_REGISTRAR = re.compile(
    r"\b(?:registrar|registrars|bureau d'enregistrement|registrierungsstelle|registrador|registro de dominios|"
    r"whois|godaddy|namecheap|network solutions|ionos|gandi|tucows|enom|dynadot|porkbun|hostinger|"
    r"name\.com|dreamhost|hostgator|strato|ovhcloud|aruba\.it|transip)\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)


def parking_marker(page: str) -> str | None:
    """A parking service or a parking template's own sentence in `page` (lowercased HTML), or None."""
    found = _PARKING_HOST_REF.search(page)
    if found:
        return found.group(1)
    return next((phrase for phrase in _PARKING_PHRASES if phrase in page), None)


def page_words(page: str) -> str:
    """The visible words of an HTML page, tags and scripts dropped, entities decoded, on one line."""
    return " ".join(html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", page))).replace("\u2019", "'").split())


def lapsed_domain_phrase(words: str) -> str | None:
    """A phrase saying the domain expired, is for sale, parked or to be renewed, in one of several languages."""
    found = _LAPSED_PHRASE.search(words)
    return found.group(0) if found else None


def registrar_marker(page: str) -> str | None:
    """A registrar named or linked in `page` (HTML, links included), or None."""
    found = _REGISTRAR.search(page)
    return found.group(0).lower() if found else None
