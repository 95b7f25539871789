"""Browser capture: headless Chromium loads a page as a reader's browser would. The only room importing playwright.

    load_page(url, exchange, options) -> LoadedPage (full-page PNG, request count)

Every request the browser makes is intercepted and handed to `exchange` (the pipeline answers it through
the Fetcher: network guard, politeness, robots.txt, size caps, and the WARC). The browser itself reaches
nothing: it is launched behind a proxy address where nothing listens, loopback included, so a request the
interception missed (a WebSocket) fails instead of going out unguarded.
"""

from archiver.browser.session import (
    INSTALL_COMMAND,
    BrowserAnswer,
    BrowserOptions,
    LoadedPage,
    browser_missing_reason,
    load_page,
)

__all__ = ["INSTALL_COMMAND", "BrowserAnswer", "BrowserOptions", "LoadedPage", "browser_missing_reason", "load_page"]
