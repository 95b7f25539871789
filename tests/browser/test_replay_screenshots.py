"""The page as its reader saw it: live and replayed screenshots, in Debian's chromium, differ by under 1% of pixels.

A styled loopback article (stylesheet with @import, CSS background, web font, srcset, <picture>, a lazy
image a script swaps in, an iframe) is archived with its requisites; the site is stopped; `archiver
replay` serves it through pywb; Chromium (driven by Playwright, executable /usr/bin/chromium) screenshots
the live page, and the copy inside pywb's frame as the report's archived-copy link opens it. A pixel
counts as different when a colour channel differs by more than 32 of 255; THRESHOLD is the share allowed.
The same live page with its requisites refused (what an archive of the HTML alone replays as) must
differ by more than the threshold, so the comparison can fail. Without chromium the test fails: run
`make chromium`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import load_settings
from archiver.warc.index import find_captures, index_dir_of
from support.replay_process import COLLECTION, free_port, start_replay, wait_until_serving
from support.styled_site import StyledSite

CHROMIUM = "/usr/bin/chromium"
THRESHOLD = 0.01  # at most 1% of pixels may differ between the live page and its replay
CHANNEL_TOLERANCE = 32  # anti-aliasing and font hinting differ by a few levels, never by this much
VIEWPORT = {"width": 1280, "height": 1000}  # taller than the page: full-page and iframe shots match


IMAGES_DONE = "() => Array.from(document.images).every(i => i.complete)"


@contextmanager
def chromium_page(viewport: dict) -> Iterator:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` — the replay must be looked at in a real browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                   "--font-render-hinting=none"])
        try:
            yield browser.new_page(viewport=viewport)
        finally:
            browser.close()


def screenshot(url: str, *, block_requisites_of: str | None = None) -> Image.Image:
    """A full-page PNG of `url` once its network is idle; optionally with every request but the page refused."""
    with chromium_page(VIEWPORT) as page:
        if block_requisites_of:
            page.route("**/*", lambda route, request: route.continue_() if request.url == block_requisites_of
                       else route.abort())
        page.goto(url, wait_until="networkidle", timeout=60_000)
        page.wait_for_function(IMAGES_DONE, timeout=30_000)
        return Image.open(BytesIO(page.screenshot(full_page=True))).convert("RGB")


def replay_screenshot(replay_url: str) -> Image.Image:
    """The archived page as the report's link opens it: pywb's frame, its banner on top and the page in an
    iframe below. The iframe is made VIEWPORT's size (the window grows by the banner) and shot alone."""
    with chromium_page(VIEWPORT) as page:
        page.goto(replay_url, wait_until="networkidle", timeout=60_000)
        frame = page.locator("#wb_iframe_div iframe")
        banner = frame.bounding_box()["y"]
        page.set_viewport_size({"width": VIEWPORT["width"], "height": VIEWPORT["height"] + round(banner)})
        content = next(f for f in page.frames if f != page.main_frame and "mp_/" in f.url)
        content.wait_for_load_state("networkidle", timeout=60_000)
        content.wait_for_function(IMAGES_DONE, timeout=30_000)
        return Image.open(BytesIO(frame.screenshot())).convert("RGB")


def differing_share(one: Image.Image, other: Image.Image) -> float:
    """Share of pixels that differ (beyond CHANNEL_TOLERANCE), the parts only one image covers included."""
    width, height = max(one.width, other.width), max(one.height, other.height)
    canvas = [Image.new("RGB", (width, height), (255, 0, 255)) for _ in range(2)]
    canvas[0].paste(one)
    canvas[1].paste(other)
    difference = ImageChops.difference(*canvas).convert("L").point(lambda level: 255 if level > CHANNEL_TOLERANCE else 0)
    return difference.histogram()[255] / (width * height)


@pytest.mark.slow
@pytest.mark.parametrize("mode, path", [("plain", "/article.html"), ("browser", "/js-article.html")])
def test_the_replay_looks_like_the_live_page(tmp_path, mode, path):
    """Plain capture of the styled article; browser capture of the article whose body, and an image in it,
    a script writes (plain capture cannot know that image)."""
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
           "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0", "ARCHIVER_CAPTURE_BROWSER": str(mode == "browser").lower()}
    settings = load_settings(env=env, overrides={"storage.data_dir": str(tmp_path / "archives")})
    with StyledSite() as site:
        url = site.url(path)
        live = screenshot(url)
        unstyled = screenshot(url, block_requisites_of=url)
        with open_pipeline(settings) as pipeline:
            [summary] = pipeline.archive([article_from_cli(url)])
        assert summary.captured
    # The site is gone: whatever the browser shows now comes from the archive.
    # One capture of the page; two in browser mode (our fetch, and the browser's own request for it).
    capture = find_captures(index_dir_of(settings.storage.data_dir), url)[-1]
    port = free_port()
    template = f"http://127.0.0.1:{port}/{COLLECTION}/{{timestamp}}/{{url}}"
    with start_replay(tmp_path, settings.storage.data_dir, template) as process:
        wait_until_serving(process, tmp_path, port)
        replayed = replay_screenshot(template.format(timestamp=capture.timestamp, url=url))
    for name, image in (("live", live), ("replay", replayed), ("html-only", unstyled)):
        image.save(tmp_path / f"{name}.png")
    print(f"\nscreenshots: {tmp_path}/live.png {tmp_path}/replay.png {tmp_path}/html-only.png")
    html_only = differing_share(live, unstyled)
    assert html_only > THRESHOLD, f"the HTML alone differs by only {html_only:.2%}: the comparison proves nothing"
    share = differing_share(live, replayed)
    assert share < THRESHOLD, f"replay differs from the live page in {share:.2%} of pixels (allowed {THRESHOLD:.0%})"
