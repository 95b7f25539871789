"""Extraction on saved pages: canonical URL, metadata, main text, and exactly the links in the body."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.extract import MAX_ELEMENTS, decode_html, extract
from archiver.models import Extracted, Link
from support.articles import DATE_IN_TEXT_ONLY

PAGES = Path(__file__).parent / "pages"
MT = "https://www.themoscowtimes.com"
NEWS_URL = f"{MT}/2022/07/19/north-korean-builders-to-help-with-donbas-reconstruction-russian-ambassador-a78344"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def link_pairs(extracted: Extracted) -> list[tuple[str, str]]:
    return [(link.url, link.text) for link in extracted.links]


# --- the news article: boilerplate of every kind around ten body links ---------------------------------


@pytest.fixture(scope="module")
def news() -> Extracted:
    return extract(page("news_article.html"), NEWS_URL + "?utm_source=telegram#comments")


def test_news_body_links_are_exactly_the_references(news):
    assert link_pairs(news) == [
        ("https://iz.ru/1366157/2022-07-19/posol-rf-v-kndr-rasskazal-o-perspektivakh-sotrudnichestva", "said"),
        ("https://iz.ru/", "Izvestia"),
        # relative href, and the same URL as a "trending" link earlier in the page: the body's anchor wins
        (f"{MT}/2022/07/13/north-korea-recognizes-donetsk-luhansk-a78283", "officially recognize"),
        ("https://en.wikipedia.org/wiki/Donbas", "Donbas"),  # fragment dropped
        ("https://t.me/pushilindenis/2453", "hailed"),
        (f"{MT}/2022/07/15/russia-recruits-teachers-construction-workers-and-politicians-to-rebuild-occupied-"
         "ukraine-a78305",
         "Russia Recruits Teachers, Construction Workers and Politicians to 'Rebuild' Occupied Ukraine"),
        ("https://en.wikipedia.org/wiki/Magnesite", "magnesite clinker"),
        ("https://www.nknews.org/2022/07/north-korea-donbas-trade/", "NK News"),  # case and :443 normalised
        ("https://www.reuters.com/world/europe/russia-sends-teachers-occupied-ukraine-2022-07-12/", "Reuters reported"),
        ("mailto:tips@themoscowtimes.com", "tips@themoscowtimes.com"),
    ]
    assert [link.position for link in news.links] == list(range(10))
    assert [link.supported for link in news.links] == [True] * 9 + [False]


def test_news_excludes_nav_share_ads_related_comments_and_footer(news):
    urls = {link.url for link in news.links}
    for absent in [
        f"{MT}/news", f"{MT}/ukraine-war", f"{MT}/privacy-policy", f"{MT}/support-us", f"{MT}/newsletters",
        f"{MT}/2022/07/18/gas-flows-through-nord-stream-a78330",  # trending strip and sidebar
        f"{MT}/2022/07/14/kim-jong-un-congratulates-putin-a78290",  # related-articles widget
        f"{MT}/tag/north-korea", f"{MT}/author/the-moscow-times", f"{MT}/about",
        "https://www.facebook.com/MoscowTimes", "mailto:newsroom@themoscowtimes.com",
        "https://example-blog.net/nk-labour",  # a comment
    ]:
        assert absent not in urls
    assert not any("doubleclick" in url or "sharer" in url or "intent/tweet" in url for url in urls)
    assert not any(url.startswith("mailto:?") for url in urls)  # the share-by-email button


def test_news_self_links_and_duplicates_are_dropped(news):
    urls = [link.url for link in news.links]
    assert NEWS_URL not in urls  # "#fact-check" points at the page itself
    assert len(urls) == len(set(urls))
    said = next(link for link in news.links if link.url.startswith("https://iz.ru/1366157"))
    assert (said.text, said.position) == ("said", 0)  # the first occurrence keeps its anchor text


def test_news_metadata(news):
    assert news.canonical_url == NEWS_URL
    assert news.title == "North Korean Builders to Help With Donbas Reconstruction – Russian Ambassador"
    assert news.byline == "The Moscow Times"
    assert news.published == "2022-07-19T10:52:00Z"  # normalised to UTC
    assert news.published_raw == "2022-07-19T13:52:00+03:00"  # as the page wrote it
    assert news.language == "en"


def test_news_main_text(news):
    assert news.text.startswith("North Korea could send builders to eastern Ukraine's separatist regions")
    assert "Ambassador Alexander Matsegora told the pro-Kremlin daily Izvestia" in news.text
    assert "Russia's Ambassador to Pyongyang said Tuesday." in news.text  # no break where the <a> was
    assert "in exchange for shipments of coking coal and wheat" in news.text
    for boilerplate in ["We use cookies", "Accept all cookies", "Advertisement", "Cheap flights", "Daily Newsletter",
                        "Share on Facebook", "Kim Jong Un Congratulates", "Interesting article", "About us",
                        "all rights reserved", "Most read", "Ukraine War"]:
        assert boilerplate not in news.text
    assert "\n\n" in news.text and "\n\n\n" not in news.text


# --- other shapes ----------------------------------------------------------------------------------------


def test_blog_post_with_base_href_and_non_http_links():
    extracted = extract(page("blog_post.html"), "https://blog.example.net/posts/2023/three-days.html")
    assert link_pairs(extracted) == [
        ("https://meta.wikimedia.org/wiki/InternetArchiveBot", "InternetArchiveBot"),
        ("https://github.com/internetarchive/internetarchivebot/blob/master/README.md", "project README"),
        ("https://blog.example.net/posts/2022/dead-links-primer.html", "primer we wrote last year"),  # <base href>
        ("https://blog.example.net/docs/verdicts.html", "the verdict reference"),
        ("https://www.rfc-editor.org/rfc/rfc6585", "RFC 6585"),
        ("ftp://ftp.example.org/pub/mirror/", "the FTP mirror"),
        ("javascript:void(0)", "copy to clipboard"),  # kept, as unsupported: nothing behind it in an archive
        ("tel:+44-20-7946-0958", "+44 20 7946 0958"),
    ]  # the repeated RFC and InternetArchiveBot links deduplicated
    assert [link.supported for link in extracted.links] == [True] * 5 + [False] * 3
    assert extracted.canonical_url == "https://blog.example.net/posts/2023/three-days.html"
    assert extracted.title == "Why our link checker waits three days before calling a link dead | Field Notes"
    assert extracted.byline == "Priya Raman"  # rel=author
    assert extracted.published == "2023-03-14"  # JSON-LD datePublished
    assert extracted.language == "en-GB"
    assert "a single flaky night marked two hundred references as dead" in extracted.text
    assert "Three failing checks in a row" in extracted.text
    assert "We use two days" not in extracted.text and "Blogroll" not in extracted.text


def test_page_with_only_open_graph_metadata():
    extracted = extract(page("og_only.html"), "https://harbourcity.example.gov/press/view.php?id=4411&utm_campaign=x")
    assert extracted.canonical_url == "https://harbourcity.example.gov/press/harbour-bridge-repairs-finish"
    assert extracted.title == "Harbour Bridge Repairs Finish Ahead of Schedule"
    assert extracted.language == "en-AU"
    assert extracted.byline is None
    assert link_pairs(extracted) == [
        ("https://harbourcity.example.gov/documents/bridge-assessment.pdf", "bridge condition report"),
        ("https://www.example-engineering.com.au/projects/harbour-bridge-deck", "its project page"),
        ("https://forms.harbourcity.example.gov/rebate?form=noise&year=current", "noise rebate form"),
    ]
    assert "finished three weeks ahead of schedule" in extracted.text
    assert "Bin collection" not in extracted.text and "Site map" not in extracted.text


def test_rel_canonical_wins_and_links_to_the_page_itself_are_not_references():
    fetched = "https://www.example-gazette.com/news/2024/05/library-reopens?utm_source=newsletter&utm_medium=email"
    extracted = extract(page("canonical.html"), fetched)
    assert extracted.canonical_url == "https://www.example-gazette.com/news/2024/05/library-reopens"  # not og:url
    assert extracted.title == "Library reopens after flood repairs"
    assert extracted.byline == "Tom Okafor"
    assert extracted.published == "2024-05-06"
    assert link_pairs(extracted) == [
        ("https://library.example-city.org/news/reopening", "library's own announcement"),
        ("https://www.example-gazette.com/news/2023/06/library-flood", "original report on the flood"),
        ("https://council.example-city.org/minutes/2024-04.pdf", "April minutes"),
    ]  # "this story" is the canonical URL and the "shared link" the fetched one: both the page itself


def test_non_english_latin1_page():
    raw = page("french_latin1.html")
    assert "é".encode("utf-8") not in raw  # the fixture really is ISO-8859-1
    extracted = extract(raw, "https://www.journal-villeneuve.example.fr/culture/mediatheque-rouvre")
    assert extracted.title == "La médiathèque de Villeneuve rouvre ses portes après deux ans de travaux"
    assert extracted.byline == "Hélène Dubreuil"
    assert extracted.published == "2021-09-04T06:00:00Z"  # <time datetime="2021-09-04T08:00:00+02:00">, in UTC
    assert extracted.language == "fr"
    assert "« Nous voulions un endroit où l'on a envie de rester »" in extracted.text
    assert link_pairs(extracted) == [
        ("https://www.villeneuve.example.fr/conseil/d%C3%A9liberation-2019-42.pdf",
         "procès-verbal du conseil municipal"),
        ("https://fr.wikipedia.org/wiki/M%C3%A9diath%C3%A8que", "définition même d'une médiathèque"),
        ("https://www.journal-villeneuve.example.fr/culture/mediatheque/horaires", "la page pratique"),
    ]
    assert "cookies" not in extracted.text and "Le festival d'été" not in extracted.text


ARTICLE_PARAGRAPHS = [
    f"<p>Paragraph {i} of the story says something long enough to be content, and cites "
    f'<a href="/source-{i}">source number {i}</a> for the claim it makes about the harbour.</p>'
    for i in range(6)
]
ARTICLE_BODY = "".join(ARTICLE_PARAGRAPHS)


def test_whole_page_wrappers_with_widget_like_names_do_not_hide_the_body():
    # ASP.NET wraps the whole page in a <form>; themes put words like "social" on the content div.
    html = f'<html><body><form id="aspnetForm"><div class="entry-content social-ready">{ARTICLE_BODY}</div></form>'
    extracted = extract(html, "https://example.com/story")
    assert [link.url for link in extracted.links] == [f"https://example.com/source-{i}" for i in range(6)]


@pytest.mark.parametrize(
    "widget, absent",
    [  # trafilatura keeps each of these; the class, rel and container rules drop them
        ("<div class='promo-box'><p>Support independent local journalism about the harbour and the city: "
         "<a href='/donate'>become a member today for just five dollars</a></p></div>", "https://example.com/donate"),
        ("<p>Follow our harbour reporter for live updates from the council meeting tonight: <a class='social-link' "
         "href='https://twitter.com/harbourdesk'>@harbourdesk on Twitter</a></p>", "https://twitter.com/harbourdesk"),
        ("<p>Filed under the long-running series about the city and its harbour works: "
         "<a rel='tag' href='/t/series'>Harbour Works Series</a></p>", "https://example.com/t/series"),
    ],
)
def test_widgets_inside_the_article_are_not_references(widget, absent):
    paragraphs = ARTICLE_PARAGRAPHS[:3] + [widget] + ARTICLE_PARAGRAPHS[3:]
    html = f"<html><body><article>{''.join(paragraphs)}</article></body></html>"
    urls = [link.url for link in extract(html, "https://example.com/story").links]
    assert absent not in urls
    assert urls == [f"https://example.com/source-{i}" for i in range(6)]


def test_malformed_href_in_the_body_is_kept_for_the_checker_to_report():
    html = f'<html><body><article>{ARTICLE_BODY}<p>{"More words in this paragraph. " * 4}' \
           f'<a href="https://exa mple.com/broken#x">a broken link</a></p></article></body></html>'
    extracted = extract(html, "https://example.com/story")
    assert extracted.links[-1] == Link("https://exa mple.com/broken", "a broken link", 6, True)


def test_canonical_that_is_not_http_is_ignored():
    html = ('<html><head><link rel="canonical" href="javascript:alert(1)">'
            '<meta property="og:url" content="/clean-url"></head><body><p>Hi</p></body></html>')
    assert extract(html, "https://example.com/a?ref=x").canonical_url == "https://example.com/clean-url"
    assert extract("<p>Hi</p>", "https://Example.com/a#x").canonical_url == "https://example.com/a"


# --- decoding ---------------------------------------------------------------------------------------------

CAFE_META_LATIN1 = '<html><head><meta charset="iso-8859-1"><title>Café</title></head><body><p>Crème brûlée</p>'


def test_charset_from_the_http_header_beats_meta():
    data = CAFE_META_LATIN1.replace("Café", "Кафе").encode("utf-8")
    assert "Кафе" in decode_html(data, "utf-8")
    assert extract(data, "https://example.com/", content_type_charset="UTF-8").title == "Кафе"


def test_charset_from_meta_when_the_header_has_none():
    assert extract(CAFE_META_LATIN1.encode("latin-1"), "https://example.com/").title == "Café"
    http_equiv = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><title>Привет</title>'
    assert extract(http_equiv.encode("cp1251"), "https://example.com/").title == "Привет"


def test_latin1_label_is_read_as_windows_1252_like_browsers_do():
    assert decode_html("“quoted” – dash".encode("cp1252"), "iso-8859-1") == "“quoted” – dash"


def test_bom_then_utf8_then_detection():
    assert decode_html("\ufeffCafé".encode("utf-8"), "iso-8859-1") == "Café"  # the BOM wins, as in browsers
    assert decode_html("\ufeffCafé".encode("utf-16-le")) == "Café"
    assert decode_html("Café".encode("utf-8")) == "Café"
    assert decode_html("Café".encode("utf-8")[:-1]) == "Caf\ufffd"  # cut mid-character at the cap
    russian = "<html><body><p>Это простая страница на русском языке, в кодировке windows-1251.</p>" * 3
    assert "русском языке" in decode_html(russian.encode("cp1251"))


def test_a_declared_charset_that_does_not_fit_falls_through_to_detection():
    russian = "<html><body><p>Это простая страница на русском языке, в кодировке windows-1251.</p>" * 3
    assert "русском языке" in decode_html(russian.encode("cp1251"), "utf-8")  # an old site's wrong header
    extracted = extract(('<meta charset="utf-8">' + russian).encode("cp1251"), "https://example.ru/")
    assert "русском языке" in extracted.text


def test_unknown_labels_and_undecodable_bytes_never_raise():
    assert decode_html(b"caf\xc3\xa9", "no-such-charset") == "café"  # falls through to UTF-8
    assert decode_html(b"caf\xc3\xa9", "base64") == "café"  # a codec, but not a text encoding
    assert "Caf" in decode_html(b'<meta charset="utf-8">Caf\xe9 \xff\xfe', None)  # replaced, not raised
    assert decode_html(b'<meta charset="utf-16"><p>x</p>') == '<meta charset="utf-16"><p>x</p>'


# --- hostile input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [b"", b"   ", "", b"\x00\x01\x02" * 1000, bytes(range(256)) * 400, b"%PDF-1.7\n" + bytes(range(256)) * 40,
     b"<div>" * 1_000_000, b"<p>x</p>" * (MAX_ELEMENTS // 2 + 1000), '{"json": "not html"}', b"<html>",
     '<?xml version="1.0" encoding="utf-8"?><html><body><p>xml declaration</p></body></html>',
     "<p>lone surrogate \ud800 and nul \x00</p>", "<a href='http://[bad'>x</a><a href='https://a:99999/'>y</a>"],
)
def test_junk_never_crashes(html):
    extracted = extract(html, "https://example.com/junk")
    assert isinstance(extracted, Extracted)
    assert extracted.canonical_url == "https://example.com/junk"


def test_binary_garbage_has_no_text():
    assert extract(bytes(range(256)) * 400, "https://example.com/").text == ""


def test_almost_no_text():
    extracted = extract("<html><head><title>Empty</title></head><body><p>Hi.</p></body></html>", "https://e.com/")
    assert extracted.title == "Empty"
    assert extracted.links == ()


_tags = st.sampled_from(["<p>", "</p>", "<div class='nav'>", "</div>", "<a href='/x'>", "<a href='#f'>", "</a>",
                         "<article>", "<script>", "<!--", "-->", "<base href='//h/'>", "<meta charset='zz'>",
                         "<link rel=canonical href='javascript:x'>", "<time datetime='2020-01-01'>", "&amp;", "<"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_tags, st.text(max_size=40)), max_size=60))
def test_extract_never_raises_on_html_ish_text(parts):
    html = "".join(parts)
    for document in (html, html.encode("utf-8", "surrogatepass")):
        extracted = extract(document, "https://example.com/a")
        assert all(link.position == index for index, link in enumerate(extracted.links))




def test_the_free_text_is_searched_for_a_date_only_when_asked():
    # Articles ask (their date anchors public-archive look-ups); reference checks skip the costly scan.
    assert extract(DATE_IN_TEXT_ONLY, "http://example.org/notes/1").published == "2021-03-14"
    skipped = extract(DATE_IN_TEXT_ONLY, "http://example.org/notes/1", search_text_for_date=False)
    assert skipped.published is None
    assert skipped.text == extract(DATE_IN_TEXT_ONLY, "http://example.org/notes/1").text  # the text is the same
