"""The hand-checked corrections applied to the draft labels of the readability pages (import_readability.py).

Each page was read against its source: the links readability's expected.html keeps that are not references
of the article (related and "read more" blocks, author bios and their social links, newsletter, reprint
and subscription footers, tag pages, comment replies, affiliate redirectors) are dropped here, with the
reason; each publication date was read off the page's markup and visible text. Rules applied to every
page: a link with neither text nor image alt text is no reference (dropped), and links to the page
itself are not counted; an image's alt text that is its file name ("12-IMG_3886.jpg") is no text.
"""

from __future__ import annotations

# page -> [(substring of the URL, or "text:" + exact anchor text), reason]
DROPPED_LINKS: dict[str, list[tuple[str, str]]] = {
    "aktualne": [("ankety.aktualne.cz", "report-an-error footer")],
    "bbc-1": [("world-us-canada-33646875", "related promo in the body"),
              ("world-us-canada-33646545", "related promo in the body")],
    "breitbart": [("twitter.com/lucasnolan_", "author bio"), ("wp-admin/blank", "author bio e-mail")],
    "bug-1255978": [("/topic/Hotels", "tag"), ("/topic/Hygiene", "tag"), ("syndication/reuse", "reprint footer")],
    "citylab-1": [("/authors/sarah-archer", "author bio")],
    "cnet": [("cnet.com/tech-enabled", "series footer"), ("cnet.com/technically-literate", "series footer")],
    "cnn": [("rich-taxes", "Related: block"), ("chicago-segregated", "Related: block")],
    "ehow-2": [("/contributor/", "author bio"), ("google.com/adsense", "ad")],
    "firefox-nightly-blog": [("replytocom", "comment reply")],
    "hukumusume": [(needle, "site navigation, the day's other stories and trivia") for needle in (
        "fakehost/index.html", "fakehost/itiran/", "fakehost/366/", "fakehost/sakura/", "fakehost/nazonazo/",
        "fakehost/omajinai/", "fakehost/douwa/", "hukumusume.com/366/", "text:世界と日本の童話と昔話",
        "hukumusume.com/sakura/", "hukumusume.com/my_baby/")],
    "lazy-image-1": [("medium.com/@vincentvallet", "byline avatar")],
    "medium-3": [("medium.com/@johncwelch", "byline avatar")],
    "keep-images": [("twitter.com/backchnnl", "follow footer"), ("facebook.com/pages/Backchannel", "follow footer")],
    "keep-tabular-data": [("text:all posts", "navigation")],
    "lemonde-1": [("les-critiques-de-la-cnil", "Lire aussi block"), ("que-sont-les-imsi-catchers", "Lire aussi block")],
    "nytimes-3": [("nytimes.com/by/corey-kilgannon", "byline avatar"), ("newsletters/newyorktoday", "newsletter"),
                  ("column/character-study", "author bio"),
                  ("twitter.com/coreykilgannon", "author bio"), ("facebook.com/corey.kilgannon", "author bio"),
                  ("nytreprints.com", "reprints footer"), ("todayspaper", "footer"), ("subscriptions/", "footer")],
    "nytimes-4": [("twitter.com/NelsonSchwartz", "author bio"), ("nytreprints.com", "reprints footer"),
                  ("todayspaper", "footer"), ("subscriptions/", "footer")],
    "pixnet": [("facebook.com/stevenhgm1188", "blog's fan-page signature")],
    "schema-org-context-object": [("/author/jennifer-jett", "byline")],
    "spiceworks": [("video-marketing-101", "Learn More: block"), ("seven-tips-for-repurposing", "Learn More: block")],
    "videos-1": [("go.redirectingat.com", "affiliate redirector")],
    "videos-2": [("/auteur/", "byline")],
    "wapo-1": [("text-prefix:[Read:", "Read: block"), ("tunisias-islamists-get-sobering-lesson-in-governing/2014/11/20/"
               "e9cf8f00", "related block"), ("text:Tunisia sends most foreign fighters to Islamic State in Syria",
               "related block"), ("text:Tunisia’s Bardo museum is home to amazing Roman treasures", "related block")],
    "wikia": [("fandom.wikia.com/fan-contributor", "promo footer"), ("text:Fandom.com", "promo footer")],
    "yahoo-1": [("yahoo.com/tech/", "More games news block"), ("twitter.com/ben_silverman", "author bio")],
    "yahoo-3": [("pizza-patriots", "related block"), ("superbug-scope-maker", "related block"),
                ("antarctica-penguin-post-office", "related block")],
}

