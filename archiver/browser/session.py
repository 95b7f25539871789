"""One page in headless Chromium (Debian's package, driven by Playwright): load, scroll, wait, screenshot.

Playwright's own browser downloads are never used: `executable_path` names the system chromium. Each
load starts its own Playwright and browser on the calling thread (the sync API belongs to one thread);
that costs about a second, small beside the page's own fetches.
"""

from __future__ import annotations

import base64
import logging
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import BrowserMissing

log = logging.getLogger("archiver.browser")

INSTALL_COMMAND = "apt-get install chromium && pip install 'archiver[browser]'"
# Where the browser would send anything the interception did not answer: nothing listens on the discard
# port, and "<-loopback>" sends loopback there too (Chromium bypasses proxies for loopback by default).
_DEAD_PROXY = "127.0.0.1:9"
_LAUNCH_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-breakpad",
                "--proxy-bypass-list=<-loopback>", "--hide-scrollbars", "--font-render-hinting=none")
# Hop-by-hop and framing headers: the browser is handed the decoded body whole.
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"})
THUMBNAIL_WIDTH = 320
IDLE_WINDOW_MS = 500  # as Playwright's own "networkidle": no request for this long
_SCROLL = """() => { window.scrollBy(0, window.innerHeight);
  return window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1; }"""


@dataclass(frozen=True)
class BrowserAnswer:
    """What our fetch of one browser request gave: handed to the browser as that request's response."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


# exchange(url, method, request headers) -> the answer, or None to fail the request (refused, unfetchable).
Exchange = Callable[[str, str, Mapping[str, str]], BrowserAnswer | None]


@dataclass(frozen=True)
class BrowserOptions:
    executable: str = "/usr/bin/chromium"
    timeout: float = 30.0  # the whole load: navigation, scrolling and waiting for the network to go idle
    scrolls: int = 20
    width: int = 1280
    height: int = 800
    user_agent: str | None = None


@dataclass(frozen=True)
class LoadedPage:
    url: str
    screenshot: bytes  # full-page PNG
    thumbnail: bytes  # JPEG of the first screen, THUMBNAIL_WIDTH wide
    requests: int  # requests the browser made (each answered through `exchange`, or failed)
    timed_out: bool  # the time cap ended the wait for the network to go idle


def browser_missing_reason(executable: str) -> str | None:
    """Why browser capture cannot run here (with the install command), or None when it can."""
    path = Path(executable) if "/" in executable else Path(shutil.which(executable) or "/nonexistent")
    if not path.is_file():
        return f"browser capture needs Chromium at {executable}: install it with `{INSTALL_COMMAND}`"
    try:
        import playwright.sync_api  # noqa: F401  (checked here, imported for use in load_page)
    except ImportError:
        return f"browser capture needs the playwright package: install it with `{INSTALL_COMMAND}`"
    return None


def load_page(url: str, exchange: Exchange, options: BrowserOptions) -> LoadedPage:
    """Load `url`, scroll to the bottom (lazy loading), wait for the network to go idle, take a full-page PNG."""
    reason = browser_missing_reason(options.executable)
    if reason is not None:
        raise BrowserMissing(reason)
    from playwright.sync_api import TimeoutError as LoadTimeout
    from playwright.sync_api import sync_playwright

    requests = 0

    def answer(route, request) -> None:
        nonlocal requests
        requests += 1
        got = exchange(request.url, request.method, request.headers) if request.url.startswith("http") else None
        if got is None:
            route.abort("blockedbyclient")
            return
        headers = {name: value for name, value in got.headers if name.lower() not in _DROPPED_HEADERS}
        route.fulfill(status=got.status, headers=headers, body=got.body)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=options.executable, headless=True,
                                             args=[*_LAUNCH_ARGS], proxy={"server": _DEAD_PROXY})
        try:
            context = browser.new_context(viewport={"width": options.width, "height": options.height},
                                          service_workers="block", user_agent=options.user_agent)
            context.route("**/*", answer)
            page = context.new_page()
            deadline = time.monotonic() + options.timeout  # the cap is the page's: Chromium's start is not in it
            try:
                page.goto(url, wait_until="load", timeout=_ms_left(deadline))
            except LoadTimeout:  # still loading at the cap: what it shows by then is what it shows
                log.info("%s was still loading after %.0fs", url, options.timeout)
            timed_out = not _scroll_and_settle(page, options.scrolls, deadline, lambda: requests)
            screenshot = page.screenshot(full_page=True, type="png", timeout=max(_ms_left(deadline), 10_000))
            thumbnail = _thumbnail(browser, screenshot, options)
        finally:
            browser.close()
    return LoadedPage(url, screenshot, thumbnail, requests, timed_out)


def _thumbnail(browser, screenshot: bytes, options: BrowserOptions) -> bytes:
    """The screenshot's first screen, scaled down by the browser itself (in a page of its own: no
    interception there, and nothing to fetch but the data: URL)."""
    height = round(THUMBNAIL_WIDTH * options.height / options.width)
    page = browser.new_page(viewport={"width": THUMBNAIL_WIDTH, "height": height})
    image = base64.b64encode(screenshot).decode("ascii")
    page.set_content(f'<body style="margin:0"><img style="display:block;width:{THUMBNAIL_WIDTH}px" '
                     f'src="data:image/png;base64,{image}"></body>')
    page.wait_for_function("() => document.images[0].complete")
    return page.screenshot(type="jpeg", quality=70)


def _scroll_and_settle(page, scrolls: int, deadline: float, requests_made: Callable[[], int]) -> bool:
    """Scroll a screen at a time until the bottom (at most `scrolls`), letting the network settle after each;
    then back to the top. False when the time cap cut a wait short."""
    settled = _network_idle(page, deadline, requests_made)
    for _ in range(scrolls):
        if time.monotonic() >= deadline:
            return False
        at_bottom = page.evaluate(_SCROLL)
        settled = _network_idle(page, deadline, requests_made) and settled
        if at_bottom:
            break
    page.evaluate("() => window.scrollTo(0, 0)")
    return _network_idle(page, deadline, requests_made) and settled


def _network_idle(page, deadline: float, requests_made: Callable[[], int]) -> bool:
    """Wait until a quiet window passes with no new request (Playwright's "networkidle" fires once per load,
    not after a scroll); our interception answers each request whole, so none is left in flight."""
    seen = requests_made()
    while time.monotonic() < deadline:
        page.wait_for_timeout(min(IDLE_WINDOW_MS, _ms_left(deadline)))  # lets the browser's events in
        if requests_made() == seen:
            return True
        seen = requests_made()
    return False


def _ms_left(deadline: float) -> float:
    return max(1.0, (deadline - time.monotonic()) * 1000)
