"""robots.txt (RFC 9309), parsed with protego, cached per origin (scheme, host, port).

What fetching /robots.txt gave decides for every URL of the origin until it expires:

    2xx                            parse; the group of our product token ("archiver"), else "*"   robots_ttl
    4xx (404 included), or more
      than 5 redirects             no rules: everything allowed                                 robots_ttl
    5xx, or a failure after a
      redirect (robots.txt
      elsewhere unreachable)       everything disallowed (robots_disallowed)                    robots_unreachable_ttl
    no answer at all from the
      host (dns_error, refused,
      timeout, TLS, guard)         the URL is not requested either, and ends with that same
                                   failure, its detail naming robots.txt                        robots_unreachable_ttl

The last row is RFC 9309's "unreachable: assume complete disallow" too: the
URL is never requested. It reports the host's own failure rather than
robots_disallowed because robots.txt and the URL share one endpoint, so that
is what the URL would get, and because a link checker must be able to call a
dead host dead: robots_disallowed never becomes a `dead` verdict (it means
"we did not look"), and a black-holed host would otherwise stay unverifiable
forever. The price: a host whose robots.txt alone hangs is reported as a timeout.

Redirects are followed up to 5 hops, even to other hosts (the RFC asks for at
least five), and at most 500 KiB is parsed (the RFC asks for at least that).
One thread fetches an origin's robots.txt; others wanting it wait for the answer.
robots.txt fetches are not written to the WARC: the Fetcher hands the Fetch to
`rules_for`, which interprets and closes it, so a later recorder hook has one
place to look.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from archiver.errors import FetchError
from archiver.fetch.clock import SYSTEM_CLOCK, MonotonicClock
from archiver.fetch.hosts import DEFAULT_PORTS
from archiver.fetch.shared import SharedHosts
from archiver.models import Fetch, Observation

log = logging.getLogger("archiver.fetch")

ROBOTS_MAX_BYTES = 500 * 1024
ROBOTS_MAX_REDIRECTS = 5
ROBOTS_TOTAL_TIMEOUT = 30.0  # robots.txt is small: at most this long, whatever total_timeout allows pages
# Failures that make robots.txt unavailable (treated as a 4xx), not unreachable.
_UNAVAILABLE = frozenset(
    {Observation.REDIRECT_LOOP.value, Observation.INVALID_URL.value, Observation.UNSUPPORTED.value}
)
_SWEEP_AT = 4096

# fetch_robots(robots_url) -> the Fetch, and the error that ended it if any
RobotsFetcher = Callable[[str], "tuple[Fetch, FetchError | None]"]


def product_token(user_agent: str) -> str:
    """The name robots.txt groups match: "archiver/0.1 (+https://…)" -> "archiver"."""
    first = user_agent.strip().split(" ", 1)[0]
    return first.split("/", 1)[0].lower() or "*"


def robots_url(url: str) -> str:
    """The robots.txt of the origin of `url` (no user info, default port left out)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}/robots.txt"


@dataclass(frozen=True)
class RobotsRules:
    """What an origin's robots.txt says, until `expires_at` (on the cache's clock)."""

    robots_url: str
    expires_at: float
    parser: Protego | None = None  # None: `allow_all` decides for every URL
    allow_all: bool = True
    why: str = ""  # why there are no rules to parse: "answered 404", "unreachable (timeout: …)"
    error: FetchError | None = None  # the host itself failed: its URLs fail so until expiry

    def refusal(self, url: str, token: str) -> str | None:
        """Why `url` may not be fetched, or None when it may."""
        if self.parser is not None:
            if self.parser.can_fetch(url, token):
                return None
            return f"{self.robots_url} disallows {urlsplit(url).path or '/'} for {token}"
        if self.allow_all:
            return None
        return f"{self.robots_url} {self.why}: everything disallowed until it is asked again"

    def crawl_delay(self, token: str) -> float | None:
        return self.parser.crawl_delay(token) if self.parser is not None else None


