"""`archiver rebuild`: a lost database's evidence restored from the WARC files.

What comes back:

- a capture row for every response and revisit record that has none yet (so a second rebuild
  adds nothing), with its fetch's requested URL and hop, its validators, its text hash and its
  baseline text (rebuild_captures.py);
- the articles: those registered again before the rebuild (`add`, `import`), and those the
  WARCs show were captured as articles: a page that was extracted (an outlinks record is
  concurrent to it), that is no captured page's outlink, and that is not a soft-404 probe;
- each article's title, dates and links, from its pages extracted again in capture order, so a
  link the article dropped keeps its last sighting and shows as no longer linked.

What does not: observations and verdicts (judgements, not evidence: the next check makes them
again, and every link is due at once), runs, public-archive look-ups, seed texts, and fetches
that got no response at all (nothing of them is in a WARC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from archiver.models import Article
from archiver.pipeline.extraction import ExtractedPage
from archiver.pipeline.rebuild_captures import Hop, WarcEvidence, add_texts, collect
from archiver.settings import Settings
from archiver.store import Store

PROBE_PATH = re.compile(r"/[a-z]{25}/?$")  # the random sibling a soft-404 probe asks for (pipeline/capture.py)
INSERT_BATCH = 500
REBUILT_SOURCE = "rebuild"


@dataclass
class RebuildSummary:
    warc_files: int = 0
    unreadable: list[str] = field(default_factory=list)  # WARC files that could not be read
    captures_added: int = 0
    captures_known: int = 0  # records the database already had rows for
    articles: int = 0
    articles_found: int = 0  # registered by the rebuild, as the WARCs show them captured as articles
    links: int = 0


def rebuild_database(store: Store, settings: Settings) -> RebuildSummary:
    """Restore captures, articles and links from the closed WARCs of settings.storage.warc_dir into `store`."""
    warc_dir = settings.storage.warc_dir
    evidence = collect(warc_dir, fetch_bound=timedelta(seconds=settings.fetch.total_timeout))
    summary = RebuildSummary(warc_files=evidence.files, unreadable=evidence.unreadable)
    articles = {row["url"]: row["id"] for row in store.list_articles()}
    for url, first_fetched in found_articles(evidence, set(articles)):
        articles[url] = store.add_article(Article(url=url, source=REBUILT_SOURCE), first_fetched)[0]
        summary.articles_found += 1
    summary.articles = len(articles)
    pages = add_texts(evidence.hops, warc_dir, settings.fetch.max_extract_bytes,
                      keep_page=lambda hop: hop.requested_url in articles, save_text=store.save_text)
    fetches: dict[str, list[Hop]] = {}
    for hop in evidence.hops:
        fetches.setdefault(hop.requested_url, []).append(hop)
    owners: dict[str, int] = {}  # a reference's first citing article, as a capture run tags its captures
    for url, article_id in sorted(articles.items(), key=lambda item: item[1]):
        cited = restore_links(store, article_id, fetches.get(url, []), pages)
        summary.links += len(cited)
        for link_url in cited:
            owners.setdefault(link_url, article_id)
    known = store.recorded_ids([hop.record.record_id for hop in evidence.hops])
    new = [hop for hop in evidence.hops if hop.record.record_id not in known]
    summary.captures_known = len(evidence.hops) - len(new)
    for start in range(0, len(new), INSERT_BATCH):  # in time order: a fetch's hops get consecutive ids
        batch = new[start : start + INSERT_BATCH]
        store.add_captures([hop.capture(articles.get(hop.requested_url) or owners.get(hop.requested_url))
                            for hop in batch])
        summary.captures_added += len(batch)
    return summary


def found_articles(evidence: WarcEvidence, registered: set[str]) -> list[tuple[str, datetime]]:
    """(URL, first fetched) of each page the WARCs show was captured as an article, first captured first."""
    first: dict[str, datetime] = {}
    extracted: set[str] = set()
    for hop in evidence.hops:
        first.setdefault(hop.requested_url, hop.record.date)
        if hop.final and hop.has_metadata:
            extracted.add(hop.requested_url)
    found = [url for url in extracted if url not in evidence.outlinks and url not in registered
             and not PROBE_PATH.search(urlsplit(url).path)]
    return sorted(((url, first[url]) for url in found), key=lambda item: (item[1], item[0]))


def restore_links(store: Store, article_id: int, fetches: list[Hop], pages: dict[str, ExtractedPage]) -> set[str]:
    """Replay an article's extracted pages in capture order (unless it has links already); return the URLs it cites."""
    if store.links_for_article(article_id):
        return {link["url"] for link in store.links_for_article(article_id)}
    cited: set[str] = set()
    for hop in fetches:
        page = pages.get(hop.record.record_id) or pages.get(hop.refers_to or "")
        if not hop.final or page is None:
            continue
        store.update_article_extracted(article_id, page.extracted, hop.record.date)
        store.replace_links(article_id, page.extracted.links, hop.record.date)
        cited.update(link.url for link in page.extracted.links)
    return cited
