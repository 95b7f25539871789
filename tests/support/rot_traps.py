"""A loopback web of rot that looks alive, among ordinary rot and pages that must stay healthy.

Round 1 every page is the article it was cited for. Round 2 (`web.round = 2`) each case turns into
what its name says: a meta refresh or a script sending the reader to the site's root, a 302 to the
site's search page, an empty or boilerplate-only 200, an expired or for-sale domain answering every
path with one page (in four languages), a 451, a client-side redirect loop; beside them 404s, 410s,
an HTTP redirect to the root, a persistent 500, a foreign-language soft 404 that echoes the path,
hijacked spam, a rewrite, a real edit; and the cases that must hold: healthy, slow, a bot challenge,
a lightly corrected page, a redirect to a trailing slash, a client-side redirect to the same article.

Used by tests/pipeline/test_rot_traps.py (copies=1) and benchmarks/rot_traps.py (more copies).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.settings import Settings, load_settings
from support.articles import ARTICLE_TEXT, EDITED_TEXT, FOOTBALL, SENTENCES, page
from support.loopback import LoopbackServer, Reply, Seen

HTML = (("Content-Type", "text/html; charset=utf-8"),)
SLOW_SECONDS = 0.3  # a far-away server: slower than a neighbour, far inside the fetch deadlines


@dataclass(frozen=True)
class Case:
    name: str
    group: str  # "healthy" (never dead, rotten or drifted), "trap", "rot" or "drift"
    truth: str  # the verdict a careful reader would give after round 2 is confirmed
    observation: str  # what every round-2 check should observe


CASES = [
    Case("healthy", "healthy", "alive", "ok"),
    Case("slow", "healthy", "alive", "ok"),
    Case("challenged", "healthy", "unverifiable", "blocked"),
    Case("corrected", "healthy", "alive", "ok"),
    Case("trailing_slash", "healthy", "moved", "redirected"),
    Case("client_moved", "healthy", "alive", "redirected"),
    Case("legal_block", "healthy", "unverifiable", "blocked"),
    Case("meta_refresh_root", "trap", "rotten", "redirect_to_root"),
    Case("script_replace_root", "trap", "rotten", "redirect_to_root"),
    Case("script_href_root", "trap", "rotten", "redirect_to_root"),
    Case("script_assign_later", "trap", "rotten", "redirect_to_root"),
    Case("search_redirect", "trap", "rotten", "soft_404"),
    Case("empty", "trap", "rotten", "soft_404"),
    Case("boilerplate_only", "trap", "rotten", "soft_404"),
    Case("expired_en", "trap", "rotten", "parked"),
    Case("expired_de", "trap", "rotten", "parked"),
    Case("for_sale_es", "trap", "rotten", "parked"),
    Case("expired_fr", "trap", "rotten", "parked"),
    Case("client_loop", "trap", "dead", "redirect_loop"),
    Case("foreign_soft_404", "rot", "rotten", "soft_404"),
    Case("not_found", "rot", "dead", "not_found"),
    Case("gone", "rot", "dead", "gone"),
    Case("http_to_root", "rot", "rotten", "redirect_to_root"),
    Case("server_error", "rot", "dead", "server_error"),
    Case("hijacked_spam", "drift", "drifted", "ok"),
    Case("rewritten", "drift", "drifted", "ok"),
    Case("real_edit", "drift", "drifted", "ok"),
]
PARKED_HOSTS = {"expired_en": "127.0.0.4", "expired_de": "127.0.0.5", "for_sale_es": "127.0.0.6",
                "expired_fr": "127.0.0.7"}

SPAM = [
    "Best online casino bonus codes for new players, claim two hundred free spins today without deposit.",
    "Cheap replica watches and designer bags shipped worldwide, discreet packaging and secure payment.",
    "Win real money playing slots on your phone, the jackpot grows every minute, sign up in seconds.",
    "Our partners offer the lowest loan rates, instant approval, no credit check and cash in one hour.",
] * 5
# A correction note and changed figures: the article still says what it was cited for.
CORRECTED = (["Correction: an earlier version of this article gave the wrong date for the vote."]
             + ARTICLE_TEXT[:5] + [ARTICLE_TEXT[5].replace("eighteen", "twenty")] + ARTICLE_TEXT[6:])
SEARCH_RESULTS = page("Search results", [
    f"Result {n}: {s}" for n, s in enumerate(SENTENCES)] + ["Showing 8 of 214 results. Refine your search."])
BOILERPLATE = (b"<!doctype html><html><head><title>City Courier</title></head><body><header><nav>"
               b"<a href='/'>Home</a> <a href='/news/'>News</a> <a href='/sport/'>Sport</a> <a href='/culture/'>"
               b"Culture</a></nav></header><main></main><footer><p>&copy; 2026 City Courier</p><a href='/privacy'>"
               b"Privacy</a> <a href='/terms'>Terms</a></footer></body></html>")
EXPIRED = {  # registrar / parking pages, one per language, none of them one template
    "expired_en": ("Domain expired", ("<h1>This domain has expired</h1><p>The registration of this domain name "
                   "expired. If you are the owner, renew it now to restore your website and email.</p>"
                   "<p><a href='https://registrar.example/renew'>Renew now</a> &middot; Registered at BlueRegistrar</p>")),
    "expired_de": ("Domain abgelaufen", ("<h1>Diese Domain ist abgelaufen</h1><p>Sind Sie der Inhaber? "
                   "Verl&auml;ngern Sie die Domain jetzt bei Ihrem Registrar.</p>")),
    "for_sale_es": ("Dominio en venta", ("<h1>&iexcl;Este dominio est&aacute; en venta!</h1>"
                    "<p>Haga una oferta hoy mismo. Contacte con el propietario para comprar este dominio.</p>")),
    "expired_fr": ("Nom de domaine expir\u00e9", ("<h1>Ce nom de domaine a expir\u00e9</h1><p>Renouvelez-le "
                   "d\u00e8s maintenant aupr\u00e8s de votre bureau d'enregistrement.</p>")),
}
NOT_FOUND_DE = ("Seite nicht gefunden", ("Die angeforderte Seite {path} wurde leider nicht gefunden. Vielleicht "
                "wurde sie verschoben oder gel\u00f6scht. Nutzen Sie die Suche oder kehren Sie zur Startseite "
                "zur\u00fcck. Bei Fragen wenden Sie sich bitte an unsere Redaktion."))


def _html(body: bytes) -> Reply:
    return Reply(headers=HTML, body=body)


def _doc(title: str, body: str, head: str = "") -> bytes:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body>{body}</body></html>").encode()


class RotTrapWeb:
    """The servers. `round` (1 or 2) says which face every page shows."""

    def __init__(self, stack: ExitStack, copies: int = 1):
        self.round = 1
        self.copies = copies
        self.site = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        self.foreign = stack.enter_context(LoopbackServer(host="127.0.0.2"))
        self.slow = stack.enter_context(LoopbackServer(host="127.0.0.3"))
        self.parked = {name: stack.enter_context(LoopbackServer(host=host)) for name, host in PARKED_HOSTS.items()}
        for server in [self.site, self.foreign, self.slow, *self.parked.values()]:
            server.routes["/"] = _html(page("Home", SENTENCES[:3]))
        self.site.routes["/search"] = _html(SEARCH_RESULTS)
        self.foreign.fallback = self._foreign_fallback
        for name, server in self.parked.items():
            server.fallback = self._parked_fallback(name)
            home = server.routes["/"]
            server.routes["/"] = lambda seen, home=home, parked=server.fallback: home if self.round == 1 else parked(seen)
        self.urls: dict[str, tuple[str, Case]] = {}  # url -> (case name with copy, case)
        for copy in range(copies):
            for case in CASES:
                self._add(case, copy)

    # -- serving -----------------------------------------------------------------------------

    def _add(self, case: Case, copy: int) -> None:
        folder = f"/c{copy}/{case.name.replace('_', '-')}"
        server = (self.parked.get(case.name) or {"slow": self.slow, "foreign_soft_404": self.foreign}
                  .get(case.name, self.site))
        path = f"{folder}/council-approves-transport-budget.html"
        server.routes[path] = self._route(case, server, folder, path)
        self.urls[server.url(path)] = (f"{case.name}#{copy}", case)

    def _route(self, case: Case, server: LoopbackServer, folder: str, path: str):
        article = _html(page("Council approves transport budget", ARTICLE_TEXT))
        later = self._round_two(case, server, folder, path)

        def serve(seen: Seen) -> Reply:
            if case.name == "slow":
                time.sleep(SLOW_SECONDS)  # the scenario itself: a slow answer, not a wait for anything
            if self.round == 1:
                return article
            return later(seen) if callable(later) else later
        return serve

    def _round_two(self, case: Case, server: LoopbackServer, folder: str, path: str):
        site = server.routes
        name = case.name
        if name in ("healthy", "slow"):
            return _html(page("Council approves transport budget", ARTICLE_TEXT))
        if name == "challenged":
            return Reply(403, headers=HTML, body=_doc("Just a moment...", "<p>Checking your browser before "
                                                      "accessing the site.</p><script>window._cf_chl_opt={}</script>"))
        if name == "corrected":
            return _html(page("Council approves transport budget", CORRECTED))
        if name == "trailing_slash":
            site[path + "/"] = _html(page("Council approves transport budget", ARTICLE_TEXT))
            return Reply(301, headers=(("Location", path + "/"),))
        if name == "client_moved":
            site[folder + "/new-home.html"] = _html(page("Council approves transport budget", ARTICLE_TEXT))
            return _html(_doc("Moved", "", f"<meta http-equiv='refresh' content='0; url={folder}/new-home.html'>"))
        if name == "legal_block":
            return Reply(451, headers=HTML, body=_doc("Unavailable For Legal Reasons",
                                                      "<h1>451</h1><p>Not available in your country.</p>"))
        if name == "meta_refresh_root":
            return _html(_doc("Redirecting", "", "<meta http-equiv=\"refresh\" content=\"0; url=/\">"))
        if name == "script_replace_root":
            return _html(_doc("", "<script>location.replace('/');</script>"))
        if name == "script_href_root":
            return _html(_doc("Loading", "<p>Loading&hellip;</p><script>window.location.href = \"/\";</script>"))
        if name == "script_assign_later":
            return _html(_doc("Please wait", "<p>You will be taken to our home page.</p>"
                              "<script>setTimeout(function () { document.location.assign('/'); }, 1500);</script>"))
        if name == "search_redirect":
            return Reply(302, headers=(("Location", "/search?q=council+approves+transport+budget"),))
        if name == "empty":
            return _html(b"")
        if name == "boilerplate_only":
            return _html(BOILERPLATE)
        if name in EXPIRED:  # every path of the host, this one and its root included, answers the one page
            return self._parked_fallback(name)
        if name == "client_loop":
            site[folder + "/other.html"] = _html(_doc("", "", f"<meta http-equiv='refresh' content='0;URL={path}'>"))
            return _html(_doc("", "", f"<meta http-equiv='refresh' content='0;URL={folder}/other.html'>"))
        if name == "foreign_soft_404":
            return self._foreign_fallback
        if name == "not_found":
            return Reply(404, headers=HTML, body=_doc("Not found", "<h1>Not found</h1>"))
        if name == "gone":
            return Reply(410, headers=HTML, body=_doc("Gone", "<h1>Gone</h1>"))
        if name == "http_to_root":
            return Reply(302, headers=(("Location", "/"),))
        if name == "server_error":
            return Reply(500, headers=HTML, body=_doc("Error", "<h1>Internal Server Error</h1>"))
        if name == "hijacked_spam":
            return _html(page("Best casino bonus 2026", SPAM))
        if name == "rewritten":
            return _html(page("Derby day", FOOTBALL))
        if name == "real_edit":
            return _html(page("Council approves transport budget", EDITED_TEXT))
        raise ValueError(f"no round-2 page for {name}")

    def _foreign_fallback(self, seen: Seen) -> Reply:
        if self.round == 1:
            return Reply(404, body=b"not found")  # the honest 404 the site gave before its redesign
        title, text = NOT_FOUND_DE
        path = urlsplit(seen.path).path
        return _html(page(title, [text.format(path=path)]))

    def _parked_fallback(self, name: str):
        title, body = EXPIRED[name]

        def serve(seen: Seen) -> Reply:
            if self.round == 1:
                return Reply(404, body=b"not found")
            return _html(_doc(title, body))
        return serve

    # -- the article that cites every case ---------------------------------------------------

    def article(self) -> bytes:
        links = "".join(
            f"<p>Paragraph about case {label}: as <a href=\"{url}\">this source</a> reported in detail, "
            f"the situation developed over several months and was widely discussed.</p>"
            for url, (label, _) in self.urls.items()
        )
        return (f"<!doctype html><html><head><title>Rot traps</title></head><body><article><h1>Rot traps</h1>"
                f"{links}</article></body></html>").encode()

    def serve_article(self) -> str:
        self.site.routes["/articles/rot-traps.html"] = _html(self.article())
        return self.site.url("/articles/rot-traps.html")


# -- two rounds through the real pipeline ----------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Round 1 archives; round 2 checks three times over 72 h, enough to confirm (defaults 3 checks, 72 h).
ROUND_TWO = [T0 + timedelta(hours=24), T0 + timedelta(hours=60), T0 + timedelta(hours=96)]
ENV = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
       "ARCHIVER_FETCH_RESPECT_ROBOTS": "false", "ARCHIVER_FETCH_RETRIES": "0", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "5s",
       "ARCHIVER_FETCH_READ_TIMEOUT": "3s", "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0"}


def settings_for(data_dir, **env: str) -> Settings:
    """Settings for the trap web: loopback allowed, no pauses, no retries; `env` adds ARCHIVER_* variables."""
    return load_settings(env={**ENV, **env}, overrides={"storage.data_dir": str(data_dir)})


def run_rounds(web: RotTrapWeb, settings: Settings) -> list[dict[str, tuple[str, str]]]:
    """Archive the citing article in round 1, check it three times in round 2: url -> (observation, verdict)
    after round 1 and after each check of round 2."""
    now = {"t": T0}
    article = web.serve_article()
    results = []
    for index, when in enumerate([T0, *ROUND_TWO]):
        web.round, now["t"] = (1 if index == 0 else 2), when
        with open_pipeline(settings, clock=lambda: now["t"], sleep=lambda seconds: None) as pipeline:
            if index == 0:
                pipeline.archive([article_from_cli(article)])
            else:
                pipeline.check(include_not_due=True)
        with open_store(settings) as store:
            latest = store.latest_observations(list(web.urls))
        results.append({url: (row.observation, row.verdict) for url, row in latest.items()})
    return results
