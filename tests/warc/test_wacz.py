"""`archiver export --wacz`: packages `wacz validate` accepts, with pages, their text, and only what was selected."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from contextlib import ExitStack
from pathlib import Path

import pytest

from archiver.cli.commands import main
from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.settings import load_settings
from support.fakeweb import HTML, reference_page, serve_fakeweb
from support.loopback import Reply
from support.warc_audit import audit_warc

BIN = Path(sys.executable).parent
OTHER_PATH = "/2022/08/01/another-story"


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """Two articles in the same WARC files: the fakeweb article (three runs) and a second one (the first run)."""
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s", "ARCHIVER_STORAGE_WARC_MAX_BYTES": "1MB"}
    data_dir = tmp_path_factory.mktemp("wacz") / "archives"
    settings = load_settings(env=env, overrides={"storage.data_dir": str(data_dir)})
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        web.news.routes[OTHER_PATH] = Reply(headers=HTML, body=reference_page("Another story", 6))
        other = web.news.url(OTHER_PATH)
        for run in range(3):
            with open_pipeline(settings) as pipeline:
                pipeline.archive([article_from_cli(url) for url in ([web.article_url, other] if run == 0 else
                                                                     [web.article_url])])
    return settings, web.article_url, other


def export(settings, target: Path, *options: str) -> int:
    return main(["--data-dir", str(settings.storage.data_dir), "export", "--wacz", str(target), *options])


def validate(path: Path) -> None:
    result = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(path)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0 and "Validation succeeded" in result.stdout, result.stdout + result.stderr


def unpack(path: Path, into: Path) -> dict:
    with zipfile.ZipFile(path) as package:
        package.extractall(into)
        stored = {info.filename: info.compress_type for info in package.infolist()}
    pages = [json.loads(line) for line in (into / "pages" / "pages.jsonl").read_text().splitlines()]
    index = [json.loads(line.split(" ", 2)[2]) for line in (into / "indexes" / "index.cdxj").read_text().splitlines()]
    records = [r for warc in sorted((into / "archive").iterdir()) for r in audit_warc(warc)]
    return {"stored": stored, "pages": pages, "index": index, "records": records,
            "package": json.loads((into / "datapackage.json").read_text())}


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config/archiver.toml here: defaults apply
    return tmp_path


def test_a_full_export_holds_every_warc_whole_and_validates(archived, cwd):
    settings, article_url, other = archived
    assert export(settings, cwd / "all.wacz") == 0
    validate(cwd / "all.wacz")
    got = unpack(cwd / "all.wacz", cwd / "all")

    warcs = sorted(settings.storage.warc_dir.glob("*.warc.gz"))
    assert sorted(p.name for p in (cwd / "all" / "archive").iterdir()) == [w.name for w in warcs]
    for warc in warcs:
        assert (cwd / "all" / "archive" / warc.name).read_bytes() == warc.read_bytes()
        assert got["stored"][f"archive/{warc.name}"] == zipfile.ZIP_STORED
    assert got["package"]["wacz_version"] == "1.1.1"
    assert {r["path"] for r in got["package"]["resources"]} == set(got["stored"]) - {
        "datapackage.json", "datapackage-digest.json"}
    assert len(got["index"]) == sum(r["type"] in ("response", "revisit") for r in got["records"])

    header, *pages = got["pages"]
    assert header["format"] == "json-pages-1.0"
    # Every capture of each article page: three of the first article, one of the other.
    assert sorted(p["url"] for p in pages) == sorted([article_url] * 3 + [other])
    titles = {p["url"]: p["title"] for p in pages}
    assert titles == {article_url: "Builders to help with reconstruction, ambassador says", other: "Another story"}
    assert all("Paragraph 0 of the story" in p["text"] for p in pages if p["url"] == article_url)
    assert all(p["ts"].endswith("Z") for p in pages)


def test_an_article_export_holds_only_that_articles_records(archived, cwd):
    settings, article_url, other = archived
    assert export(settings, cwd / "other.wacz", "--article", other) == 0
    validate(cwd / "other.wacz")
    got = unpack(cwd / "other.wacz", cwd / "other")
    uris = {r["uri"] for r in got["records"] if r["type"] != "warcinfo"}
    assert uris == {other}  # its response, request (and metadata, if it had outlinks): nothing of the first article
    assert [p["url"] for p in got["pages"][1:]] == [other]
    assert [line["url"] for line in got["index"]] == [other]

    assert export(settings, cwd / "first.wacz", "--article", article_url) == 0
    validate(cwd / "first.wacz")
    got = unpack(cwd / "first.wacz", cwd / "first")
    with open_store(settings) as store:
        article_id = store.get_article_id(article_url)
        requested = [article_url] + [link["url"] for link in store.links_for_article(article_id)]
        expected = {c.record_id for hops in store.report_captures(requested).values() for _, c in hops if c.record_id}
    indexed = {r["record_id"] for r in got["records"] if r["type"] in ("response", "revisit")}
    assert indexed == expected and other not in {r["uri"] for r in got["records"]}


def test_a_since_export_keeps_the_responses_its_revisits_stand_for(archived, cwd):
    settings, article_url, _ = archived
    with open_store(settings) as store:
        first, *later = [c for c in store.captures_for_url(article_url)][::-1]  # oldest first
    since = later[0].fetched_at.isoformat()
    assert export(settings, cwd / "since.wacz", "--since", since) == 0
    validate(cwd / "since.wacz")
    got = unpack(cwd / "since.wacz", cwd / "since")
    by_id = {r["record_id"]: r for r in got["records"]}
    revisits = [r for r in got["records"] if r["type"] == "revisit"]
    assert revisits and all(r["refers_to"] in by_id for r in revisits)
    assert first.record_id in by_id  # the original response, from before --since
    assert [p["url"] for p in got["pages"][1:]] == [article_url] * len(later)


def test_an_unknown_article_is_a_usage_error(archived, cwd, capsys):
    settings, _, _ = archived
    assert export(settings, cwd / "x.wacz", "--article", "http://never.test/") == 3
    assert "no article registered" in capsys.readouterr().err
    assert not (cwd / "x.wacz").exists()


def test_an_export_into_a_folder_that_does_not_exist_is_a_usage_error_and_makes_no_folder(archived, cwd, capsys):
    settings, _, _ = archived
    missing = cwd / "no" / "such"
    assert export(settings, missing / "x.wacz") == 3
    assert f"its folder {missing} does not exist" in capsys.readouterr().err
    assert not (cwd / "no").exists()
