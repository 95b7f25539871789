"""Clean titles: the page's title without the site's name or a section prefix; the page's own title kept."""

from __future__ import annotations

import pytest

from archiver.extract import extract
from archiver.extract.titles import clean_title


@pytest.mark.parametrize("title, url, headlines, site, expected", [
    ("Apple's new chip, tested | ZDNet", "https://www.zdnet.com/a", [], [], "Apple's new chip, tested"),
    ("Opinion | Why the bill fails voters", "https://www.nytimes.com/a", [], [], "Why the bill fails voters"),
    ("Obama admits US gun laws are his 'biggest frustration' - BBC News", "http://www.bbc.com/news/1", [], [],
     "Obama admits US gun laws are his 'biggest frustration'"),
    ("How we designed Dropbox's ATF - an async task framework", "https://dropbox.tech/a", [], [],
     "How we designed Dropbox's ATF - an async task framework"),  # mentions the site, is no site name
    ("On Recent Controversial Events - Bradley M. Kuhn ( Brad ) ( bkuhn )", "http://ebb.org/a",
     ["On Recent Controversial Events"], [], "On Recent Controversial Events"),  # the <h1> it starts with
    ("DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶_科技_腾讯网", "http://tech.qq.com/a", [], [],
     "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶"),
    ("新竹尖石_美樹營地賞楓 (2) @ 史蒂文的家_藍天 :: 痞客邦 PIXNET ::", "http://s.pixnet.net/a", [], [],
     "新竹尖石_美樹營地賞楓 (2)"),
    ("Tarot's history | Atlas", "https://example.org/a", [], ["Atlas"], "Tarot's history"),
    ("Just a headline", "https://example.org/a", [], [], "Just a headline"),
])
def test_clean_title(title, url, headlines, site, expected):
    assert clean_title(title, headlines, url, site) == expected


def test_extract_keeps_the_page_title_and_adds_the_clean_one():
    html = ("<html><head><title>Storm floods the coast | Herald Sun</title></head><body><article><h1>"
            "Storm floods the coast</h1><p>" + "Water rose over the sea wall in the night. " * 5 + "</p></article>"
            "</body></html>")
    extracted = extract(html, "https://www.heraldsun.com.au/news/storm")
    assert extracted.title == "Storm floods the coast | Herald Sun"
    assert extracted.clean_title == "Storm floods the coast"
