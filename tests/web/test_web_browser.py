"""The review UI in a real browser: Debian's chromium, driven by Playwright (`make test` installs chromium).

Without /usr/bin/chromium these tests FAIL, as the HTML report's browser test does: a skipped browser
test would hide that nobody looked at the pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from support.articles import ARTICLE_TEXT, SENTENCES
from support.articles import page as article_html
from support.loopback import LoopbackServer, Reply
from support.report_history import HOSTILE_TITLE, history_settings, shared_report_history
from support.web_ui import TOKEN, history_copy, serving, with_token

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
HTML = (("Content-Type", "text/html; charset=utf-8"),)
JOB_SECONDS = 60_000  # milliseconds a background job may take on a loaded machine


@pytest.fixture(scope="module")
def browser():
    binary = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if binary is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=binary, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def tab(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    return shared_report_history(tmp_path_factory)


@pytest.fixture
def ui(history, tmp_path):
    with serving(history_copy(history, tmp_path)) as served:
        yield served


def _log_in(tab: Page, ui) -> None:
    tab.goto(f"{ui.url}/login")
    tab.fill("#login-name", "Ana")
    tab.fill("#login-token", TOKEN)
    tab.click("#login-button")
    assert "signed in as Ana" in tab.inner_text("nav")


def test_search_filter_open_an_article_and_its_diff(tab, ui, history):
    tab.goto(f"{ui.url}/articles")
    tab.fill("#search-text", "council budget")
    tab.click("#search-button")
    titles = tab.locator("a.article-link").all_inner_texts()
    assert titles == [HOSTILE_TITLE]  # the payloads shown as text
    assert "XSS" not in tab.title()  # no archived script ran

    tab.fill("#search-text", "")
    tab.select_option("#search-verdict", "unchecked")
    tab.click("#search-button")
    assert tab.locator("#no-articles").count() == 1  # both articles have verdicts
    verdict = ui.store.article_row(ui.store.get_article_id(history.article_url))["verdict"]
    tab.select_option("#search-verdict", verdict)
    tab.click("#search-button")
    assert set(tab.locator("#articles td:first-child .badge").all_inner_texts()) == {verdict}

    tab.goto(f"{ui.url}/articles")
    tab.locator("a.article-link", has_text="Link health").click()
    assert tab.inner_text("#article-title") == "Link health"
    badges = tab.locator("#references td:first-child .badge").all_inner_texts()
    assert {"dead", "rotten", "drifted", "alive", "moved"} <= set(badges)
    tab.locator("a.diff-link").first.click()
    assert tab.locator("table.diff tr.changed, table.diff tr.added").count() > 0
    assert "Update: the council has since withdrawn" in tab.inner_text("table.diff")


def test_an_action_is_refused_without_a_login(tab, ui, history):
    article_id = ui.store.get_article_id(history.article_url)
    tab.goto(f"{ui.url}/articles/{article_id}")
    tab.click("#recheck-button")
    assert "log in to act" in tab.inner_text("#error-message")
    assert ui.jobs.recent() == []


def test_a_post_without_the_csrf_token_is_refused(tab, ui):
    _log_in(tab, ui)
    refused = tab.context.request.post(f"{ui.url}/actions/archive", form={"url": "http://127.0.0.1:9/x"})
    assert refused.status == 400 and "CSRF" in refused.text()
    # A page on another origin posting the same form: no token, and the Strict cookie stays home.
    form = (f'<form method="post" action="{ui.url}/actions/archive"><input name="url" value="http://127.0.0.1:9/x">'
            f'<button id="go">go</button></form>').encode()
    with LoopbackServer({"/": Reply(headers=HTML, body=form)}, host="127.0.0.2") as elsewhere:
        tab.goto(elsewhere.url("/"))
        tab.click("#go")
        assert "CSRF token is missing" in tab.inner_text("#error-message")
    assert ui.jobs.recent() == []


def test_archive_then_recheck_against_a_loopback_site_shows_the_result(tab, tmp_path):
    state = {"reference": Reply(headers=HTML, body=article_html("Evidence", ARTICLE_TEXT))}
    with LoopbackServer() as site:
        body = f'<p>{SENTENCES[0]} As <a href="{site.url("/evidence.html")}">the evidence</a> shows.</p>'
        site.routes.update({"/story.html": Reply(headers=HTML, body=article_html("Budget story", ARTICLE_TEXT, body)),
                            "/evidence.html": lambda seen: state["reference"]})
        settings = with_token(history_settings(tmp_path / "archives"))
        with serving(settings) as ui:
            _log_in(tab, ui)
            tab.fill("#archive-url", site.url("/story.html"))
            tab.click("#archive-button")
            tab.wait_for_selector("#job-state.job-done", timeout=JOB_SECONDS)  # the page reloads itself
            assert "captured Budget story" in tab.inner_text("#job-result")
            tab.click("#job-article")
            row = tab.locator("#references tbody tr", has_text="evidence.html")
            assert row.locator(".badge").first.inner_text() == "alive"

            state["reference"] = Reply(404, headers=HTML, body=b"<h1>Not Found</h1>")
            tab.click("#recheck-button")
            tab.wait_for_selector("#job-state.job-done", timeout=JOB_SECONDS)
            assert "checked" in tab.inner_text("#job-result")
            tab.click("#job-article")
            row = tab.locator("#references tbody tr", has_text="evidence.html")
            assert "not_found (404)" in row.locator("ul.checks li").first.inner_text()
            assert row.locator(".badge").first.inner_text() == "suspect"  # one failure: not yet confirmed dead
