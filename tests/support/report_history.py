"""One link-health history for every report test, made by the real pipeline on a loopback web.

Two articles are archived at T0, then every link is checked again 36 h and 72 h
later with an injected clock. After the last check each verdict occurs (alive,
suspect, dead, moved, rotten, drifted, unverifiable), and the last check itself
brings news of every kind (newly dead, rotten and drifted, moved, recovered, and
both articles edited), so `--since LAST` has something to say.

The second article is hostile: its title, text and anchor texts, and the page it
cites, carry script and markup payloads that no report may pass on unescaped.

No hang or drip fixtures: every server answers at once, or refuses the connection.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path

import jsonschema

from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import Settings, load_settings
from support.articles import ARTICLE_TEXT, EDITED_TEXT, SENTENCES, SOFT_404, page
from support.loopback import LoopbackServer, Reply, closed_port

HTML = (("Content-Type", "text/html; charset=utf-8"),)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
CHECK_TIMES = (T0, T0 + timedelta(hours=36), T0 + timedelta(hours=72))
# The document.title payload shows whether any script ran: a browser would retitle the page.
HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"'><svg onload=alert(1)>",
           "<script>document.title='XSS'</script>")
HOSTILE_TITLE = "Council budget " + " ".join(HOSTILE)

# Reference name -> (its verdict after the last check, the news the last check brought or None).
EXPECTED = {
    "stable": ("alive", None),
    "pdf": ("alive", None),
    "moved": ("moved", None),
    "moved_late": ("moved", "moved"),
    "to_home": ("rotten", "newly_rotten"),
    "soft_404": ("rotten", "newly_rotten"),
    "not_found": ("dead", "newly_dead"),
    "gone": ("dead", "newly_dead"),
    "refused": ("dead", "newly_dead"),
    "drifted": ("drifted", None),
    "drifted_late": ("drifted", "newly_drifted"),
    "late_404": ("suspect", None),
    "revived": ("alive", "recovered"),
    "rate_limited": ("unverifiable", None),
    "bot_blocked": ("unverifiable", None),
    "mailto": ("unverifiable", None),
}
HOSTILE_EXPECTED = {"hostile_page": ("drifted", None), "stable": ("alive", None), "hostile_query": ("alive", None)}


@dataclass(frozen=True)
class ReportHistory:
    data_dir: Path
    settings: Settings
    article_url: str
    hostile_article_url: str
    urls: dict[str, str]  # reference name -> URL, for the first article
    hostile_urls: dict[str, str]  # reference name -> URL, for the hostile article
    anchors: dict[str, str]  # hostile reference name -> its anchor text

    def url_verdicts(self) -> dict[str, str]:
        """URL -> verdict after the last check, over both articles."""
        verdicts = {self.urls[name]: verdict for name, (verdict, _) in EXPECTED.items()}
        verdicts.update({self.hostile_urls[name]: verdict for name, (verdict, _) in HOSTILE_EXPECTED.items()})
        return verdicts


class ReportWeb:
    """The loopback sites; `check` is the index of the check being served (some pages change with it)."""

    def __init__(self, stack: ExitStack):
        self.check = 0
        self.site = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        self.soft = stack.enter_context(LoopbackServer(host="127.0.0.2"))  # every path: the same "sorry" page
        self.soft.fallback = Reply(headers=HTML, body=SOFT_404)
        self.refused_port = stack.enter_context(closed_port())
        ok = Reply(headers=HTML, body=page("Stable", ARTICLE_TEXT))
        self.site.routes.update({
            "/": Reply(headers=HTML, body=page("Home", SENTENCES[:3])),
            "/stable.html": ok,
            "/report.pdf": Reply(headers=(("Content-Type", "application/pdf"),), body=b"%PDF-1.4\n" + b"0" * 2000),
            "/moved/old.html": Reply(301, headers=(("Location", "/moved/new.html"),)),
            "/moved/new.html": Reply(headers=HTML, body=page("Moved", ARTICLE_TEXT)),
            "/later/old.html": lambda seen: Reply(301, headers=(("Location", "/moved/new.html"),)) if self.check == 2 else ok,
            "/deep/section/story.html": Reply(302, headers=(("Location", "/"),)),
            "/missing.html": Reply(404, headers=HTML, body=b"<h1>Not Found</h1>"),
            "/gone.html": Reply(410, headers=HTML, body=b"<h1>Gone</h1>"),
            "/drifted.html": lambda seen: self._edited_from(1),
            "/drifted-late.html": lambda seen: self._edited_from(2),
            "/late-404.html": lambda seen: Reply(404, headers=HTML, body=b"gone") if self.check == 2 else ok,
            "/revived.html": lambda seen: ok if self.check == 2 else Reply(404, headers=HTML, body=b"not yet"),
            "/rate-limited.html": Reply(429, body=b"slow down"),
            "/bot-blocked.html": Reply(403, body=b"Forbidden"),
            "/hostile-page.html": lambda seen: Reply(headers=HTML, body=self._hostile_page()),
            "/article.html": lambda seen: Reply(headers=HTML, body=self._article()),
            "/hostile.html": lambda seen: Reply(headers=HTML, body=self._hostile_article()),
        })

    def _edited_from(self, check: int) -> Reply:
        """The council page, rewritten from check `check` on (drifted: same topic, other text)."""
        return Reply(headers=HTML, body=page("Council", EDITED_TEXT if self.check >= check else ARTICLE_TEXT))

    def urls(self) -> dict[str, str]:
        s = self.site
        return {
            "stable": s.url("/stable.html"), "pdf": s.url("/report.pdf"), "moved": s.url("/moved/old.html"),
            "moved_late": s.url("/later/old.html"), "to_home": s.url("/deep/section/story.html"),
            "soft_404": self.soft.url("/news/2021/a-story.html"), "not_found": s.url("/missing.html"),
            "gone": s.url("/gone.html"), "refused": f"http://127.0.0.1:{self.refused_port}/x",
            "drifted": s.url("/drifted.html"), "drifted_late": s.url("/drifted-late.html"),
            "late_404": s.url("/late-404.html"), "revived": s.url("/revived.html"),
            "rate_limited": s.url("/rate-limited.html"), "bot_blocked": s.url("/bot-blocked.html"),
            "mailto": "mailto:editor@news.test",
        }

    def hostile_hrefs(self) -> dict[str, str]:
        """Hostile reference name -> the href as written in the page (before our URL normalisation)."""
        return {"hostile_page": self.site.url("/hostile-page.html"), "stable": self.site.url("/stable.html"),
                "hostile_query": self.site.url("/stable.html?q=\"'><svg/onload=alert(1)>")}

    def hostile_anchors(self) -> dict[str, str]:
        return {"hostile_page": "the <script>alert(1)</script> council page", "stable": "<img src=x onerror=alert(1)>",
                "hostile_query": "\"'><svg onload=alert(1)>"}

    def _article(self) -> bytes:
        paragraphs = [f"<p>Paragraph about {name.replace('_', ' ')}: as <a href=\"{url}\">the {name.replace('_', ' ')} source</a> "
                      f"reported in detail, the situation developed over several months.</p>" for name, url in self.urls().items()]
        if self.check == 2:
            paragraphs.insert(3, "<p>Correction: an earlier version of this article misstated the size of the transport "
                                 "budget, which is forty million, not fourteen million as first reported here.</p>")
        return _document("Link health", "".join(paragraphs))

    def _hostile_article(self) -> bytes:
        anchors = self.hostile_anchors()
        paragraphs = [f"<p>Readers of the council story {escape(HOSTILE[index % len(HOSTILE)])} should see "
                      f"<a href=\"{escape(href)}\">{escape(anchors[name])}</a> for the full background and the numbers.</p>"
                      for index, (name, href) in enumerate(self.hostile_hrefs().items())]
        if self.check == 2:
            paragraphs.append(f"<p>Update: the editors added {escape(HOSTILE[2])} and {escape(HOSTILE[1])} to this "
                              f"story after readers asked where the figures came from.</p>")
        return _document(HOSTILE_TITLE, "".join(paragraphs))

    def _hostile_page(self) -> bytes:
        text = ARTICLE_TEXT if self.check == 0 else EDITED_TEXT[:5] + [f"Now with {payload} inside." for payload in HOSTILE] * 3
        sentences = [escape(sentence) for sentence in text]
        return page(escape(HOSTILE_TITLE), sentences)


def _document(title: str, body: str) -> bytes:
    return (f"<!doctype html><html><head><title>{escape(title)}</title></head><body><article>"
            f"<h1>{escape(title)}</h1>{body}</article></body></html>").encode()


def history_settings(data_dir: Path) -> Settings:
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "2s",
           "ARCHIVER_FETCH_CONNECT_TIMEOUT": "1s", "ARCHIVER_FETCH_READ_TIMEOUT": "1s", "ARCHIVER_FETCH_RETRIES": "0",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s", "ARCHIVER_FETCH_RESPECT_ROBOTS": "false"}
    return load_settings(env=env, overrides={"storage.data_dir": str(data_dir)})


def build_report_history(data_dir: Path) -> ReportHistory:
    """Archive both articles at T0, check every link at T0+36h and T0+72h; the servers stop afterwards."""
    settings = history_settings(data_dir)
    with ExitStack() as stack:
        web = ReportWeb(stack)
        now = {"t": CHECK_TIMES[0]}
        articles = [article_from_cli(web.site.url("/article.html")), article_from_cli(web.site.url("/hostile.html"))]
        for index, when in enumerate(CHECK_TIMES):
            web.check, now["t"] = index, when
            with open_pipeline(settings, clock=lambda: now["t"], sleep=lambda seconds: None) as pipeline:
                if index == 0:
                    pipeline.archive(articles)
                else:
                    pipeline.check(include_not_due=True)  # every link observed at every check
        hrefs = web.hostile_hrefs()
        hostile_urls = {name: _normalised(href) for name, href in hrefs.items()}
        return ReportHistory(data_dir, settings, articles[0].url, articles[1].url, web.urls(), hostile_urls,
                             web.hostile_anchors())


def _normalised(href: str) -> str:
    try:
        return article_from_cli(href).url
    except ValueError:
        return href  # not http(s): stored as written


_built: dict[str, ReportHistory] = {}


def shared_report_history(tmp_path_factory) -> ReportHistory:
    """The history, built once per test session whichever test module asks first."""
    if "history" not in _built:
        _built["history"] = build_report_history(tmp_path_factory.mktemp("report-history") / "archives")
    return _built["history"]


@lru_cache(maxsize=1)
def report_schema_validator() -> jsonschema.Draft202012Validator:
    """The shipped JSON Schema (draft 2020-12), itself checked, with formats (date-time) enforced."""
    schema = json.loads((resources.files("archiver.report") / "schema" / "report-1.2.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def validated_report(text: str | bytes) -> dict:
    """A JSON report parsed, after asserting it is valid against the schema (every error listed)."""
    report = json.loads(text)
    errors = [f"{error.json_path}: {error.message}" for error in report_schema_validator().iter_errors(report)]
    assert not errors, errors
    return report
