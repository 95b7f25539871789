"""Import pages from other permissively licensed test suites into this corpus, with hand-checked labels.

Run once by hand (not a test): python tests/extract/corpus/import_other.py MIRRORS NAME...
MIRRORS holds git clones named owner+name (meedan+newspeek, flairNLP+fundus, adbar+trafilatura, adbar+htmldate;
bare, or with the git directory in owner+name/repo); each page is read from its pinned commit with `git show`,
so the labels match the exact bytes. The pages fill what readability's test pages lack (README.md, "What it
lacks"): fact-check pages, deal articles with product boxes, and pages whose data carries a placeholder date
(0001-01-01, 1970-01-01) beside the real one. A page's "keep" names the placeholder whose script body is kept
when the page is slimmed (the trap would be gone otherwise); its "encoding" is the charset its <meta charset>
declares, where lxml would not read it off the bytes. Unlike import_readability.py, no expected.html exists
here: the draft body links are every link inside the article's container (an XPath per page, read off the page
by hand), each with its text or its image's alt text; then the hand checks below drop what is not a reference.
Pages are slimmed the way import_readability.py slims them.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
from import_readability import _FILE_NAME, _date_candidates, _slim

HERE = Path(__file__).parent
NEWSPEEK = ("meedan/newspeek", "f6db6b6eeac2b5e0923dfb3e05c206d2e25644e8", "MIT")
FUNDUS = ("flairNLP/fundus", "18da6e53592f99cf0ac5770dc63d6ba99ba63ae8", "MIT")
TRAFILATURA = ("adbar/trafilatura", "e90b0ef51ab026fdb905fb6c5b3c84dd3d784fd5", "Apache-2.0")
HTMLDATE = ("adbar/htmldate", "b8952828329abaeeb3be21387b526f2be614ce67", "Apache-2.0")

# name -> source, path in it, page URL, the article's container, titles, publication day(s) read off the
# page, dropped links [(URL substring or "text:" + exact text, reason)], why the page is in the corpus.
# newspeek's fixtures are JSON holding the saved page under "page"; fundus's are gzipped HTML.
PAGES: dict[str, dict] = {
    "afp-factcheck": {
        "source": NEWSPEEK, "path": "spec/fixtures/afp_raw.json",
        "url": "https://factcheck.afp.com/cdc-does-not-add-flu-and-pneumonia-deaths-covid-19-toll",
        "container": "//article", "titles": ["CDC does not add flu and pneumonia deaths to COVID-19 toll"],
        # shown "Published on Wednesday 24 June 2020 at 00:03" (Paris): 23 June in UTC
        "published": ["2020-06-23", "2020-06-24"],
        "dropped": [("factcheck.afp.com/claire-savage", "byline"), ("factcheck.afp.com/afp-usa", "byline"),
                    ("page.afp.com/fact-checking", "newsletter banner")],
        "why": "fact check: its ClaimReview's itemReviewed carries the claim's date (2020-05-14)",
    },
    "afp-checamos": {
        "source": NEWSPEEK, "path": "spec/fixtures/afp_checamos_raw.json",
        "url": "https://checamos.afp.com/suposta-fala-de-soros-sobre-financiar-grupos-de-odio-negro-nao-foi-"
               "publicada-pelo-bild",
        "container": "//article",
        "titles": ['Suposta fala de Soros sobre financiar "grupos de ódio negro" não foi publicada pelo Bild'],
        # shown "Publicado o terça-feira 23 Junho 2020 às 20:02"; article:published_time (12 June) is the draft's
        "published": "2020-06-23",
        "dropped": [("checamos.afp.com/afp-", "byline"), ("page.afp.com/", "newsletter banner"),
                    ("/taxonomy/term/", "tag"), ("u.afp.com/WhatsApp", "tip-line promo")],
        "why": "fact check whose article:published_time predates the publication; the claim dated 2020-05-30",
    },
    "aajtak-factcheck": {
        "source": NEWSPEEK, "path": "spec/fixtures/aajtak_india_today_raw.json",
        "url": "https://aajtak.intoday.in/story/fact-check-bbc-and-new-york-times-write-these-things-about-pm-modi-"
               "and-india-1-1208682.html",
        "container": "//*[@itemprop='articleBody']",
        "titles": ["फैक्ट चेक: पीएम मोदी और भारत के बारे में न्यूयॉर्क टाइम्स-बीबीसी ने नहीं लिखीं ये बातें"],
        # shown "मुंबई, 09 जुलाई 2020" and meta datepublished 2020-07-09; the ClaimReview's datePublished is the
        # claim's (the Facebook post of 5 July), copied from its itemReviewed
        "published": "2020-07-09", "dropped": [],
        "why": "fact check whose ClaimReview datePublished is the checked statement's date",
    },
    "africacheck": {
        "source": NEWSPEEK, "path": "spec/fixtures/africa_check_raw.json",
        "url": "https://africacheck.org/fact-checks/reports/south-african-mayor-incorrect-about-covid-19-vaccine",
        "container": "(//article)[1]//*[contains(@class, 'report--summary')]/..",
        "titles": ["South African mayor incorrect about Covid-19 ‘vaccine’"],
        "published": "2020-03-27",  # shown "Published on 27 March 2020"; the claim: "(18 March 2020)"
        "dropped": [("/about/authors/", "author box"), ("/fact-checks/blog", "related block"),
                    ("/fact-checks/guides/", "related block"), ("/fact-checks/fbchecks/", "related block"),
                    ("/fact-checks/reports/", "related block"), ("/infofinder/", "tags"),
                    ("disqus.com", "comments")],
        "why": "fact check: a second JSON-LD datePublished is the statement's (2020-03-18)",
    },
    "wapo-factchecker": {
        "source": NEWSPEEK, "path": "spec/fixtures/washington_post_raw.json",
        "url": "https://www.washingtonpost.com/news/fact-checker/wp/2013/09/04/history-lesson-when-the-united-"
               "states-looked-the-other-way-on-chemical-weapons/",
        "container": "//article",
        "titles": ["History lesson: When the United States looked the other way on chemical weapons"],
        # shown "September 4, 2013 at 6:00 AM EDT" and in the URL; JSON-LD datePublished (2018-05-01) is a
        # later re-publication: it is after the same object's dateModified (2013-09-04)
        "published": "2013-09-04",
        "dropped": [("/people/glenn-kessler", "byline"), ("twitter.com/@GlennKesslerWP", "author box"),
                    ("subscribe.washingtonpost.com", "subscription promo"),
                    ("text:Twitter", "follow footer"), ("facebook.com/FactChecker", "follow footer"),
                    ("/terms-of-service/", "newsletter form"), ("/privacy-policy/", "newsletter form"),
                    ("community-rules", "comments"), ("helpcenter.washingtonpost.com", "comments")],
        "why": "fact check re-published with a later datePublished than its dateModified",
    },
    "telegraph-deals": {
        "source": FUNDUS, "path": "tests/resources/parser/test_data/uk/TheTelegraph_2023_08_30.html.gz",
        "url": "https://www.telegraph.co.uk/recommended/home/best-heated-clothes-airer/",
        "container": "//*[@itemprop='articleBody']",
        "titles": ["The best heated clothes airers to save money and energy when drying laundry, from £40",
                   "The best heated clothes airers in 2023 to save money and energy, tried and tested"],
        "published": "2023-08-30",  # shown "30 August 2023 • 4:45pm"
        "dropped": [("awin1.com", "affiliate redirector"), ("/vouchercodes/", "voucher-code promo footer")],
        "why": "buying guide: each product box's 'Buy now' / 'Buy alternative' links go to the shop",
    },
    "mixed-deals": {
        "source": TRAFILATURA, "path": "tests/cache/mixed.de.vrodo.html",
        "url": "https://mixed.de/vrodo-deals-vr-taugliches-notebook-fuer-83215-euro-99-cent-leihfilme-bei-amazon-"
               "psvr/",
        "container": "//*[contains(@class, 'the-content')]",
        "titles": ["VRODO-Deals: VR-taugliches Notebook für 832,15 Euro, 99 Cent Leihfilme bei Amazon, PSVR",
                   "VRODO Deals: VR-taugliches Notebook für nur 832,15 Euro, 99 Cent Leihfilme bei Amazon"],
        "published": "2018-03-02",  # article:published_time 2018-03-02T19:48:36+01:00, shown 2. März 2018
        "dropped": [("amzn.to/", "affiliate redirector"), ("mixed.de/podcast/", "podcast promo box")],
        "why": "deal article: lists of recommended products, direct shop links beside amzn.to redirectors",
    },
    # htmldate's gold days: tests/eval_mediacloud_2020.json (test_set/) and tests/eval_default.json (eval/)
    "radio-canada-placeholder": {
        "source": HTMLDATE, "path": "tests/test_set/1691900941.html", "encoding": "utf-8",
        "keep": b"0001-01-01T00:00:00",
        "url": "https://ici.radio-canada.ca/nouvelle/1728875/transport-scolaire-ottawa-mi-septembre-covid",
        "container": "//article[contains(@class, 'document-simple-container')]",
        "titles": ["Pas d’autobus scolaires jusqu’au 14 septembre pour les conseils anglophones d'Ottawa"],
        # shown "Publié à 0 h 23" (rendered in UTC), JSON-LD datePublished 2020-08-25T00:23:33Z: 20:23 on 24 August
        # in Ottawa, htmldate's gold day
        "published": ["2020-08-24", "2020-08-25"],
        "dropped": [("text:Accueil", "breadcrumb"), ("ici.radio-canada.ca/societe", "breadcrumb"),
                    ("/theme/27/education", "breadcrumb"), ("ici.radio-canada.ca/nouvelle/172", "read-more block")],
        "why": "news article whose page state (a script) gives its media items broadcastedFirstTimeEndAt "
               "0001-01-01T00:00:00.000Z",
    },
    "wildundhund-placeholder": {
        "source": HTMLDATE, "path": "tests/eval/wildundhund.de-bonn.html", "encoding": "utf-8",
        "url": "https://wildundhund.de/bonn-un-konvention-veroeffentlicht-empfehlungen-zur-vogelgrippe-und-zum-"
               "umgang-mit-wildvoegeln/",
        "container": "//div[contains(@class, 'td-post-content')]",
        "titles": ["Bonn: UN-Konvention veröffentlicht Empfehlungen zur Vogelgrippe und zum Umgang mit Wildvögeln"],
        "published": "2022-01-26",  # shown "26. Januar 2022", article:published_time 2022-01-26T13:52, gold the same
        "dropped": [("wildundhund.de/russland-", "related block"), ("wildundhund.de/usa-", "related block"),
                    ("wildundhund.de/rattengift-", "related block"), ("parey-abo.de", "subscription banner")],
        "why": "news article whose JSON-LD lists events (the publisher's courses) with offers validFrom "
               "1970-01-01T00:00:00+00:00 and startDates in February 2022",
    },
}


def _source_html(mirrors: Path, spec: dict) -> bytes:
    repo, commit, _licence = spec["source"]
    git_dir = mirrors / repo.replace("/", "+")
    if (git_dir / "repo").is_dir():  # the layout the fetch tool leaves
        git_dir = git_dir / "repo"
    blob = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{commit}:{spec['path']}"],
                          check=True, capture_output=True).stdout
    if spec["path"].endswith(".gz"):
        return gzip.decompress(blob)
    if spec["path"].endswith(".json"):
        return json.loads(blob)["page"].encode("utf-8")
    return blob


def _dropped(spec: dict, url: str, text: str) -> bool:
    return any(text == needle[5:] if needle.startswith("text:") else needle in url
               for needle, _why in spec["dropped"])


def import_page(mirrors: Path, name: str) -> None:
    spec = PAGES[name]
    source = _source_html(mirrors, spec)
    dom = lxml.html.document_fromstring(source, parser=lxml.html.HTMLParser(encoding=spec.get("encoding")))
    url = spec["url"]
    links = []
    for anchor in dom.xpath(spec["container"])[0].iter("a"):
        resolved = urljoin(url, (anchor.get("href") or "").strip()).split("#", 1)[0]
        if not resolved.startswith(("http://", "https://")) or resolved == url:
            continue
        text = " ".join(anchor.text_content().split())
        text = text or next((" ".join(img.get("alt").split()) for img in anchor.iter("img") if img.get("alt")), "")
        if _FILE_NAME.match(text):
            text = ""
        if text and not _dropped(spec, resolved, text):  # no text and no alt: no reference
            links.append({"url": resolved, "text": text})
    repo, commit, licence = spec["source"]
    labels = {
        "source": f"{repo}@{commit[:7]} {spec['path']}", "licence": licence, "url": url,
        "titles": spec["titles"], "published": spec["published"], "why": spec["why"],
        "dropped_by_hand": [f"{needle}: {why}" for needle, why in spec["dropped"]], "added_by_hand": [],
        "date_candidates": _date_candidates(dom, url), "links": links,
    }
    (HERE / "pages" / f"{name}.html.gz").write_bytes(gzip.compress(_slim(source, spec.get("keep")), mtime=0))
    (HERE / "labels" / f"{name}.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    for page_name in sys.argv[2:] or PAGES:
        import_page(Path(sys.argv[1]), page_name)
