"""What came from the web or from a user reaches the terminal as plain text: never read as Rich markup."""

from __future__ import annotations

import os
from contextlib import ExitStack

from support.loopback import LoopbackServer, Reply
from support.pty_terminal import run_on_terminal

HOSTILE_TITLE = "Quarterly results [/b] and more [bold]:smile:"
LINK_PATH = "/p[link=http://evil.invalid/]q"
LINK_LOCAL = "http://[fe80::1]:8181/t"  # refused at once (no interface scope): nothing leaves the machine


def hostile_page(base: str) -> bytes:
    references = [f"{base}/r[/x]", f"{base}{LINK_PATH}", LINK_LOCAL]
    paragraphs = "".join(
        f"<p>Paragraph {n} of the results explains the figures in some detail, and according to "
        f"<a href=\"{url}\">source {n}</a> the quarter went better than the board had expected, "
        f"which the company confirmed in several public statements since then.</p>"
        for n, url in enumerate(references)
    )
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{HOSTILE_TITLE}</title></head>"
            f"<body><article><h1>{HOSTILE_TITLE}</h1>{paragraphs}</article></body></html>").encode()


def test_hostile_titles_and_urls_print_literally_on_a_terminal(tmp_path):
    env = {**os.environ, "ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s"}
    data_dir = str(tmp_path / "archives")
    with ExitStack() as stack:
        site = stack.enter_context(LoopbackServer())
        site.fallback = Reply(headers=(("Content-Type", "text/html; charset=utf-8"),), body=hostile_page(site.url("")))
        article = site.url("/a[/x]")

        def on_terminal(*args: str):
            run = run_on_terminal(["--data-dir", data_dir, *args], env=env, cwd=tmp_path)
            assert run.code == 0, run.text
            return run.text

        archived = on_terminal("archive", article, LINK_LOCAL)
        status = on_terminal("status")
        checked = on_terminal("check", "--all")
        report = on_terminal("report", "--format", "table", "--all")

    assert "Traceback" not in archived + status + checked + report
    for shown in (archived, status):
        assert HOSTILE_TITLE in shown and article in shown and LINK_LOCAL in shown
    assert "checked 3 URL(s)" in checked  # the references: two on the site and the link-local one
    assert HOSTILE_TITLE in report and article in report
    for reference in (site.url("/r[/x]"), site.url(LINK_PATH), LINK_LOCAL):
        assert reference in report
