"""After a check: ask public web archives (Memento TimeGates) for copies of failing references.

For links whose verdict is dead, rotten or drifted, each configured TimeGate is asked
(GET with Accept-Datetime, redirects not followed: the 302 is the answer) for the
memento nearest before the citing article's date; what it says is stored and shown
in reports beside our own copy. With memento.submit_new_captures, references found
alive and never submitted are sent to the save endpoint. Everything goes through the
Fetcher (network guard, deadlines, per-host politeness and back-off), at most
memento.lookup_limit_per_run look-ups and submit_limit_per_run submissions per run.
A failed look-up is logged and stored as failed, never fails the run, and is retried
at the next run. robots.txt is not asked: it tells crawlers which pages to stay out of,
and a TimeGate or save endpoint the user configured is an API the archive offers for
exactly these calls, not a page we crawl. An archive that disallows crawling its
replay paths would otherwise never be asked at all.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archiver.judge.memento import Memento, article_moment, http_date, nearest_before, read_timegate_answer
from archiver.settings import MementoSettings, TimeGate
from archiver.store.public_copies import LOOKUP, SUBMIT, CitingArticle, PublicCopyRow

if TYPE_CHECKING:
    from archiver.fetch import Fetcher
    from archiver.pipeline.cycle import WallClock  # cycle imports this module
    from archiver.store import Store

log = logging.getLogger("archiver.pipeline")

LOOKUP_VERDICTS = ("dead", "rotten", "drifted")  # a reader needs another copy of these
SUBMIT_VERDICTS = ("alive",)  # worth a public copy while they still answer


def find_public_copies(store: Store, fetcher: Fetcher, settings: MementoSettings, clock: WallClock,
                       should_stop: Callable[[], bool] = lambda: False) -> Counter:
    """Look up (and submit) what is due now; return run counts such as {"public_copy_found": 2}."""
    counts: Counter = Counter()
    if not settings.enabled:
        return counts
    stale_before = clock() - timedelta(seconds=settings.refresh_interval)
    remaining = settings.lookup_limit_per_run
    for index, gate in enumerate(settings.timegates):
        share = remaining // (len(settings.timegates) - index)  # an even share: no TimeGate starves the others
        for url, citing in store.public_copy_candidates(gate.name, LOOKUP_VERDICTS, stale_before, share).items():
            if should_stop():
                return counts
            row = look_up(fetcher, gate, url, citation_moment(citing, clock()), clock)
            store.record_public_copy(row)
            counts[f"public_copy_{row.status}"] += 1
            remaining -= 1
    if settings.submit_new_captures:
        counts.update(submit_new_captures(store, fetcher, settings, clock, should_stop))
    return counts


def citation_moment(citing: Sequence[CitingArticle], fallback: datetime) -> datetime:
    """The earliest date among the articles citing a link: the copy should show what the first citer saw."""
    moments = [article_moment(article.published or article.seed_date, article.added_at) for article in citing]
    return min(moments, default=fallback)


def look_up(fetcher: Fetcher, gate: TimeGate, url: str, moment: datetime, clock: WallClock) -> PublicCopyRow:
    """Ask `gate` for `url` as it was at `moment`; the answer as a row to store (status failed on any trouble)."""
    target = gate.url.replace("{url}", url)  # plain replacement: a configured template is no format string

    def row(status: str, detail: str = "", memento: Memento | None = None) -> PublicCopyRow:
        return PublicCopyRow(url=url, archive=gate.name, kind=LOOKUP, status=status, looked_up_at=clock(),
                             memento_url=memento.uri if memento else None,
                             memento_datetime=memento.datetime if memento else None, detail=detail)

    try:
        fetch = fetcher.fetch(target, extra_headers={"Accept-Datetime": http_date(moment)}, follow_redirects=False,
                              ignore_robots=True)
    except Exception as error:  # a bug in one look-up must not sink the run
        log.exception("looking up %s at %s failed", url, gate.name)
        return row("failed", f"internal error: {error}")
    try:
        if fetch.failure is not None or not fetch.exchanges:
            detail = f"{fetch.failure}: {fetch.failure_detail}".rstrip(": ")
            log.warning("public archive %s unreachable for %s (%s); retried at the next run", gate.name, url, detail)
            return row("failed", detail)
        answer = fetch.exchanges[-1]
        found = read_timegate_answer(answer.url, answer.status, answer.response_headers)
    finally:
        fetch.close()
    if found.status != "found":
        if found.status == "failed":
            log.warning("public archive %s gave no usable answer for %s (%s)", gate.name, url, found.detail)
        return row(found.status, found.detail)
    chosen = nearest_before(found.mementos, moment)
    log.info("public copy of %s at %s: %s", url, gate.name, chosen.uri if chosen else None)
    return row("found", "", chosen)


def submit_new_captures(store: Store, fetcher: Fetcher, settings: MementoSettings, clock: WallClock,
                        should_stop: Callable[[], bool] = lambda: False) -> Counter:
    """Send references alive and never submitted (or whose submission failed) to the save endpoint."""
    counts: Counter = Counter()
    archive = urlsplit(settings.save_endpoint).hostname or settings.save_endpoint[:64]
    for url in store.submission_candidates(archive, SUBMIT_VERDICTS, settings.submit_limit_per_run):
        if should_stop():
            break
        status, detail = _submit(fetcher, settings.save_endpoint.replace("{url}", url))
        if status == "failed":
            log.warning("submitting %s to %s failed (%s); retried at the next run", url, archive, detail)
        store.record_public_copy(PublicCopyRow(url=url, archive=archive, kind=SUBMIT, status=status,
                                               looked_up_at=clock(), detail=detail))
        counts[f"public_copy_{status}"] += 1
    return counts


def _submit(fetcher: Fetcher, target: str) -> tuple[str, str]:
    try:
        fetch = fetcher.fetch(target, follow_redirects=False, ignore_robots=True)
    except Exception as error:  # a bug in one submission must not sink the run
        log.exception("submitting %s failed", target)
        return "failed", f"internal error: {error}"
    try:
        if fetch.failure is not None or not fetch.exchanges:
            return "failed", f"{fetch.failure}: {fetch.failure_detail}".rstrip(": ")
        status = fetch.exchanges[-1].status
        return ("submitted", f"HTTP {status}") if status < 400 else ("failed", f"HTTP {status}")
    finally:
        fetch.close()
