"""Browser capture of an article: Chromium loads it, and every request it makes is one of our fetches.

The browser room (archiver/browser/) hands each request here. It is fetched by the Fetcher, so the
network guard, politeness, robots.txt (the article's rule) and the size caps hold for the browser as for
any fetch, and written to the WARC as its request/response pair (a revisit when its payload is the one
last captured). Redirects are not followed here: the browser follows them, each hop a request of its
own. Only GET and HEAD go out; anything else a script sends is refused, as it could change something.
When the page has settled, its full-page PNG is kept as a `resource` record `urn:screenshot:<url>`
(Browsertrix's name), a small JPEG of its first screen as `urn:thumbnail:<url>` for the HTML report,
and one metadata record about the page lists every request (`embed: URL browser RECORD-ID`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from archiver.browser import BrowserAnswer, BrowserOptions, browser_missing_reason, load_page
from archiver.errors import BrowserMissing, RecordError
from archiver.models import Capture, Exchange, RecordRef
from archiver.pipeline.capture import UrlOutcome
from archiver.pipeline.conditional import PreviousCapture
from archiver.pipeline.recording import capture_rows, write_hops
from archiver.settings import Settings
from archiver.warc.reader import read_payload

if TYPE_CHECKING:
    from archiver.fetch import Fetcher
    from archiver.warc.record import WarcRecorder

log = logging.getLogger("archiver.pipeline")

SCREENSHOT_PREFIX = "urn:screenshot:"
THUMBNAIL_PREFIX = "urn:thumbnail:"
_FORWARDED = ("accept", "accept-language", "range")  # request headers of the browser worth sending on


@dataclass(frozen=True)
class BrowserOutcome:
    captures: tuple[Capture, ...]  # every browser request's capture rows, and the screenshot's and thumbnail's
    screenshot: RecordRef
    requests: int
    timed_out: bool


class BrowserCapturer:
    """Browser captures through one Fetcher and recorder; `previous(url)` gives a URL's last complete capture."""

    def __init__(self, fetcher: Fetcher, recorder: WarcRecorder, settings: Settings,
                 previous: Callable[[str], PreviousCapture | None]) -> None:
        self.fetcher = fetcher
        self.recorder = recorder
        self.previous = previous
        capture = settings.capture
        # Chromium is heavy: at most this many at once, whatever the number of fetch threads.
        self._browsers = threading.BoundedSemaphore(capture.browser_concurrency)
        self.options = BrowserOptions(executable=capture.browser_executable, timeout=capture.browser_timeout,
                                      scrolls=capture.browser_scrolls, user_agent=settings.fetch.user_agent_header)

    def capture(self, url: str, page_record_id: str | None, *, ignore_robots: bool) -> BrowserOutcome:
        rows: list[Capture] = []
        embeds: list[tuple[str, str]] = []

        def exchange(request_url: str, method: str, headers: Mapping[str, str]) -> BrowserAnswer | None:
            if method not in ("GET", "HEAD"):
                embeds.append(("embed", f"{request_url} browser refused:{method}"))
                return None
            previous = self.previous(request_url)
            forwarded = {name: value for name, value in headers.items() if name.lower() in _FORWARDED}
            fetch = self.fetcher.fetch(request_url, method, forwarded, ignore_robots=ignore_robots,
                                       follow_redirects=False)
            try:
                refs = write_hops(self.recorder, fetch, previous)
                rows.extend(capture_rows(fetch, refs, None, previous))
                final = fetch.final
                embeds.append(("embed", f"{request_url} browser {refs[-1].record_id if refs else 'unfetched'}"))
                return None if final is None else BrowserAnswer(final.status, final.response_headers, _body(final))
            finally:
                fetch.close()

        with self._browsers:
            loaded = load_page(url, exchange, self.options)
        screenshot = self.recorder.write_resource(SCREENSHOT_PREFIX + url, "image/png", loaded.screenshot,
                                                  concurrent_to=page_record_id)
        thumbnail = self.recorder.write_resource(THUMBNAIL_PREFIX + url, "image/jpeg", loaded.thumbnail,
                                                 concurrent_to=screenshot.record_id, date=screenshot.date)
        if page_record_id is not None:
            lines = [*embeds, ("screenshot", screenshot.record_id), ("thumbnail", thumbnail.record_id)]
            self.recorder.write_metadata(url, page_record_id, lines, date=screenshot.date)
        rows += [_resource_row(screenshot, "image/png"), _resource_row(thumbnail, "image/jpeg")]
        return BrowserOutcome(tuple(rows), screenshot, loaded.requests, loaded.timed_out)


def browser_capturer(settings: Settings, fetcher: Fetcher, recorder: WarcRecorder,
                     previous: Callable[[str], PreviousCapture | None]) -> BrowserCapturer | None:
    """The run's browser capturer when capture.browser is on; BrowserMissing (exit 3) when it cannot run here."""
    if not settings.capture.browser:
        return None
    reason = browser_missing_reason(settings.capture.browser_executable)
    if reason is not None:
        raise BrowserMissing(reason)
    return BrowserCapturer(fetcher, recorder, settings, previous)


def with_browser_capture(browser: BrowserCapturer, outcome: UrlOutcome, *, ignore_robots: bool) -> UrlOutcome:
    """An article's capture with the browser's added; a page that failed to load in the browser keeps its
    plain capture (logged), as it would without the browser."""
    ref = outcome.response_ref
    if ref is None or outcome.final_status is None or not 200 <= outcome.final_status < 300:
        return outcome
    try:
        loaded = browser.capture(outcome.final_capture.url, ref.record_id, ignore_robots=ignore_robots)
    except RecordError:
        raise
    except Exception:  # a browser crash or a page that never loads must not sink the article
        log.exception("browser capture of %s failed", outcome.url)
        return outcome
    # The browser's own request for the page gets no row: the page's rows are our fetch's, whose text hash the
    # next capture compares with (a newer row without one would become its baseline). Its records stay in the WARC.
    page_url = outcome.final_capture.url
    rows = tuple(row for row in loaded.captures if row.requested_url not in (outcome.url, page_url))
    return replace(outcome, extra_captures=rows)


def thumbnail_reader(settings: Settings) -> Callable[[Capture], bytes | None]:
    """Reads a thumbnail's resource record for the report (report.build_report's `thumbnails`)."""
    warc_dir = settings.storage.warc_dir

    def read(capture: Capture) -> bytes | None:
        try:
            return b"".join(read_payload(warc_dir / capture.warc_file, capture.warc_offset))
        except (OSError, StopIteration, ValueError):  # a WARC moved away or cut: the report goes without it
            return None

    return read


def _body(final: Exchange) -> bytes:
    """The body as the browser wants it: content-decoded (the browser room drops Content-Encoding).

    The decoded copy stops at fetch.max_extract_bytes; a larger body sent without an encoding is read whole
    from its spool file, a larger encoded one is handed over as far as it was decoded."""
    body = final.body
    if body.decoded_complete or final.header("Content-Encoding"):
        return body.decoded
    body.file.seek(0)
    return body.file.read()


def _resource_row(ref: RecordRef, content_type: str) -> Capture:
    return Capture(url=ref.target_uri, requested_url=ref.target_uri, hop=0, fetched_at=ref.date, http_status=None,
                   content_type=content_type, warc_file=ref.warc_file, warc_offset=ref.offset,
                   warc_length=ref.length, record_id=ref.record_id, payload_digest=ref.payload_digest)