# page -> links expected.html lost that are references: the source links of an embedded tweet (a citation)
# and image credits (as lifehacker-working's and lazy-image-2's are labelled). (URL, anchor text, reason)
ADDED_LINKS: dict[str, list[tuple[str, str, str]]] = {
    "aktualne": [("https://t.co/BUPgYtgHaY", "pic.twitter.com/BUPgYtgHaY", "embedded tweet"),
                 ("https://twitter.com/WestHam/status/1454931184966770696?ref_src=twsrc%5Etfw", "October 31, 2021",
                  "embedded tweet")],
    "quanta-1": [("https://www.5wgraphics.com/", "5W Infographics", "image credit"),
                 ("https://www.flickr.com/photos/maaorg/5506846117", "Mathematical Association of America",
                  "image credit")],
}

# page -> the publication day(s) a reader of the page would give, read off it by hand; None: the page has
# none. Two days where the page's machine date, in UTC, falls on the day after (or before) its own one.
PUBLISHED: dict[str, str | list[str] | None] = {
    "001": "2013-09-29", "002": "2015-03-10", "aclu": "2018-04-05", "aktualne": "2021-11-01",
    "ars-1": "2015-04-16", "article-author-tag": "2015-07-10", "bbc-1": "2015-07-24", "blogger": "2016-05-08",
    "breitbart": "2016-12-22", "bug-1255978": "2015-09-17", "buzzfeed-1": "2015-04-21",
    "citylab-1": "2019-04-30", "cnet": ["2017-01-18", "2017-01-19"], "cnet-svg-classes": "2017-12-01",
    "cnn": "2016-02-01", "dropbox-blog": "2020-11-11", "ebb-org": "2019-10-15", "ehow-1": "2007-05-29",
    "ehow-2": "2014-05-08", "engadget": "2017-11-03", "firefox-nightly-blog": "2020-12-18",
    "folha": "2018-12-21", "gitlab-blog": "2024-06-25", "gmw": "2017-03-10", "guardian-1": "2019-01-03",
    "heise": "2015-04-08", "herald-sun-1": "2015-03-13", "iab-1": "2015-10-15", "keep-images": "2015-03-27",
    "keep-tabular-data": "2019-02-15", "la-nacion": "2017-12-07",  # in its <title>: "- 07.12.2017 - LA NACION"
    "lazy-image-1": "2019-10-18",
    "lazy-image-2": "2013-09-11", "lemonde-1": "2015-05-04", "liberation-1": "2015-04-30",
    "lifehacker-working": "2015-03-09", "links-in-tables": "2016-12-06", "medicalnewstoday": "2017-07-27",
    "medium-1": "2015-03-17", "medium-2": "2015-02-24",
    "medium-3": "2015-10-15",  # shown on the page; its article:published_time (2015-12-11) is a re-post
    "msn": "2016-11-15", "nytimes-1": "2017-01-13", "nytimes-2": "2016-07-29", "nytimes-3": "2019-02-21",
    "nytimes-4": "2018-09-25", "pixnet": "2013-12-28", "qq": "2016-10-14", "quanta-1": "2019-05-20",
    "salon-1": "2015-02-01",
    # shown "Dec. 6, 2024, 10:00 PM UTC / Updated Dec 7"; its article:published_time is the update
    "schema-org-context-object": "2024-12-06",
    "seattletimes-1": "2019-04-28", "simplyfound-1": "2016-02-29", "spiceworks": "2020-07-10",
    "telegraph": "2017-11-16", "theverge": "2023-06-07", "tmz-1": "2015-02-26", "toc-missing": "2020-09-21",
    "topicseed-1": ["2018-06-12", "2018-06-13"], "tumblr": "2014-09-02", "v8-blog": "2019-11-21",
    "videos-1": "2017-12-15", "videos-2": "2017-11-24", "wapo-1": "2015-03-18", "wapo-2": "2015-03-18",
    "webmd-1": "2015-02-23", "webmd-2": "2015-04-17", "wikia": "2017-02-23", "wordpress": "2017-03-09",
    # pages without a publication date: a book chapter (copyright year only), a fable page whose "today's
    # trivia" box names January 1 with no year, a colophon (copyright range only)
    "google-sre-book-1": None, "hukumusume": None, "daringfireball-1": None,
    "yahoo-1": "2016-10-13", "yahoo-3": "2015-03-11", "yahoo-4": "2017-03-09", "youth": "2017-03-10",
}

