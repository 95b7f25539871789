"""A worker's part of a queued run: capture one (run, URL), store it once, queue an article's references.

The message says only which run and which URL; the database says what the URL is to
the run (an article, an article re-checked, a reference) and whether it is done. A
worker captures the URL (fetch, WARC records written and flushed, extraction), then in
ONE transaction marks it done, stores its captures and observation and, for an article,
queues its references. Only then is the message acknowledged (archiver.queue). So:

- a worker killed mid-fetch committed nothing; its message comes back and is captured again;
- a message delivered twice finds the URL done (or loses the race to mark it) and writes nothing;
- an article's references are in the database before its message is acknowledged: a worker
  killed between commit and sending them has its article message redelivered, finds it done,
  and sends the references still pending (a reference sent twice is captured once).
"""

from __future__ import annotations

import logging

from archiver.errors import ArchiverError
from archiver.pipeline.cycle import ArticleItem, Pipeline, tagged, unsupported_outcome
from archiver.pipeline.summary import CheckSummary
from archiver.store import QueueItem

log = logging.getLogger("archiver.pipeline")

ARTICLE, ARTICLE_ONLY, REFERENCE = "article", "article_only", "reference"  # queue_items.kind
KINDS = (ARTICLE, ARTICLE_ONLY, REFERENCE)


class UnknownWork(ArchiverError):
    """A message for a run or URL this database never queued: it is rejected, not retried."""


class QueuedWork(Pipeline):
    """Captures and stores queued URLs for one worker process; its threads share it (as a cycle's do)."""

    worker_name = ""

    def process(self, run_id: int, url: str) -> list[QueueItem]:
        """Capture and store `url` for `run_id` unless done; return the items to send messages for."""
        found = self.store.queued_item(run_id, url)
        if found is None:
            status = self.store.run_status(run_id)
            raise UnknownWork(f"no run {run_id}" if status is None else f"run {run_id} never queued {url}")
        item, done = found
        if done:  # a redelivery: what it queued is stored; send again what may not have been sent
            return self.store.pending_items(run_id, article_id=item.article_id, kind=REFERENCE) \
                if item.kind == ARTICLE and item.article_id is not None else []
        if self.store.run_status(run_id) != "running":
            log.info("run %s is over; %s left uncaptured", run_id, url)
            return []
        if item.kind == REFERENCE:
            return self._reference(item)
        return self._article(item)

    def _reference(self, item: QueueItem) -> list[QueueItem]:
        outcome = self.capturer.check(item.url, self._previous(item.url))
        with self.store.transaction("store a queued URL"):
            if not self._claim(item):
                return []
            self._store_check(outcome, item.run_id, item.article_id)
            self._store_probes(item.run_id)
        return []

    def _article(self, item: QueueItem) -> list[QueueItem]:
        article = self.store.articles_by_id([item.article_id]).get(item.article_id) if item.article_id else None
        if article is None:
            raise UnknownWork(f"run {item.run_id}: the article {item.url} is no longer registered")
        outcome = self._capture_item(ArticleItem(item.article_id, article))
        with self.store.transaction("store a queued article"):
            if not self._claim(item):
                return []
            _, extracted = self._store_article(item.article_id, article, outcome, item.run_id, CheckSummary())
            self._store_probes(item.run_id)
            if item.kind == ARTICLE_ONLY or extracted is None:
                return []
            return self._queue_references(item, extracted.links)

    def _queue_references(self, article: QueueItem, links) -> list[QueueItem]:
        """Queue the article's references new to the run; store the ones that are not http(s) at once."""
        now = self.clock()
        wanted = [QueueItem(article.run_id, link.url, REFERENCE, article.article_id) for link in links]
        added = self.store.queue_items(wanted, now)
        supported = {link.url for link in links if link.supported}
        for unsupported in [i for i in added if i.url not in supported]:  # nothing to fetch: recorded as such
            self.store.mark_done(unsupported.run_id, unsupported.url, self.worker_name, now)
            self._store_check(unsupported_outcome(unsupported.url, now), article.run_id, article.article_id)
        return [i for i in added if i.url in supported]

    def _claim(self, item: QueueItem) -> bool:
        """Mark the item done in the open transaction; False when another delivery got there first."""
        if self.store.mark_done(item.run_id, item.url, self.worker_name, self.clock()):
            return True
        log.info("run %s: %s was stored by another delivery; nothing written", item.run_id, item.url)
        return False

    def _store_probes(self, run_id: int) -> None:
        probes = self.capturer.take_probe_captures()
        if probes:
            self.store.add_captures([tagged(c, None, run_id) for c in probes])
