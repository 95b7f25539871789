"""A clean title: the page's title without the site's name ("| ZDNet") or a section prefix ("Opinion | ").

The page's own title is kept as it is (Extracted.title); this is the one a reader would cite. In order:
  1. a headline of the page (<h1>, og:title, JSON-LD headline) that the title starts or ends with,
     cut at a separator, is the clean title;
  2. otherwise the title's leading and trailing parts are cut off while they name the site (its
     og:site_name, application-name, publisher, or its domain's name) or, after " | ", " – ", " :: ",
     "_" and the like, are short enough to be a site, section or author name.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Separators between a title and the site's name. " - " and ": " also occur inside headlines, so a part
# after them goes only when it names the site.
_SEPARATORS = re.compile(r"(\s+[|·•»:~/]{1,2}\s+|\s+[–—]\s+|\s+-\s+|\s*_+\s*|\s+@\s+)")
_WEAK = {" - "}
_TRAILING_MARKS = re.compile(r"[\s|:·»]+$|\s*[＜【][^＜【]*[＞】]\s*$")  # "Title ＜福娘童話集＞"


def _key(text: str) -> str:
    """Letters and digits only, lower case, accents off: 'Libération' ~ 'liberation', 'BBC News' ~ 'bbcnews'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if char.isalnum()).casefold()


def _site_keys(url: str, site_names: list[str]) -> set[str]:
    keys = {_key(name) for name in site_names if name and len(_key(name)) >= 2}
    host = (urlsplit(url).hostname or "").split(".")
    labels = [label for label in host if label not in {"www", "www1", "com", "co", "org", "net", "uk", "jp", "fr",
                                                        "de", "br", "ar", "au", "es", "cz", "blog", "news"}]
    keys.update(label for label in labels if len(label) >= 3)
    return keys


def _names_site(part: str, keys: set[str]) -> bool:
    key = _key(part)
    if not key or len(part.split()) > 4:  # "How we designed Dropbox's ATF" mentions the site, is no site name
        return False
    return any(site in key or key in site for site in keys if len(site) >= 3 or site == key)


def _short(part: str, separator: str) -> bool:
    if "_" in separator:
        return len(part.strip()) <= 6  # CJK portals: "标题_科技_腾讯网"
    return len(part.split()) <= 3 and len(part) <= 30


def _parts(title: str) -> list[str]:
    return _SEPARATORS.split(_TRAILING_MARKS.sub("", title))


def clean_title(title: str | None, headlines: list[str], url: str, site_names: list[str]) -> str | None:
    if not title:
        return None
    title = " ".join(title.split())
    keys = _site_keys(url, site_names)
    for headline in headlines:
        headline = " ".join((headline or "").split())
        if _headline_like(headline, keys) and headline != title and _cut_at_separator(title, headline):
            return headline
    parts = _parts(title)  # text, separator, text, separator, ...
    while len(parts) >= 3:
        last, separator = parts[-1], parts[-2]
        if _names_site(last, keys) or (separator.strip() and separator not in _WEAK and _short(last, separator)):
            parts = parts[:-2]
        else:
            break
    while len(parts) >= 3:
        first, separator = parts[0], parts[1]
        rest = "".join(parts[2:])
        if _names_site(first, keys) or (separator.strip() in {"|", "::"} and len(first.split()) <= 2
                                         and len(rest.split()) >= 4):
            parts = parts[2:]
        else:
            break
    return "".join(parts).strip() or title


def _headline_like(text: str, keys: set[str]) -> bool:
    """Not a site's name in an <h1> ("Engadget", "Silicon Exposed"): three words or more (eight characters
    without spaces, as CJK headlines are written), naming no site."""
    long_enough = len(text.split()) >= 3 or (" " not in text and len(text) >= 8)
    return long_enough and not _names_site(text, keys)


def _cut_at_separator(title: str, headline: str) -> bool:
    """True when `title` is `headline` plus a separator and more, before or after it."""
    if title.startswith(headline):
        rest = title[len(headline):]
        return bool(_SEPARATORS.match(rest))
    if title.endswith(headline):
        rest = title[: -len(headline)]
        return bool(re.search(_SEPARATORS.pattern + "$", rest))
    return False
