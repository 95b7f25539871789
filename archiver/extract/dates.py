"""An article's publication and modification dates: read from its markup in a fixed order, normalised.

Preference order for the publication date (the first candidate that parses and is plausible wins):
  1. JSON-LD datePublished of the page's own article object (an Article/NewsArticle/BlogPosting ... node,
     else the first top-level one; a fact-check's itemReviewed, a video's or a related item's is not it).
     Skipped: a ClaimReview's that only repeats its itemReviewed's date (the checked statement's), and
     one more than a day after the same object's dateModified (a re-publication).
  2. <meta property="article:published_time">
  3. microdata itemprop=datePublished in an article's item scope (or in none)
  4. other explicit meta: parsely-pub-date, sailthru.date, dc.date.issued,
     publish-date, pubdate, the New York Times' ptime/pdate, dc.date, date
  5. <time datetime>: one marked as the publication date, else the first inside <article>/<main>,
     else the first in the page
  6. the date in the URL: its path (/2019/04/30/, /20190430/) or an id in its query (?a=20170309-...)
Order learned on the labelled corpus (tests/extract/corpus/, 83 pages): JSON-LD first gets 82 days
right, article:published_time first 79; where they differ the meta is a re-post's, an update's or a
draft's time (medium-3, nbcnews, afp-checamos) and the JSON-LD is the one the page shows.
Only when none gives one does extract() ask for a scan of the free text (bounded; see core.py).
A date before 1990 (JSON-LD placeholders such as 0001-01-01) or later than the capture is rejected.

Normalised form: ISO 8601 UTC ("2019-04-28T10:01:07Z"), or the day alone ("2019-04-28") when the page
gives no time. A time without a zone is taken as UTC (the day stays the page's own); the raw string is
kept beside it, so nothing is lost.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
_PUBLISHED_META = ("article:published_time",)
_OTHER_PUBLISHED_META = ("datepublished", "parsely-pub-date", "sailthru.date", "dc.date.issued", "publish-date",
                         "publishdate", "publish_date", "pubdate", "article:publicationdate", "ptime", "pdate",
                         "og:published_time", "dc.date", "date")
_MODIFIED_META = ("article:modified_time", "datemodified", "og:updated_time", "last_updated", "utime")
_ARTICLE_TYPES = re.compile(r"(?:^|\b)(?:\w*Article|BlogPosting|Report|WebPage|LiveBlogPosting|Posting)$")
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_.]|$)")
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_QUERY_DATE = re.compile(r"(?:^|[=&])((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[-_]")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$")
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_WORDY = re.compile(
    r"^(?:[A-Za-z]{3},? )?([A-Za-z]{3})[a-z]* (\d{1,2}) (\d{1,2}):(\d{2})(?::(\d{2}))? [A-Z]{2,5} (\d{4})$")


@dataclass(frozen=True)
class PageDates:
    published: str | None  # normalised, see the module docstring
    published_raw: str | None  # as the page wrote it
    modified: str | None  # normalised


def parse_date(text: str | None) -> tuple[datetime | None, bool] | None:
    """(moment, has_time) for the date forms pages put in their markup; None when it is none of them."""
    text = " ".join((text or "").split())
    if not text:
        return None
    day = _ISO_DAY.match(text)
    if day:
        return _built(int(day[1]), int(day[2]), int(day[3])), False
    compact = _COMPACT.match(text)
    if compact:
        hms = [int(part) for part in compact.groups()[3:] if part is not None]
        return _built(int(compact[1]), int(compact[2]), int(compact[3]), *hms), bool(hms)
    iso = _iso(text)
    if iso is not None:
        return iso, True
    slashed = _SLASHED.match(text)
    if slashed:
        first, second, year = int(slashed[1]), int(slashed[2]), int(slashed[3])
        # 05/08/2014 on an English page is May 8 (US order); 13/08 can only be day first; dots are day first
        month, day_ = (second, first) if first > 12 or "." in text[:6] else (first, second)
        hms = [int(part) for part in slashed.groups()[3:] if part is not None]
        return _built(year, month, day_, *hms), bool(hms)
    wordy = _WORDY.match(text)  # "Fri Mar 13 21:30:09 EST 2015": the zone abbreviation is ambiguous, so dropped
    if wordy and wordy[1].lower() in _MONTHS:
        return _built(int(wordy[6]), _MONTHS[wordy[1].lower()], int(wordy[2]), int(wordy[3]), int(wordy[4]),
                      int(wordy[5] or 0)), True
    return None


def _built(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None


def _iso(text: str) -> datetime | None:
    candidate = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    candidate = re.sub(r"\s+", "", candidate)
    candidate = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", candidate)  # +0100 -> +01:00
    candidate = re.sub(r"(\.\d{6})\d+", r"\1", candidate)  # Python takes microseconds at most
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def normalized(text: str | None, latest: datetime) -> str | None:
    """`text` as ISO 8601 UTC (or a day), or None when it is no date, before 1990 or after `latest`."""
    moment, has_time = parse_date(text) or (None, False)
    # a day's grace after `latest`: a page in a zone ahead of UTC may be dated tomorrow
    if moment is None or moment < EARLIEST or moment > latest + timedelta(days=1):
        return None
    if not has_time:
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def json_ld_scripts(dom) -> list:
    """The parsed JSON-LD scripts of the page; a CDATA wrapper (common in WordPress plugins) is taken off."""
    parsed = []
    for script in dom.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = _CDATA.sub("", script.text or "")
        try:
            parsed.append(json.loads(text, strict=False))
        except ValueError:
            continue
    return parsed


def _json_ld_nodes(dom) -> list[dict]:
    """Each JSON-LD script's top-level objects (and @graph members), in page order."""
    nodes: list[dict] = []
    for data in json_ld_scripts(dom):
        for node in data if isinstance(data, list) else [data]:
            if not isinstance(node, dict):
                continue
            graph = node.get("@graph")
            if isinstance(graph, list):
                nodes.extend(item for item in graph if isinstance(item, dict))
            nodes.append(node)
    return nodes


