"""Which URLs the CLI takes as articles, and how it says no: once, naming the URL, exit 3."""

from __future__ import annotations

import json

import pytest

from archiver.cli.commands import main
from support.articles import SENTENCES
from support.loopback import LoopbackServer, Reply

NOT_HTTP = ["ftp://x", "javascript:alert(1)", "file:///etc/passwd", "data:text/html,<h1>hi</h1>", "mailto:a@b.invalid"]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("ARCHIVER_FETCH_PER_HOST_DELAY", "0s")
    return str(tmp_path / "archives")


def test_non_http_articles_are_refused_and_body_script_links_kept_as_unsupported(data_dir, capsys):
    for verb in ("archive", "add"):
        for url in NOT_HTTP:
            assert main(["--data-dir", data_dir, verb, url]) == 3, (verb, url)
            error = capsys.readouterr().err
            assert repr(url) in error and "only http and https" in error, error
    assert main(["--data-dir", data_dir, "status"]) == 0
    assert "0 article(s)" in capsys.readouterr().out  # nothing registered

    body = "".join(f"<p>{sentence} <a href=\"javascript:openGallery({n})\">see the gallery</a>.</p>"
                   for n, sentence in enumerate(SENTENCES))
    page = f"<html><head><title>Gallery</title></head><body><article>{body}</article></body></html>".encode()
    with LoopbackServer({"/story": Reply(headers=(("Content-Type", "text/html"),), body=page)}) as site:
        assert main(["--data-dir", data_dir, "archive", site.url("/story")]) == 0
    assert "unsupported 8" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "report", "--format", "json"]) == 0
    [article] = json.loads(capsys.readouterr().out)["articles"]
    assert [(link["url"], link["observation"]) for link in article["links"]][:2] == \
        [("javascript:openGallery(0)", "unsupported"), ("javascript:openGallery(1)", "unsupported")]


@pytest.mark.parametrize("verb", ["archive", "add"])
def test_a_bad_url_is_named_once(data_dir, capsys, verb):
    assert main(["--data-dir", data_dir, verb, "http://exa mple.com/"]) == 3
    error = capsys.readouterr().err
    assert error.count("invalid URL") == 1 and error.count("exa mple") == 1, error