class RobotsCache:
    """robots.txt rules per origin with a TTL; safe to share between threads."""

    def __init__(self, token: str, ttl: float, unreachable_ttl: float, clock: MonotonicClock = SYSTEM_CLOCK, *,
                 shared: SharedHosts | None = None):
        self.token = token
        self._shared = shared  # robots.txt answers other processes fetched (queue mode); only answers are shared
        self.ttl = ttl
        self.unreachable_ttl = unreachable_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._rules: dict[str, RobotsRules] = {}
        self._fetching: set[str] = set()

    def rules_for(self, url: str, fetch_robots: RobotsFetcher) -> RobotsRules:
        """The rules for `url`'s origin, fetched once per TTL; raises the host's own failure, if it had one."""
        origin = robots_url(url)
        with self._lock:
            while True:
                rules = self._rules.get(origin)
                if rules is not None and rules.expires_at > self._clock.monotonic():
                    return _checked(rules, remembered=True)
                if origin not in self._fetching:
                    self._fetching.add(origin)
                    break
                self._answered.wait()
        rules = None
        try:
            rules = self._fetch(origin, fetch_robots)
        finally:
            with self._lock:
                self._fetching.discard(origin)
                if rules is not None:
                    self._store(origin, rules)
                self._answered.notify_all()
        return _checked(rules, remembered=False)

    def forget_failures(self) -> None:
        """Drop the short-lived entries (5xx, unreachable, failed hosts): a new check asks again."""
        with self._lock:
            self._rules = {k: r for k, r in self._rules.items() if r.allow_all or r.parser is not None}

    def _store(self, origin: str, rules: RobotsRules) -> None:
        if len(self._rules) >= _SWEEP_AT:
            now = self._clock.monotonic()
            self._rules = {k: r for k, r in self._rules.items() if r.expires_at > now}
        self._rules[origin] = rules

    def _fetch(self, origin: str, fetch_robots: RobotsFetcher) -> RobotsRules:
        if self._shared is not None:
            text = self._shared.robots_text(origin)
            if text is not None:
                return self._parsed(origin, text)
        fetch, error = fetch_robots(origin)
        try:
            return self._interpret(origin, fetch, error)
        finally:
            fetch.close()

    def _interpret(self, origin: str, fetch: Fetch, error: FetchError | None) -> RobotsRules:
        now = self._clock.monotonic()
        allowed = RobotsRules(origin, now + self.ttl)
        if error is not None:
            if error.kind in _UNAVAILABLE:
                return allowed
            if not fetch.exchanges:  # the host gave no answer at all: see the table above
                return RobotsRules(origin, now + self.unreachable_ttl, allow_all=False, error=error)
            why = f"unreachable ({error.kind}: {error.detail})"
            return RobotsRules(origin, now + self.unreachable_ttl, allow_all=False, why=why)
        final = fetch.exchanges[-1]
        if 200 <= final.status < 300:
            text = final.body.decoded.decode("utf-8", errors="replace").lstrip("\ufeff")
            self._share(origin, text)
            return self._parsed(origin, text)
        if final.status >= 500:
            return RobotsRules(origin, now + self.unreachable_ttl, allow_all=False, why=f"answered {final.status}")
        self._share(origin, "")
        return allowed  # 4xx, or a redirect without a target: no rules

    def _parsed(self, origin: str, text: str) -> RobotsRules:
        """The rules of the robots.txt `text` ("" : none, everything allowed), for the TTL."""
        expires_at = self._clock.monotonic() + self.ttl
        if not text:
            return RobotsRules(origin, expires_at)
        try:
            return RobotsRules(origin, expires_at, parser=Protego.parse(text))
        except Exception:  # a file no parser makes sense of has no rules we can follow
            log.warning("robots.txt at %s could not be parsed; treating it as absent", origin, exc_info=True)
            return RobotsRules(origin, expires_at)

    def _share(self, origin: str, text: str) -> None:
        if self._shared is not None:
            self._shared.remember_robots(origin, text, self.ttl)


def _checked(rules: RobotsRules, *, remembered: bool) -> RobotsRules:
    """`rules`, or the host's own failure raised again, its detail saying where it came from."""
    if rules.error is None:
        return rules
    when = "remembered from asking for" if remembered else "when asking for"
    raise FetchError(rules.error.kind, f"{rules.error.detail} ({when} {rules.robots_url})")
