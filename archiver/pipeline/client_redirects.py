"""Client-side redirects followed as hops of the fetch that found them.

A 2xx HTML page whose meta refresh or script sends the reader elsewhere at once (extract/refresh.py)
is a redirect to the reader, so it is one to us: its target is fetched and its exchanges are appended
to the fetch, which the WARC then records hop by hop like any redirect chain, and which classify()
judges like one (onto the site's root -> redirect_to_root; elsewhere -> redirected, never permanent:
the hop answered 200). A target already visited in this fetch is a loop, and a chain longer than
fetch.max_redirects is one too: both end the fetch as redirect_loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urldefrag

from archiver.extract.refresh import ClientRedirect, client_redirect
from archiver.models import Exchange, Fetch, Observation, RecordRef

if TYPE_CHECKING:
    from archiver.warc.record import WarcRecorder

HTML_TYPES = ("text/html", "application/xhtml+xml")
CLIENT_REDIRECT_FIELD = "client-redirect"  # the metadata field naming a client-side hop's target (for rebuild)


def client_redirect_of(exchange: Exchange) -> ClientRedirect | None:
    """Where this response's page sends its reader at once, if it is a complete 2xx HTML page that does."""
    if not 200 <= exchange.status < 300 or exchange.content_type not in HTML_TYPES or exchange.body.truncated:
        return None
    return client_redirect(exchange.body.decoded, exchange.url, charset_of(exchange.header("Content-Type")))


def follow_client_redirects(fetch: Fetch, fetch_next: Callable[[str], Fetch], max_redirects: int) -> Fetch:
    """`fetch` with the client-side redirects of its final page followed, each target fetched by `fetch_next`."""
    visited = {_key(exchange.url) for exchange in fetch.exchanges} | {_key(fetch.url)}
    while fetch.final is not None:
        hop = client_redirect_of(fetch.final)
        if hop is None:
            return fetch
        if _key(hop.target) in visited:
            return replace(fetch, failure=Observation.REDIRECT_LOOP,
                           failure_detail=f"{hop.via} back to {hop.target}")
        if len(fetch.exchanges) > max_redirects:
            return replace(fetch, failure=Observation.REDIRECT_LOOP, failure_detail=f"more than {max_redirects} "
                           f"redirects (the last a {hop.via})")
        try:
            following = fetch_next(hop.target)
        except BaseException:  # the spool's disk failing: nobody else will close the hops so far
            fetch.close()
            raise
        visited |= {_key(exchange.url) for exchange in following.exchanges} | {_key(hop.target)}
        fetch = Fetch(url=fetch.url, exchanges=fetch.exchanges + following.exchanges, started_at=fetch.started_at,
                      finished_at=following.finished_at, failure=following.failure,
                      failure_detail=following.failure_detail and f"{following.failure_detail} (after a {hop.via} "
                      f"to {hop.target})")
    return fetch


def note_client_redirects(recorder: WarcRecorder, fetch: Fetch, refs: list[RecordRef]) -> None:
    """A metadata record beside each response that sent the reader on client-side: its target, and how.

    An HTTP hop says where it leads in its Location header; this record says it for a 200 that led on
    by a meta refresh or a script, so `archiver rebuild` finds the hop's fetch again from the WARCs.
    """
    led_on = fetch.exchanges[:-1] if fetch.failure is not Observation.REDIRECT_LOOP else fetch.exchanges
    for exchange, ref in zip(led_on, refs):
        hop = client_redirect_of(exchange)
        if hop is not None:
            fields = [(CLIENT_REDIRECT_FIELD, hop.target), ("client-redirect-via", hop.via)]
            recorder.write_metadata(exchange.url, ref.record_id, fields, date=ref.date)


def charset_of(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _key(url: str) -> str:
    return urldefrag(url).url
