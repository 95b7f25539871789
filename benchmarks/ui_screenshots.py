"""The README's screenshots of the review UI: the report tests' loopback history, served and shot in chromium.

    .venv/bin/python benchmarks/ui_screenshots.py [--out docs]

Builds the same two-article history the report tests use (tests/support/report_history.py: the real
pipeline on loopback sites, three checks over three days), serves it with `create_app`, logs in, sets
one reviewer override, and writes docs/ui-*.png with Debian's /usr/bin/chromium through Playwright.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from support.report_history import build_report_history  # noqa: E402
from support.web_ui import TOKEN, serving, with_token  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs")
    out = Path(parser.parse_args().out)
    with tempfile.TemporaryDirectory() as scratch:
        history = build_report_history(Path(scratch) / "archives")
        with serving(with_token(history.settings)) as ui, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(f"{ui.url}/login")
            tab.fill("#login-name", "Ana")
            tab.fill("#login-token", TOKEN)
            tab.click("#login-button")
            article_id = ui.store.get_article_id(history.article_url)
            tab.goto(f"{ui.url}/link?url={quote(history.urls['bot_blocked'], safe='')}")
            tab.select_option("select[name=kind]", "fine")
            tab.fill("input[name=note]", "opens in a browser; blocks bots")
            tab.click(".override-form button")
            tab.goto(f"{ui.url}/")  # starts the background count the dashboard shows
            for _ in range(60):  # bounded: the count of two articles takes a moment at most
                if tab.locator("#count-articles").count():
                    break
                tab.wait_for_timeout(500)
                tab.reload()
            shots = {"ui-dashboard.png": "/", "ui-articles.png": "/articles?q=council",
                     "ui-article.png": f"/articles/{article_id}",
                     "ui-diff.png": f"/diff?url={quote(history.urls['drifted'], safe='')}&article={article_id}",
                     "ui-link.png": f"/link?url={quote(history.urls['not_found'], safe='')}"}
            for name, path in shots.items():
                tab.goto(f"{ui.url}{path}")
                tab.screenshot(path=str(out / name), full_page=name != "ui-article.png")
                print(out / name)
            browser.close()


if __name__ == "__main__":
    main()
