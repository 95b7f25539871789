"""Feeds and sitemaps as article sources: parsing, bounds, fetching through the Fetcher, capture once."""

from __future__ import annotations

import gzip
from contextlib import ExitStack, contextmanager

import pytest

from archiver.daemon.jobs import JobContext, capture
from archiver.fetch import Fetcher
from archiver.pipeline import open_store, source_fetch_settings
from archiver.settings import load_settings
from archiver.sources.documents import load_configured_sources, load_sources
from archiver.sources.feeds import parse_feed, parse_sitemap, read_remote_feed, read_remote_sitemap
from support.fakeweb import HTML, reference_page
from support.loopback import LoopbackServer, Reply

XML = (("Content-Type", "application/xml"),)
SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f"<item><title>{title}</title><link>{link}</link>"
                      f"<pubDate>Tue, 19 Jul 2022 10:00:00 GMT</pubDate></item>" for title, link in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{entries}</channel></rss>'.encode()


def urlset(urls: list[str]) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {SITEMAP_NS}>{"".join(f"<url><loc>{u}</loc></url>" for u in urls)}</urlset>'.encode()


def sitemap_index(urls: list[str]) -> bytes:
    return f'<sitemapindex {SITEMAP_NS}>{"".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)}</sitemapindex>'.encode()


def test_rss_entries_become_articles_with_title_and_date():
    articles, errors = parse_feed(rss([("One", "/news/one"), ("Two", "https://news.test/two#comments")]),
                                  "https://news.test/feed.xml", base="https://news.test/feed.xml")
    assert [a.url for a in articles] == ["https://news.test/news/one", "https://news.test/two"]
    assert articles[0].seed_title == "One" and "2022" in articles[0].seed_date
    assert articles[0].source == "https://news.test/feed.xml" and errors == []


