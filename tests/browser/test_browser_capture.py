"""Browser capture in Debian's chromium: what scripts fetch is archived, through the guard, with a screenshot.

The article on the styled loopback site has its body written by JavaScript, which also fetches JSON
and an image no HTML names; plain capture cannot see those, the browser does. Every request goes
through our Fetcher: a page whose image sits on a loopback port the guard refuses gets nothing from it
(the canary server there counts no request). Without chromium, `archive --browser` exits 3 with the
install command and plain capture is unaffected.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.cli.commands import main
from archiver.fetch import Fetcher, NetworkGuard
from archiver.pipeline import Pipeline, article_from_cli, open_pipeline, open_store
from archiver.settings import load_settings
from archiver.warc.index import IndexAsFilesClose, index_dir_of, read_index
from archiver.warc.record import WarcRecorder
from support.loopback import LoopbackServer, Reply
from support.styled_site import FILES, StyledSite
from support.warc_audit import validator_verdicts

CHROMIUM = "/usr/bin/chromium"
ENV = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
       "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0", "ARCHIVER_CAPTURE_BROWSER": "true",
       "ARCHIVER_CAPTURE_BROWSER_TIMEOUT": "30s"}


@pytest.fixture(autouse=True)
def chromium_installed():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` — browser capture is tested in the real browser")


def _entries(data_dir: Path):
    return [entry for path in sorted(index_dir_of(data_dir).glob("*.cdxj")) for entry in read_index(path)]


@pytest.mark.slow
def test_what_scripts_fetch_is_archived_with_a_screenshot(tmp_path):
    settings = load_settings(env=ENV, overrides={"storage.data_dir": str(tmp_path / "archives")})
    with StyledSite() as site:
        url = site.url("/js-article.html")
        with open_pipeline(settings) as pipeline:
            [summary] = pipeline.archive([article_from_cli(url)])
        assert summary.captured
    entries = {entry.url: entry for entry in _entries(settings.storage.data_dir)}
    for path in ("/css/site.css", "/api/data.json", "/img/scripted.png"):  # the last two only a script names
        assert site.url(path) in entries, path
    screenshot = entries[f"urn:screenshot:{url}"]
    assert screenshot.mime == "image/png"
    assert entries[f"urn:thumbnail:{url}"].mime == "image/jpeg"
    records = []
    for warc in settings.storage.warc_dir.glob("*.warc.gz"):
        verdicts = validator_verdicts(warc, tmp_path)
        assert all(verdict.startswith("pass") for verdict in verdicts.values()), verdicts
        with open(warc, "rb") as stream:
            records += [(r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(stream)]
    [(headers, png)] = [(h, body) for h, body in records if h.get_header("WARC-Target-URI") == f"urn:screenshot:{url}"]
    assert headers.get_header("WARC-Type") == "resource" and png.startswith(b"\x89PNG\r\n\x1a\n")
    digest = "sha1:" + base64.b32encode(hashlib.sha1(png).digest()).decode("ascii")  # payload = block (WARC/1.1)
    assert headers.get_header("WARC-Payload-Digest") == headers.get_header("WARC-Block-Digest") == digest
    # The page's metadata record names each browser request and the screenshot.
    [ties] = [body.decode() for h, body in records if h.get_header("WARC-Type") == "metadata"
              and h.get_header("WARC-Target-URI") == url and b"screenshot: " in body]
    assert f"embed: {site.url('/api/data.json')} browser <urn:uuid:" in ties
    assert f"screenshot: {headers.get_header('WARC-Record-ID')}" in ties
    with open_store(settings) as store:
        rows = store.captures_for_url(f"urn:screenshot:{url}")
        latest, _ = store.last_complete_captures([url])[url]
    assert [row.content_type for row in rows] == ["image/png"]
    assert latest.text_hash is not None  # the page's latest row is our fetch's: the next capture's baseline
    # The HTML report shows the thumbnail beside the archived-copy link, inline (the report fetches nothing).
    [thumbnail] = [body for h, body in records if h.get_header("WARC-Target-URI") == f"urn:thumbnail:{url}"]
    # The default page lists failing references only; --all writes every article's own page.
    site_dir = tmp_path / "report"
    assert main(["--data-dir", str(settings.storage.data_dir), "report", "--format", "html", "--all",
                 "-o", str(site_dir)]) in (0, 2)
    [html] = [page.read_text("utf-8") for page in (site_dir / "article").glob("*.html")]
    copy_link = html.index('class="copy"')
    shown = html.index(f'<img src="data:image/jpeg;base64,{base64.b64encode(thumbnail).decode()}"')
    assert copy_link < shown < copy_link + 600


@pytest.mark.slow
def test_the_browser_reaches_nothing_the_guard_refuses(tmp_path):
    settings = load_settings(env={**ENV, "ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "false"},
                             overrides={"storage.data_dir": str(tmp_path / "archives")})
    with StyledSite() as site, LoopbackServer({"/canary.png": Reply(200, body=b"x")}) as canary:
        page = f'<html><body><h1>Guarded</h1><p>{"Text. " * 80}</p><img src="{canary.url("/canary.png")}"></body></html>'
        FILES["/guarded.html"] = ("text/html", page.encode())
        site.routes["/guarded.html"] = site.routes["/article.html"]
        try:
            guard = NetworkGuard(allowed_endpoints=[("127.0.0.1", site.port)])  # the site, and nothing else
            fetcher = Fetcher(settings.fetch, guard=guard)
            recorder = WarcRecorder(settings.storage.warc_dir,
                                    on_published=IndexAsFilesClose(index_dir_of(settings.storage.data_dir)))
            with open_store(settings) as store:
                [summary] = Pipeline(settings, store, fetcher, recorder).archive([article_from_cli(site.url("/guarded.html"))])
                recorder.close()
                fetcher.close()
        finally:
            del FILES["/guarded.html"]
    assert summary.captured
    assert canary.requests == []  # neither our fetcher nor the browser itself reached it
    entries = {entry.url for entry in _entries(settings.storage.data_dir)}
    assert f"urn:screenshot:{site.url('/guarded.html')}" in entries and canary.url("/canary.png") not in entries


def test_without_chromium_browser_capture_exits_3_with_the_install_command(tmp_path, monkeypatch, capsys):
    with StyledSite() as site:
        monkeypatch.setenv("ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
        monkeypatch.setenv("ARCHIVER_CAPTURE_BROWSER_EXECUTABLE", str(tmp_path / "no-chromium"))
        data_dir = str(tmp_path / "archives")
        assert main(["--data-dir", data_dir, "archive", "--browser", site.url("/article.html")]) == 3
        assert "apt-get install chromium" in capsys.readouterr().err
        assert not site.fetched  # refused before any fetch
        assert main(["--data-dir", data_dir, "archive", site.url("/article.html")]) == 0  # plain capture unaffected
        assert site.fetched["/article.html"] == 1
