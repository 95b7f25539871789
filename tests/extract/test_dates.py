"""Publication and modified dates: the markup's order of preference, placeholders, normalisation, the text scan."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from archiver.extract import extract
from archiver.extract.dates import normalized, url_date

CAPTURED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
TEXT = "<p>" + "The council met on Tuesday and voted for the plan, after a long debate. " * 4 + "</p>"


def page(head: str = "", body: str = TEXT) -> str:
    return f"<html><head><title>T</title>{head}</head><body><article>{body}</article></body></html>"


def dated(html: str, url: str = "https://news.example/story") -> tuple:
    found = extract(html, url, captured_at=CAPTURED)
    return found.published, found.published_raw, found.modified


def ld(obj: str) -> str:
    return f'<script type="application/ld+json">{obj}</script>'


@pytest.mark.parametrize("raw, expected", [
    ("2019-11-19 19:31:39", "2019-11-19T19:31:39Z"),  # no zone: taken as UTC, the day kept
    ("2021-11-01T10:52:50+0100", "2021-11-01T09:52:50Z"),
    ("2017-11-16T14:15+0000", "2017-11-16T14:15:00Z"),
    ("2015-03-27T13:07:55.096Z", "2015-03-27T13:07:55Z"),
    ("2024-04-25", "2024-04-25"),  # a day alone stays a day
    ("20170113", "2017-01-13"),
    ("05/29/2007 09:49:00", "2007-05-29T09:49:00Z"),
    ("Fri Mar 13 21:30:09 EST 2015", "2015-03-13T21:30:09Z"),  # an ambiguous zone name is dropped
    ("0001-01-01T00:00:00Z", None),  # a JSON-LD placeholder
    ("1989-12-31", None),
    ("2024-05-03", None),  # after the capture (a day's grace for zones ahead of UTC)
    ("yesterday", None),
])
def test_normalised_to_iso_utc_or_rejected(raw, expected):
    assert normalized(raw, CAPTURED) == expected


def test_json_ld_comes_first_and_the_raw_string_is_kept():
    head = ('<meta property="article:published_time" content="2022-07-19T13:52:00+03:00">'
            '<meta property="article:modified_time" content="2022-07-20T08:00:00+03:00">'
            + ld('{"@type": "NewsArticle", "datePublished": "2022-07-18T09:00:00+03:00"}'))
    assert dated(page(head)) == ("2022-07-18T06:00:00Z", "2022-07-18T09:00:00+03:00", "2022-07-20T05:00:00Z")


def test_article_published_time_comes_next():
    head = ('<meta property="article:published_time" content="2022-07-19T13:52:00+03:00">'
            + ld('{"@type": "NewsArticle", "headline": "no date here"}'))
    assert dated(page(head))[:2] == ("2022-07-19T10:52:00Z", "2022-07-19T13:52:00+03:00")


def test_a_claim_review_repeating_the_statements_date_gives_way_to_the_meta():
    # aajtak's fact check (tests/extract/corpus/): its ClaimReview's datePublished is the checked post's
    claim = ('{"@type": "ClaimReview", "datePublished": "2020-07-05",'
             ' "itemReviewed": {"@type": "CreativeWork", "datePublished": "2020-07-05"}}')
    head = '<meta name="datePublished" content="2020-07-09T22:18:44+05:30">' + ld(claim)
    assert dated(page(head))[0] == "2020-07-09T16:48:44Z"


def test_a_claim_review_with_its_own_date_is_dated_by_it():
    claim = ('{"@type": "ClaimReview", "datePublished": "2020-06-23 20:02",'
             ' "itemReviewed": {"@type": "CreativeWork", "datePublished": "2020-05-30"}}')
    head = '<meta property="article:published_time" content="2020-06-12T06:51:01+02:00">' + ld(claim)
    assert dated(page(head))[0] == "2020-06-23T20:02:00Z"


def test_a_date_published_long_after_its_own_modification_is_a_re_publication():
    # the Washington Post's Fact Checker (corpus): datePublished 2018, dateModified 2013, the page shows 2013
    head = ld('{"@type": "NewsArticle", "datePublished": "2018-05-01T14:36:07Z",'
              ' "dateModified": "2013-09-04T10:00:11Z"}')
    assert dated(page(head), "https://news.example/2013/09/04/story/")[0] == "2013-09-04"
    same_day = ld('{"@type": "NewsArticle", "datePublished": "2017-11-03 03:01:00",'
                  ' "dateModified": "2017-11-03 02:22:36"}')  # engadget: stamped minutes apart, still its date
    assert dated(page(same_day))[0] == "2017-11-03T03:01:00Z"


def test_a_placeholder_date_gives_way_to_the_next_candidate():
    head = ld('{"@type": "NewsArticle", "datePublished": "0001-01-01T00:00:00Z", "dateModified": "0001-01-01"}')
    body = '<time datetime="2023-02-03T10:00:00Z">Feb 3</time>' + TEXT
    assert dated(page(head, body)) == ("2023-02-03T10:00:00Z", "2023-02-03T10:00:00Z", None)


def test_a_future_date_is_no_publication_date():
    assert dated(page('<meta property="article:published_time" content="2031-01-01T00:00:00Z">'))[0] is None


def test_a_fact_check_is_dated_by_its_article_not_the_statement_it_checks():
    claim = ('{"@context": "https://schema.org", "@type": "ClaimReview", "datePublished": "2019-02-01",'
             ' "itemReviewed": {"@type": "Claim", "datePublished": "2018-10-05"}}')
    article = '{"@context": "https://schema.org", "@type": "NewsArticle", "datePublished": "2019-02-02T09:00:00Z"}'
    assert dated(page(ld(claim) + ld(article)))[0] == "2019-02-02T09:00:00Z"


def test_microdata_of_a_video_does_not_date_the_article():
    body = ('<div itemscope itemtype="https://schema.org/VideoObject"><meta itemprop="datePublished" '
            'content="2015-03-12T13:11:07Z"></div><div itemscope itemtype="https://schema.org/Article">'
            '<meta itemprop="datePublished" content="2015-03-11T19:46:14Z">' + TEXT + "</div>")
    assert dated(page(body=body))[0] == "2015-03-11T19:46:14Z"


def test_the_url_date_when_the_markup_has_none():
    assert url_date("https://news.example/2019/04/30/neon/") == "2019-04-30"
    assert url_date("https://news.example/hl?a=20170309-35097838-cnetj-sci") == "2017-03-09"
    assert dated(page(), "https://news.example/2019/04/30/neon/")[0] == "2019-04-30"


def test_the_text_scan_finds_a_byline_date_only_when_the_markup_has_none():
    body = "<p>By Jo Writer · Feb. 23, 2015 -- Life-threatening peanut allergies.</p>" + TEXT
    assert dated(page(body=body))[:2] == ("2015-02-23", "Feb. 23, 2015")
    assert dated(page('<meta property="article:published_time" content="2016-01-01">', body))[0] == "2016-01-01"
    assert extract(page(body=body), "https://news.example/s", search_text_for_date=False).published is None


def test_a_copyright_year_is_no_date():
    assert dated(page(body=TEXT + "<p>© 2002–2015 Someone</p>"))[0] is None


def test_the_text_scan_is_bounded_on_a_huge_page():
    filler = "<p>" + "words without any date in them at all " * 40 + "</p>"
    body = filler * 2_000 + "<p>Posted on March 3, 2020</p>"  # past the scanned head of the text
    started = time.process_time()
    assert dated(page(body=body))[0] is None
    assert time.process_time() - started < 60  # a bound on runaway work, not a timing measurement