def test_atom_entries_use_their_alternate_link_and_bad_entries_are_reported():
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title>A</title><link rel="alternate" href="https://news.test/a"/><updated>2024-01-01T00:00:00Z</updated></entry>
      <entry><title>No link</title></entry>
      <entry><title>Mail</title><link href="mailto:desk@news.test"/></entry></feed>"""
    articles, errors = parse_feed(atom, "feed.atom")
    assert [a.url for a in articles] == ["https://news.test/a"]
    assert len(errors) == 2 and all("feed.atom" in str(e) for e in errors)


@pytest.mark.parametrize("body", [b"<html><body>a page</body></html>", b"/etc/passwd", b""])
def test_something_else_is_not_a_feed(body):
    articles, errors = parse_feed(body, "https://news.test/feed")
    assert articles == [] and "not an RSS or Atom feed" in str(errors[0])


def test_sitemap_urlset_and_index():
    found = parse_sitemap(urlset(["https://news.test/a", "https://news.test/b", "ftp://x/y"]), "s.xml", max_urls=10)
    assert [a.url for a in found.articles] == ["https://news.test/a", "https://news.test/b"]
    assert len(found.errors) == 1 and found.children == []
    index = parse_sitemap(sitemap_index(["https://news.test/s1.xml"]), "i.xml", max_urls=10)
    assert index.children == ["https://news.test/s1.xml"] and index.articles == []


def test_sitemap_bounds_and_hostile_xml():
    capped = parse_sitemap(urlset([f"https://news.test/{n}" for n in range(30)]), "big.xml", max_urls=10)
    assert len(capped.articles) == 10 and "only the first 10" in str(capped.errors[0])
    entity = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
              b'<urlset><url><loc>https://news.test/&x;</loc></url></urlset>')
    assert all("root:" not in a.url for a in parse_sitemap(entity, "xxe.xml", max_urls=10).articles)
    assert "not a sitemap" in str(parse_sitemap(b"<html/>", "page", max_urls=10).errors[0])
    assert "well-formed" in str(parse_sitemap(b"<urlset", "cut", max_urls=10).errors[0])


def test_feed_and_sitemap_files_are_recognised_by_their_root(tmp_path):
    (tmp_path / "feed.xml").write_bytes(rss([("One", "https://news.test/one")]))
    (tmp_path / "sitemap.xml").write_bytes(urlset(["https://news.test/two"]))
    (tmp_path / "list.txt").write_text("https://news.test/three\n")
    articles, errors = load_sources([tmp_path])
    assert sorted(a.url for a in articles) == [f"https://news.test/{n}" for n in ("one", "three", "two")]
    assert errors == []


@pytest.fixture
def site():
    with LoopbackServer() as server:
        yield server


def fetch_settings(**overrides):
    values = {"fetch.allow_private_networks": True, "fetch.total_timeout": "20s", "fetch.per_host_delay": 0,
              "fetch.retries": 0, "fetch.respect_robots": False, **overrides}
    return load_settings(env={}, overrides=values)


@contextmanager
def source_fetcher(settings):
    fetcher = Fetcher(source_fetch_settings(settings))
    try:
        yield fetcher
    finally:
        fetcher.close()


def test_a_sitemap_index_is_followed_one_level_within_its_bounds(site):
    site.routes["/sitemap.xml"] = Reply(headers=XML, body=sitemap_index([site.url(f"/s{n}.xml.gz") for n in (1, 2, 3)]))
    for n in (1, 2, 3):
        site.routes[f"/s{n}.xml.gz"] = Reply(headers=(("Content-Type", "application/gzip"),),
                                             body=gzip.compress(urlset([site.url(f"/{n}/a"), site.url(f"/{n}/b")])))
    with source_fetcher(fetch_settings()) as fetcher:
        articles, errors = read_remote_sitemap(fetcher, site.url("/sitemap.xml"), max_bytes=1_000_000, max_urls=10,
                                               max_sitemaps=2)
    assert [a.url for a in articles] == [site.url(p) for p in ("/1/a", "/1/b", "/2/a", "/2/b")]
    assert "only the first 2" in str(errors[0])
    assert "/s3.xml.gz" not in [seen.path for seen in site.requests]


def test_a_gzip_bomb_sitemap_is_refused(site):
    site.routes["/bomb.xml.gz"] = Reply(body=gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>"))
    with source_fetcher(fetch_settings(**{"sources.max_document_bytes": "1MB"})) as fetcher:
        articles, errors = read_remote_sitemap(fetcher, site.url("/bomb.xml.gz"), max_bytes=1_000_000, max_urls=10,
                                               max_sitemaps=2)
    assert articles == [] and "larger than 1000000 bytes" in str(errors[0])


def test_feeds_go_through_the_network_guard(site):
    site.routes["/feed.xml"] = Reply(headers=XML, body=rss([("One", site.url("/one"))]))
    with source_fetcher(fetch_settings(**{"fetch.allow_private_networks": False})) as fetcher:
        articles, errors = read_remote_feed(fetcher, site.url("/feed.xml"), 1_000_000)
    assert articles == [] and "excluded" in str(errors[0])
    assert site.requests == []  # refused before any connection


def test_each_new_feed_entry_is_captured_once_across_cycles(site, tmp_path):
    entries: list[tuple[str, str]] = []
    site.routes["/feed.xml"] = lambda seen: Reply(headers=XML, body=rss(entries))
    for n in range(1, 4):
        site.routes[f"/news/{n}"] = Reply(headers=HTML, body=reference_page(f"Story {n}", paragraphs=6))
    settings = fetch_settings(**{"storage.data_dir": str(tmp_path / "archives"), "sources.feeds": [site.url("/feed.xml")]})
    context = JobContext(settings, should_stop=lambda: False, track=lambda pipeline: ExitStack())

    for cycle, new in enumerate([["/news/1", "/news/2"], ["/news/3"], []], start=1):
        entries.extend((f"Story {path}", site.url(path)) for path in new)
        capture(context)
        with open_store(settings) as store:
            assert store.never_checked_articles() == [], f"cycle {cycle} left articles uncaptured"
    stories = {f"/news/{n}" for n in (1, 2, 3)}  # not the soft-404 probes of their folder
    assert sorted(seen.path for seen in site.requests if seen.path in stories) == sorted(stories)  # once each
    with open_store(settings) as store:
        rows = store.list_articles()
        assert sorted(row["url"] for row in rows) == [site.url(f"/news/{n}") for n in (1, 2, 3)]
        assert all(row["title"] and row["last_captured_at"] for row in rows)
    assert list(settings.storage.warc_dir.glob("*.warc.gz")) and not list(settings.storage.warc_dir.glob("*.open"))


def test_configured_sources_combine_files_feeds_and_sitemaps(site, tmp_path):
    site.routes["/feed.xml"] = Reply(headers=XML, body=rss([("A", site.url("/a")), ("B", site.url("/b"))]))
    site.routes["/sitemap.xml"] = Reply(headers=XML, body=urlset([site.url("/b"), site.url("/c")]))
    (tmp_path / "list.txt").write_text(site.url("/a") + "\n")
    settings = fetch_settings(**{"sources.articles": [str(tmp_path / "list.txt")],
                                 "sources.feeds": [site.url("/feed.xml"), site.url("/missing.xml")],
                                 "sources.sitemaps": [site.url("/sitemap.xml")]})
    with source_fetcher(settings) as fetcher:
        articles, errors = load_configured_sources(settings.sources, fetcher)
    assert [a.url for a in articles] == [site.url(p) for p in ("/a", "/b", "/c")]
    assert articles[0].source == str(tmp_path / "list.txt")  # the first mention wins
    assert len(errors) == 1 and "missing.xml" in str(errors[0]) and "HTTP 404" in str(errors[0])