def _json_ld(dom, key: str) -> list[str]:
    nodes = _json_ld_nodes(dom)
    typed = [node for node in nodes if any(_ARTICLE_TYPES.search(kind) for kind in _types(node))]
    return [node[key] for node in typed + nodes if isinstance(node.get(key), str)
            and not (key == "datePublished" and _not_its_publication(node))]


def _not_its_publication(node: dict) -> bool:
    """A datePublished that is not the object's first publication, learned on real fact-check pages:
    a ClaimReview whose datePublished is its itemReviewed's (the CMS copied the checked statement's
    date; aajtak), and one later than the same object's dateModified (a re-publication after a
    migration; the Washington Post's Fact Checker: published 2018, modified 2013, shown 2013)."""
    published = parse_date(node.get("datePublished"))
    reviewed = node.get("itemReviewed")
    if "ClaimReview" in _types(node) and isinstance(reviewed, dict):
        if published and published == parse_date(reviewed.get("datePublished")):
            return True
    modified = parse_date(node.get("dateModified")) if isinstance(node.get("dateModified"), str) else None
    # a day's slack: some CMSs stamp the modification a little before the publication (engadget)
    return bool(published and modified and published[0] and modified[0]
                and published[0] > modified[0] + timedelta(days=1))


def _types(node: dict) -> list[str]:
    kind = node.get("@type")
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _microdata(dom, prop: str) -> list[str]:
    """itemprop=`prop` values in an article's item scope, or in none; a video's or a related item's are not it."""
    found = []
    for element in dom.xpath(f"//*[@itemprop='{prop}']"):
        scope = next((a for a in element.iterancestors() if a.get("itemscope") is not None), None)
        kind = (scope.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1] if scope is not None else ""
        if scope is None or _ARTICLE_TYPES.search(kind):
            found.append(element.get("content") or element.get("datetime") or element.text_content())
    return found


def _time_elements(dom) -> list[str]:
    times = [t for t in dom.iter("time") if re.match(r"\d{4}-\d{2}", (t.get("datetime") or "").strip())]
    marked = [t for t in times if t.get("itemprop") == "datePublished" or t.get("pubdate") is not None
              or "publish" in (t.get("class") or "").lower()]
    in_article = [t for t in times if any(a.tag in ("article", "main") for a in t.iterancestors())]
    return [t.get("datetime").strip() for t in marked + in_article + times]


def url_date(url: str) -> str | None:
    """/2019/04/30/ or /20190430/ in the path, or an id starting with one in the query (?a=20170309-3509)."""
    path, _, query = url.partition("?")
    match = _URL_DATE.search(path) or _QUERY_DATE.search(query)
    return f"{match[1]}-{match[2]}-{match[3]}" if match else None


def page_dates(dom, meta: dict[str, str], url: str, latest: datetime | None = None) -> PageDates:
    """The page's publication date (normalised and raw) and modification date, from its markup alone."""
    latest = latest or datetime.now(timezone.utc)
    published_candidates = _json_ld(dom, "datePublished") + [meta.get(key) for key in _PUBLISHED_META]
    published_candidates += _microdata(dom, "datePublished")
    published_candidates += [meta.get(key) for key in _OTHER_PUBLISHED_META] + _time_elements(dom) + [url_date(url)]
    published, raw = first_plausible(published_candidates, latest)
    modified_candidates = [meta.get(key) for key in _MODIFIED_META] + _json_ld(dom, "dateModified")
    return PageDates(published, raw, first_plausible(modified_candidates, latest)[0])


def first_plausible(candidates: list[str | None], latest: datetime) -> tuple[str | None, str | None]:
    for candidate in candidates:
        value = normalized(candidate, latest)
        if value is not None:
            return value, " ".join(candidate.split())
    return None, None

