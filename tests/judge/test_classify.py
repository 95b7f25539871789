"""classify: one table of fetches (built from models, no network) and the observation each must give."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from archiver.judge.classify import Classification, classify
from archiver.judge.compare import similarity
from archiver.judge.soft404 import SOFT_404_SIMILARITY, SOFT_404_SUPPORTED_SIMILARITY, Probe, probe_url_for
from archiver.models import Body, Exchange, Extracted, Fetch
from archiver.models import Observation as O

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
TOKEN = "qwhzkxjvbnmplrtsdfgyucoie"  # 25 letters, as the pipeline would draw them

ARTICLE = " ".join(
    f"Paragraph {n} of a long report on the harbour water utility, its lead service lines and the plan to replace "
    f"them within eight years, with quotes from engineers, residents and the board." for n in range(12)
)
NOT_FOUND_TEMPLATE = ("Sorry, we could not find the page you were looking for. It may have been moved or deleted. "
                      "Try searching our archive, browse the latest headlines on the front page, or contact the "
                      "newsroom if you believe this is an error.")
# Two renderings of one not-found template whose "most read" box differs: similarity 0.91, between the bars.
TEMPLATE_TODAY = f"Oops. {NOT_FOUND_TEMPLATE} Most read: budget vote."
TEMPLATE_TOMORROW = f"Oops. {NOT_FOUND_TEMPLATE} Most read: tram strike."
ABOUT_404 = ("A 404 error means the server could not find the requested page. " * 3 + ARTICLE)


def body(data: bytes) -> Body:
    return Body(file=io.BytesIO(data), length=len(data), payload_digest="sha1:X", decoded=data)


def hop(url: str, status: int, html: str = "", content_type: str = "text/html") -> Exchange:
    return Exchange(url=url, method="GET", request_headers=(("Host", "x"),), http_version="HTTP/1.1", status=status,
                    reason="", response_headers=(("Content-Type", content_type),), body=body(html.encode()),
                    started_at=T0)


def fetch(*hops: Exchange, failure: O | None = None, detail: str = "", url: str | None = None) -> Fetch:
    return Fetch(url=url or hops[0].url, exchanges=hops, started_at=T0, finished_at=T0, failure=failure,
                 failure_detail=detail)


def chain(urls_statuses: list[tuple[str, int]], html: str = "") -> Fetch:
    """A redirect chain: every hop but the last is a redirect; the last carries `html`."""
    hops = [hop(url, status) for url, status in urls_statuses[:-1]]
    return fetch(*hops, hop(*urls_statuses[-1], html))


def text(url: str, main: str, title: str | None = None) -> Extracted:
    return Extracted(canonical_url=url, title=title, byline=None, published=None, language=None, text=main)


def page(title: str, main: str = "", head: str = "", h1: str = "") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body><h1>{h1}</h1><p>{main}</p></body></html>"


def probe(status: int | None, main: str = "", final_url: str | None = None, redirects: int = 0,
          url: str = f"https://news.example/2019/05/{TOKEN}") -> Probe:
    return Probe(url=url, final_url=final_url or url, redirects=redirects, status=status, text=main)


LAPSED_DE = "Diese Domain ist abgelaufen. Sind Sie der Inhaber? Jetzt verl\u00e4ngern."
LAPSED_ES = "\u00a1Este dominio est\u00e1 en venta! Haga una oferta."
LAPSED_IT = "Questo dominio \u00e8 scaduto. Verifica i dati nel whois del dominio."
LAPSED_NL = "Deze domeinnaam is te koop. Dit domein kan van u zijn."
DOMAIN_NEWS = "The city sold its old tourism domain to a private company last week, the council said."
EXPIRED_ARTICLE = "Why an expired domain can hurt your readers: " + ARTICLE  # long: an article, never parked
LINK = "https://news.example/2019/05/harbour-lead-pipes.html"
HEALTHY = text(LINK, ARTICLE, "Lead pipes to go")
CLOUDFLARE = page("Just a moment...", "Checking your browser", '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/'
                  'chl_page/v1?ray=8f"></script><script>window._cf_chl_opt={cvId: "3"}</script>')
AKAMAI = page("Access Denied", 'You don\'t have permission to access "http://news.example/" on this server.'
              "<p>Reference&#32;&#35;18.6b2c1102.1709312451.3a4f5e")

# id, fetch, extracted, probe, expected observation, expected `permanent`
CASES = [
    ("failure_dns", fetch(failure=O.DNS_ERROR, detail="NXDOMAIN news.example", url=LINK), None, None, O.DNS_ERROR, None),
    ("failure_timeout", fetch(failure=O.TIMEOUT, url=LINK), None, None, O.TIMEOUT, None),
    ("failure_tls_after_hop", fetch(hop(LINK, 301), failure=O.TLS_ERROR), None, None, O.TLS_ERROR, None),
    ("failure_redirect_loop", fetch(hop(LINK, 302), failure=O.REDIRECT_LOOP), None, None, O.REDIRECT_LOOP, None),
    ("ok", fetch(hop(LINK, 200, page("Lead pipes", ARTICLE))), HEALTHY, None, O.OK, None),
    ("not_found", fetch(hop(LINK, 404)), None, None, O.NOT_FOUND, None),
    ("gone", fetch(hop(LINK, 410)), None, None, O.GONE, None),
    ("rate_limited", fetch(hop(LINK, 429, page("Too Many Requests", "captcha"))), None, None, O.RATE_LIMITED, None),
    ("unauthorized", fetch(hop(LINK, 401)), None, None, O.BLOCKED, None),
    ("forbidden", fetch(hop(LINK, 403)), None, None, O.BLOCKED, None),
    ("linkedin_999", fetch(hop(LINK, 999)), None, None, O.BLOCKED, None),
    ("client_error_400", fetch(hop(LINK, 400)), None, None, O.CLIENT_ERROR, None),
    ("legal_block_451_is_blocked_not_gone", fetch(hop(LINK, 451)), None, None, O.BLOCKED, None),
    ("server_error_500", fetch(hop(LINK, 500)), None, None, O.SERVER_ERROR, None),
    ("server_error_503_plain", fetch(hop(LINK, 503, page("Service Unavailable"))), None, None, O.SERVER_ERROR, None),
    # bot challenges
    ("cloudflare_403", fetch(hop(LINK, 403, CLOUDFLARE)), None, None, O.BLOCKED, None),
    ("cloudflare_503_is_not_server_error", fetch(hop(LINK, 503, CLOUDFLARE)), None, None, O.BLOCKED, None),
    ("captcha_503", fetch(hop(LINK, 503, page("Verify", "Please complete the CAPTCHA"))), None, None, O.BLOCKED, None),
    ("cloudflare_200", fetch(hop(LINK, 200, CLOUDFLARE)), text(LINK, "Checking your browser"), None, O.BLOCKED, None),
    ("datadome_200", fetch(hop(LINK, 200, page("news.example", "", '<iframe src="https://geo.captcha-delivery.com/'
                                                "captcha/?initialCid=AHrl\"></iframe>"))), None, None, O.BLOCKED, None),
    ("perimeterx_200", fetch(hop(LINK, 200, page("Access to this page has been denied", '<div id="px-captcha">'))),
     None, None, O.BLOCKED, None),
    ("akamai_200", fetch(hop(LINK, 200, AKAMAI)), text(LINK, "Access Denied"), None, O.BLOCKED, None),
    ("healthy_page_with_cloudflare_script_stays_ok", fetch(hop(LINK, 200, page(
        "Short note", "Brief update.", '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>'))),
     text(LINK, "Brief update."), None, O.OK, None),
    ("article_about_cloudflare_challenges_stays_ok", fetch(hop(LINK, 200, page(
        "Why you see 'Just a moment...'", "The cf-chl challenge and captcha pages explained. " + ARTICLE))),
     text(LINK, "The cf-chl challenge and captcha pages explained. " + ARTICLE), None, O.OK, None),
    # parked
    ("parked_for_sale", fetch(hop(LINK, 200, page("news.example", "news.example is for sale! Buy this domain today."))),
     text(LINK, "news.example is for sale! Buy this domain today."), None, O.PARKED, None),
    ("parked_godaddy", fetch(hop(LINK, 200, page("news.example", "Parked free, courtesy of GoDaddy.com."))),
     None, None, O.PARKED, None),
    ("parked_sedo_script", fetch(hop(LINK, 200, page("news.example", "Related searches", '<script src="https://img.'
                                                     'sedoparking.com/js/park.js"></script>'))),
     text(LINK, "Related searches"), None, O.PARKED, None),
    ("parked_by_redirect_to_parking_host",
     chain([(LINK, 302), ("https://www.hugedomains.com/domain_profile.cfm?d=news.example", 200)]), None, None,
     O.PARKED, None),
    ("parked_by_redirect_even_if_the_host_refuses_us",
     chain([(LINK, 301), ("https://dan.com/buy-domain/news.example", 403)]), None, None, O.PARKED, None),
    ("article_about_domain_parking_stays_ok", fetch(hop(LINK, 200, page(
        "The domain parking business", "Owners who buy this domain or that one ... " + ARTICLE))),
     text(LINK, "Owners who buy this domain or that one ... " + ARTICLE), None, O.OK, None),
    ("parking_host_own_page_stays_ok", chain([("https://sedo.com/us/about", 301), ("https://sedo.com/us/about-us/", 200)],
                                              page("About Sedo", ARTICLE)), text(LINK, ARTICLE), None, O.REDIRECTED, True),
    # redirects
    ("redirect_to_www_root", chain([("https://site.com/a/b", 301), ("https://www.site.com/", 200)]), None, None,
     O.REDIRECT_TO_ROOT, None),
    ("redirect_to_same_host_root", chain([(LINK, 302), ("https://news.example/", 200)]), None, None,
     O.REDIRECT_TO_ROOT, None),
    ("query_page_to_root", chain([("https://blog.example/?p=123", 301), ("https://blog.example/", 200)]), None, None,
     O.REDIRECT_TO_ROOT, None),
    ("root_to_root_is_a_move", chain([("http://site.com/", 301), ("https://www.site.com/", 200)]), None, None,
     O.REDIRECTED, True),
    ("shortener_to_other_site_root", chain([("https://bit.ly/3xYz", 301), ("https://example.org/", 200)]), None, None,
     O.REDIRECTED, True),
    ("http_to_https_same_path", chain([("http://news.example/a/b", 301), ("https://news.example/a/b", 200)],
                                      page("B", ARTICLE)), HEALTHY, None, O.REDIRECTED, True),
    ("trailing_slash_308", chain([("https://news.example/a/b", 308), ("https://news.example/a/b/", 200)]), HEALTHY,
     None, O.REDIRECTED, True),
    ("temporary_302", chain([(LINK, 302), ("https://cdn.news.example/x.html", 200)]), HEALTHY, None, O.REDIRECTED, False),
    ("mixed_301_then_302", chain([(LINK, 301), ("https://news.example/b", 302), ("https://news.example/c", 200)]),
     HEALTHY, None, O.REDIRECTED, False),
    ("redirect_back_to_itself_is_ok", chain([(LINK, 302), (LINK, 200)]), HEALTHY, None, O.OK, None),
    ("login_wall", chain([(LINK, 302), ("https://news.example/login?next=/2019", 200)]), None, None, O.BLOCKED, None),
    # soft 404
    ("soft_404_both_land_on_search",
     chain([(LINK, 301), ("https://news.example/search", 200)], page("Search")), text(LINK, "Search the archive"),
     probe(200, "Search the archive", "https://news.example/search", redirects=1), O.SOFT_404, None),
    ("soft_404_same_template_text", fetch(hop(LINK, 200, page("News", NOT_FOUND_TEMPLATE))),
     text(LINK, NOT_FOUND_TEMPLATE), probe(200, NOT_FOUND_TEMPLATE), O.SOFT_404, None),
    ("soft_404_template_echoes_the_url", fetch(hop(LINK, 200, page("News"))),
     text(LINK, f"{NOT_FOUND_TEMPLATE} Requested: /2019/05/harbour-lead-pipes.html"),
     probe(200, f"{NOT_FOUND_TEMPLATE} Requested: /2019/05/{TOKEN}"), O.SOFT_404, None),
    ("phrase_lowers_the_bar", fetch(hop(LINK, 200, page("Page not found | News", "", h1="Oops"))),
     text(LINK, TEMPLATE_TODAY), probe(200, TEMPLATE_TOMORROW), O.SOFT_404, None),
    ("no_phrase_same_partial_match_is_ok", fetch(hop(LINK, 200, page("News"))),
     text(LINK, TEMPLATE_TODAY), probe(200, TEMPLATE_TOMORROW), O.OK, None),
    ("phrase_alone_is_ok", fetch(hop(LINK, 200, page("Page not found", NOT_FOUND_TEMPLATE))),
     text(LINK, NOT_FOUND_TEMPLATE, "Page not found"), None, O.OK, None),
    ("page_about_404_errors_is_ok", fetch(hop(LINK, 200, page("How to fix 404 Not Found errors", ABOUT_404))),
     text(LINK, ABOUT_404, "How to fix 404 Not Found errors"), probe(404, "Not found"), O.OK, None),
    ("page_about_404_errors_probe_2xx_other_text_is_ok",
     fetch(hop(LINK, 200, page("How to fix 404 Not Found errors", ABOUT_404))),
     text(LINK, ABOUT_404, "How to fix 404 Not Found errors"), probe(200, NOT_FOUND_TEMPLATE), O.OK, None),
    ("root_with_matching_probe_is_never_soft_404", fetch(hop("https://news.example/", 200, page("News"))),
     text("https://news.example/", NOT_FOUND_TEMPLATE), probe(200, NOT_FOUND_TEMPLATE, url=f"https://news.example/{TOKEN}"),
     O.OK, None),
    ("app_shell_matches_every_url_but_is_no_evidence", fetch(hop(LINK, 200, page("App"))),
     text(LINK, "Loading... Please enable JavaScript."), probe(200, "Loading... Please enable JavaScript."), O.OK, None),
    ("probe_not_found_means_real_page", fetch(hop(LINK, 200, page("News", ARTICLE))), HEALTHY,
     probe(404, "Not found"), O.OK, None),
    # client-side redirects: the pipeline appends the target's hops after the 200 that sent the reader on
    ("meta_refresh_to_root", chain([(LINK, 200), ("https://news.example/", 200)], page("News", ARTICLE)), None,
     None, O.REDIRECT_TO_ROOT, None),
    ("script_redirect_elsewhere_is_a_temporary_move",
     chain([(LINK, 200), ("https://news.example/2019/05/lead-pipes", 200)], page("B", ARTICLE)), HEALTHY, None,
     O.REDIRECTED, False),
    ("meta_refresh_after_a_301_is_not_permanent",
     chain([(LINK, 301), ("https://news.example/old", 200), ("https://news.example/new", 200)], page("B", ARTICLE)),
     HEALTHY, None, O.REDIRECTED, False),
    # redirects to the site's search page
    ("redirect_to_search_query", chain([(LINK, 302), ("https://news.example/search?q=harbour+lead+pipes", 200)],
                                       page("Search results", ARTICLE)), HEALTHY, probe(404), O.SOFT_404, None),
    ("redirect_to_wordpress_search", chain([(LINK, 301), ("https://news.example/?s=harbour+lead+pipes", 200)],
                                           page("Search", ARTICLE)), HEALTHY, None, O.SOFT_404, None),
    ("redirect_to_german_search_path", chain([(LINK, 302), ("https://news.example/suche/harbour-lead-pipes", 200)],
                                             page("Suche", ARTICLE)), HEALTHY, None, O.SOFT_404, None),
    ("search_to_search_is_a_move", chain([("https://news.example/search?q=lead", 301),
                                          ("https://news.example/search/?q=lead", 200)], page("Search", ARTICLE)),
     HEALTHY, None, O.REDIRECTED, True),
    ("redirect_to_research_is_no_search", chain([(LINK, 301), ("https://news.example/research/lead-pipes", 200)],
                                                page("Research", ARTICLE)), HEALTHY, None, O.REDIRECTED, True),
    # lapsed domains: a phrase in any of several languages, backed by a registrar or by every path
    ("expired_with_registrar", fetch(hop(LINK, 200, page("Domain expired", "This domain has expired. Renew it at "
                                                         "your registrar."))), None, None, O.PARKED, None),
    ("abgelaufen_on_every_path", fetch(hop(LINK, 200, page("news.example", LAPSED_DE))), text(LINK, LAPSED_DE),
     probe(200, LAPSED_DE), O.PARKED, None),
    ("venta_on_every_path", fetch(hop(LINK, 200, page("news.example", LAPSED_ES))), text(LINK, LAPSED_ES),
     probe(200, LAPSED_ES), O.PARKED, None),
    ("scaduto_with_whois", fetch(hop(LINK, 200, page("news.example", LAPSED_IT))), text(LINK, LAPSED_IT),
     None, O.PARKED, None),
    ("te_koop_on_every_path", fetch(hop(LINK, 200, page("news.example", LAPSED_NL))), text(LINK, LAPSED_NL),
     probe(200, LAPSED_NL), O.PARKED, None),
    ("news_brief_about_a_domain_sale_stays_ok", fetch(hop(LINK, 200, page("Sale", DOMAIN_NEWS))),
     text(LINK, DOMAIN_NEWS), probe(404), O.OK, None),
    ("article_about_expired_domains_stays_ok", fetch(hop(LINK, 200, page("Expired domains", EXPIRED_ARTICLE))),
     text(LINK, EXPIRED_ARTICLE), probe(404), O.OK, None),
    ("probe_lands_elsewhere_link_moved", chain([(LINK, 301), ("https://news.example/2019/05/lead-pipes", 200)]),
     HEALTHY, probe(200, "Search", "https://news.example/search", redirects=1), O.REDIRECTED, True),
]


@pytest.mark.parametrize("fetched, extracted, probed, observation, permanent", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_classify(fetched, extracted, probed, observation, permanent):
    result = classify(fetched, extracted, probed)
    assert (result.observation, result.permanent) == (observation, permanent), result.detail
    assert result.detail


def test_every_observation_a_fetch_can_show_is_covered():
    produced = {case[4] for case in CASES}
    not_from_classify = {O.ROBOTS_DISALLOWED, O.INVALID_URL, O.UNSUPPORTED, O.EXCLUDED}  # decided before fetching
    assert set(O) - not_from_classify - produced == {O.CONNECTION_ERROR}  # a failure like the others above
    assert classify(fetch(failure=O.CONNECTION_ERROR, detail="refused", url=LINK), None) == \
        Classification(O.CONNECTION_ERROR, "refused")


def test_template_renderings_fall_between_the_two_bars():
    assert SOFT_404_SUPPORTED_SIMILARITY <= similarity(TEMPLATE_TODAY, TEMPLATE_TOMORROW) < SOFT_404_SIMILARITY


def test_failure_detail_is_kept():
    assert classify(fetch(failure=O.DNS_ERROR, detail="NXDOMAIN news.example", url=LINK), None).detail == \
        "NXDOMAIN news.example"


@pytest.mark.parametrize("url, expected", [
    ("https://h/a/b/c.html", f"https://h/a/b/{TOKEN}"),
    ("https://h/a/b/c.html?id=4#top", f"https://h/a/b/{TOKEN}"),
    ("https://h/a/b/", f"https://h/a/{TOKEN}/"),
    ("http://user:pw@h:8080/a", f"http://h:8080/{TOKEN}"),
    ("https://h/", f"https://h/{TOKEN}"),
    ("https://h", f"https://h/{TOKEN}"),
])
def test_probe_url_for(url, expected):
    assert probe_url_for(url, TOKEN) == expected


def test_probe_token_cannot_inject_a_path():
    with pytest.raises(ValueError):
        probe_url_for("https://h/a", "../etc")


BOILERPLATE = "Home News Sport Culture"


@pytest.mark.parametrize("name, fetched, extracted, near_empty", [
    ("empty_body", fetch(hop(LINK, 200, "")), text(LINK, ""), True),
    ("empty_body_without_type", fetch(hop(LINK, 200, "", content_type="")), None, True),
    ("menu_and_footer_only", fetch(hop(LINK, 200, page("Courier", BOILERPLATE))), text(LINK, BOILERPLATE), True),
    ("app_shell", fetch(hop(LINK, 200, page("App", "Loading..."))), text(LINK, "Loading..."), True),
    ("redirected_onto_an_empty_page", chain([(LINK, 301), ("https://news.example/b", 200)], ""), text(LINK, ""), True),
    ("article", fetch(hop(LINK, 200, page("Lead pipes", ARTICLE))), text(LINK, ARTICLE), False),
    ("pdf_has_no_text_to_expect", fetch(hop(LINK, 200, "%PDF-1.4 ...", content_type="application/pdf")), None, False),
    ("site_root_is_never_soft_404", fetch(hop("https://news.example/", 200, "")), text(LINK, ""), False),
])
def test_classify_flags_near_empty_pages(name, fetched, extracted, near_empty):
    found = classify(fetched, extracted, None)
    assert found.observation in (O.OK, O.REDIRECTED)
    assert found.near_empty is near_empty


def test_classify_flags_a_not_found_title():
    found = classify(fetch(hop(LINK, 200, page("Seite nicht gefunden", ARTICLE))), text(LINK, ARTICLE), None)
    assert (found.observation, found.not_found_title) == (O.OK, True)