# page -> the article's own title(s) without the site's name, where expected-metadata.json's differs: its
# headline in <h1> and in og:title can differ, and either is the article's title.
TITLES: dict[str, list[str]] = {
    "001": ["Get your Frontend JavaScript Code Covered"],
    "aktualne": ["West Ham hrozí gigantům, okouzlil i Linekera. Součka je snadné přehlédnout",
                 "West Ham hrozí gigantům, okouzlil i Linekera. Součkovu práci je snadné přehlédnout"],
    "article-author-tag": ["The Deck of Cards That Made Tarot A Global Phenomenon",
                           "If You Can Picture A Tarot Card, It's Because of These 3 People"],
    "breitbart": ["'Neutral' Snopes Fact-Checker David Emery: 'Are There Any Un-Angry Trump Supporters?'"],
    "bug-1255978": ["Seven secrets that hotel owners don't want you to know",
                    "The seven secrets that hotel owners don't want you to know"],
    "citylab-1": ["The Modern Ambitions Behind Neon", "Why Neon Is the Ultimate Symbol of the 20th Century",
                  "A Brief History of Neon Signage"],
    "cnet-svg-classes": ["Twitter Lite se estrena en México, Venezuela y otros nueve países",
                         "Twitter Lite se estrena en 11 países de América Latina"],
    "dropbox-blog": ["How we designed Dropbox’s ATF - an async task framework",
                     "How we designed Dropbox ATF: an async task framework"],
    "ebb-org": ["On Recent Controversial Events"],
    "ehow-1": ["How to Build a Terrarium"],
    "ehow-2": ["How to Throw a Graduation Party on a Budget"],
    "firefox-nightly-blog": ["These Weeks in Firefox: Issue 85"],
    "gmw": ["宇航员在太空中喝酒会怎么样？后果很严重"],
    "guardian-1": ["'What is the sea telling us?': Māori tribes fearful over whale strandings"],
    "iab-1": ["Getting LEAN with Digital Ad UX"],
    "keep-tabular-data": ["Friday Facts #282 - 0.17 in sight"],
    "medium-3": ["Samantha and The Great Big Lie"],
    "pixnet": ["新竹尖石_美樹營地賞楓 (2)"],
    "qq": ["DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶"],
    "theverge": ["Apple’s Vision Pro hands-on: the Retina display moment for headsets",
                 "Apple’s Vision Pro is the Retina display moment for headsets"],
    "v8-blog": ["Outside the web: standalone WebAssembly binaries using Emscripten"],
    "videos-1": ["How to watch the 21 best films of 2017", "The 21 best movies of 2017"],
    "yahoo-4": ["トレンドマイクロ、公衆無線LANを安全に使うためのアプリ「フリーWi-Fiプロテクション」",
                "トレンドマイクロ、公衆無線LANを安全に使うためのアプリ「フリーWi-Fiプロテクション」（CNET Japan）"],
    "google-sre-book-1": ["Monitoring Distributed Systems", "Chapter 6 - Monitoring Distributed Systems"],
    "hukumusume": ["欲張りなイヌ"],
    "daringfireball-1": ["Colophon"],
    "youth": ["海外留学生看两会：出国前后关注点大不同"],
}


def dropped(page: str, url: str, text: str) -> bool:
    for needle, _reason in DROPPED_LINKS.get(page, ()):
        if needle.startswith("text:") and text == needle[5:]:
            return True
        if needle.startswith("text-prefix:") and text.startswith(needle[12:]):
            return True
        if not needle.startswith(("text:", "text-prefix:")) and needle in url:
            return True
    return False
