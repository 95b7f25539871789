"""The HTML report: self-contained, inert against hostile archived content, and what a real browser shows.

The browser test runs Debian's chromium headless (`make test` installs it). Without
it the test FAILS: a skipped browser test would hide that nobody looked at the page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from archiver.cli.commands import main
from archiver.report.formats.as_html import CONTENT_SECURITY_POLICY
from support.report_history import HOSTILE, HOSTILE_TITLE, shared_report_history, validated_report

CHROMIUM = "/usr/bin/chromium"
HOSTILE_REPORT_TITLE = f"Link health: {HOSTILE_TITLE}"  # the report of the hostile article alone
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")
# Every tag the template writes; archived text must never add one.
TEMPLATE_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "dl", "div", "dt",
                 "dd", "main", "section", "ul", "li", "span", "a", "svg", "line", "text", "g", "rect", "article",
                 "details", "summary", "table", "thead", "tbody", "tr", "th", "td", "br", "footer"}


@pytest.fixture(scope="session")
def history(tmp_path_factory):
    return shared_report_history(tmp_path_factory)


@pytest.fixture
def write_report(history, tmp_path, monkeypatch):
    """archiver report --format FORMAT [ARGS] -o <tmp>/NAME -> the file's path (exit code 2: the history has dead links)."""
    monkeypatch.chdir(tmp_path)

    def write(format_name: str, name: str, *args: str) -> Path:
        target = tmp_path / name
        assert main(["--data-dir", str(history.data_dir), "report", "--format", format_name, *args,
                     "-o", str(target)]) == 2
        return target

    return write


class _Page(HTMLParser):
    """Tags, attributes, <title> text and the numbers of the summary (id="count-...")."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self.counts: dict[str, int] = {}
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        first_title = tag == "title" and not any(seen == "title" for seen, _ in self.tags[:-1])  # not the SVG's
        self._in = "title" if first_title else attributes.get("id", "") if tag == "dd" else None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in and self._in.startswith("count-"):
            self.counts[self._in.removeprefix("count-")] = int(data)

    def handle_endtag(self, tag):
        self._in = None


def test_hostile_archived_content_is_escaped_everywhere(write_report, history):
    html = write_report("html", "hostile.html", "--article", history.hostile_article_url).read_text("utf-8")
    for payload in HOSTILE:
        assert payload not in html, payload
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the payloads are there, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;svg onload=alert(1)&gt;" in html
    page = _Page(html)
    assert {tag for tag, _ in page.tags} <= TEMPLATE_TAGS
    assert not [(tag, name) for tag, attrs in page.tags for name in attrs if name.startswith("on")]
    assert [tag for tag, _ in page.tags].count("svg") == 1  # the chart, and no archived one
    assert page.title == HOSTILE_REPORT_TITLE


def test_page_is_self_contained_and_forbids_scripts_and_fetches(write_report, history):
    html = write_report("html", "report.html").read_text("utf-8")
    report_json = validated_report(write_report("json", "report.json").read_text("utf-8"))
    assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY.replace(chr(39), "&#39;")}">' in html
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY and "script-src" not in CONTENT_SECURITY_POLICY
    # Nothing the browser would fetch: no http(s) src, no CSS url() or @import, no fetching element at all.
    assert not re.findall(r"""\bsrc(set)?\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.findall(r"""url\(\s*["']?\s*(https?:)?//""", html, re.I) and "@import" not in html
    page = _Page(html)
    assert not {"script", "link", "img", "iframe", "object", "embed", "video", "audio", "source"} & {t for t, _ in page.tags}
    assert not [(tag, name) for tag, attrs in page.tags for name in attrs if name in ("src", "srcset", "poster", "action")]
    # The only links out: the articles, their references and our archived copies of them.
    allowed = {article["url"] for article in report_json["articles"]}
    for article in report_json["articles"]:
        allowed |= {link["url"] for link in article["links"]}
        copies = [article["archived_copy"], *(link["archived_copy"] for link in article["links"])]
        allowed |= {copy["replay_url"] for copy in copies if copy}
    hrefs = {attrs["href"] for _, attrs in page.tags if "href" in attrs}
    assert hrefs == {unescape(href) for href in re.findall(r'\bhref="([^"]*)"', html)}
    assert {href for href in hrefs if not href.startswith("#")} <= allowed
    assert all(href.startswith(("#", "http://", "https://")) for href in hrefs)  # never mailto:, javascript: ...


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    binary = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if binary is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium) — "
                    "the HTML report must be checked in a real browser, so this test fails rather than skips")
    command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result


def test_chromium_shows_the_json_numbers_and_runs_no_archived_script(write_report, history, tmp_path):
    report_json = validated_report(write_report("json", "report.json").read_text("utf-8"))
    full = write_report("html", "report.html")
    dom = _Page(_chromium("--dump-dom", full.as_uri(), profile=tmp_path / "profile").stdout)
    summary = report_json["summary"]
    expected = {"articles": summary["articles"], "references": summary["references"], "failing": summary["failing"],
                **summary["by_verdict"]}
    assert dom.counts == expected
    assert dom.title == "Link health report"

    hostile = write_report("html", "hostile.html", "--article", history.hostile_article_url)
    dom = _Page(_chromium("--dump-dom", hostile.as_uri(), profile=tmp_path / "profile").stdout)
    assert dom.title == HOSTILE_REPORT_TITLE  # a script that ran would have retitled the page "XSS"
    assert not [tag for tag, _ in dom.tags if tag in ("script", "img", "iframe")]

    screenshot = tmp_path / "report.png"
    _chromium(f"--screenshot={screenshot}", "--window-size=1366,900", full.as_uri(), profile=tmp_path / "profile")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"\nscreenshot of the HTML report: {screenshot}")


def test_all_writes_an_index_a_paged_article_list_and_a_page_per_article(history, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    site = tmp_path / "site"
    assert main(["--data-dir", str(history.data_dir), "report", "--format", "html", "--all", "-o", str(site)]) == 2
    assert main(["--data-dir", str(history.data_dir), "report", "--format", "html", "--all"]) == 3  # needs -o
    assert "-o FOLDER" in capsys.readouterr().err
    index = (site / "index.html").read_text("utf-8")
    assert 'href="articles-1.html"' in index and (site / "articles-1.html").is_file()
    listing = (site / "articles-1.html").read_text("utf-8")
    pages = sorted(site.glob("article/*.html"))
    assert len(pages) == 2 and all(f'href="article/{page.name}"' in listing for page in pages)
    hostile = next(page.read_text("utf-8") for page in pages if "council page" in page.read_text("utf-8"))
    for html in (index, listing, hostile):
        parsed = _Page(html)
        assert {tag for tag, _ in parsed.tags} <= TEMPLATE_TAGS
        assert f'content="{CONTENT_SECURITY_POLICY.replace(chr(39), "&#39;")}"' in html
    for payload in HOSTILE:
        assert payload not in hostile and payload not in listing
    assert _Page(hostile).title == HOSTILE_TITLE
