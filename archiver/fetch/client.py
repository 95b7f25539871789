"""The Fetcher: one URL in, one Fetch out, every redirect hop recorded as its own Exchange.

Every request (each hop, each robots.txt fetch) goes through Politeness
(politeness.py): robots.txt, a slot of its host, remembered hard failures,
adaptive pace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Self

import requests
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar

from archiver.errors import FetchError
from archiver.fetch.clock import SYSTEM_CLOCK, MonotonicClock
from archiver.fetch.connection import FetchScope, fetch_scope
from archiver.fetch.deadline import Watchdog
from archiver.fetch.dial import Dialer, Resolver, resolve_system
from archiver.fetch.failures import SEND_ERRORS, send_failure, total_timeout
from archiver.fetch.guard import NetworkGuard
from archiver.fetch.hosts import HostKey, host_key
from archiver.fetch.politeness import Politeness
from archiver.fetch.redirects import fetchable_url, method_after_redirect, redirect_target
from archiver.fetch.robots import ROBOTS_MAX_BYTES, ROBOTS_MAX_REDIRECTS, ROBOTS_TOTAL_TIMEOUT
from archiver.fetch.session import build_session
from archiver.fetch.shared import SharedHosts
from archiver.fetch.stream import consistent_headers, read_body
from archiver.models import Exchange, Fetch, Observation
from archiver.settings import FetchSettings


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Limits:
    """What one fetch may do: pages and robots.txt fetches differ."""

    max_redirects: int
    max_body_bytes: int
    max_decoded_bytes: int
    total_timeout: float
    check_robots: bool
    follow_redirects: bool = True


class Fetcher:
    """Fetches URLs for the whole program; safe to share between threads.

    `resolver` replaces DNS (tests map names to loopback with it); `guard`
    replaces the network guard built from settings (tests allow one loopback
    endpoint with it); `clock` paces hosts and ages robots.txt and remembered
    failures (tests pass a fake one); `on_start(host, time)` sees each request
    start on that clock. Close the Fetcher, and each Fetch, when done.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        resolver: Resolver | None = None,
        guard: NetworkGuard | None = None,
        clock: MonotonicClock = SYSTEM_CLOCK,
        on_start: Callable[[HostKey, float], None] | None = None,
        shared: SharedHosts | None = None,
    ):
        self.settings = settings
        self._dialer = Dialer(
            guard or NetworkGuard(settings.allow_private_networks),
            resolver or resolve_system,
            lookup_threads=settings.global_concurrency,  # one lookup at a time per fetching thread
        )
        self._session = build_session(settings)
        self._watchdog = Watchdog()
        self.politeness = Politeness(settings, clock, on_start, shared)  # shared: queue mode's cluster-wide hosts
        pages = _Limits(settings.max_redirects, settings.max_body_bytes, settings.max_extract_bytes,
                        settings.total_timeout, check_robots=settings.respect_robots)
        self._page_limits = {False: pages, True: replace(pages, check_robots=False)}  # keyed by ignore_robots
        self._robots_limits = _Limits(ROBOTS_MAX_REDIRECTS, ROBOTS_MAX_BYTES, ROBOTS_MAX_BYTES,
                                      min(settings.total_timeout, ROBOTS_TOTAL_TIMEOUT), check_robots=False)

    def fetch(
        self,
        url: str,
        method: str = "GET",
        extra_headers: Mapping[str, str] | None = None,
        *,
        ignore_robots: bool = False,
        follow_redirects: bool = True,
        not_before: float = 0.0,
    ) -> Fetch:
        """Fetch `url`, following redirects by hand, within settings.total_timeout.

        Never raises for network problems: they end up in `Fetch.failure`.
        `ignore_robots` skips robots.txt for this fetch (explicitly registered
        articles, when settings.robots_ignore_for_articles says so); every
        other politeness rule still applies. `follow_redirects=False` ends the
        fetch at the first answer, a redirect included (a Memento TimeGate's
        302 is the answer itself, not a hop to follow). `not_before` (on the
        politeness clock, see `now()`) holds the first request back: a retry
        waits in its host's queue, holding no slot, instead of sleeping.
        """
        limits = self._page_limits[ignore_robots]
        if not follow_redirects:
            limits = replace(limits, follow_redirects=False)
        fetch, _ = self._run(url, method, extra_headers or {}, limits, not_before)
        return fetch

    def now(self) -> float:
        """The politeness clock's time, for `not_before`."""
        return self.politeness.frontier.now()

    def new_check(self) -> None:
        """A new check begins: hosts that failed hard, or whose robots.txt was unreachable, are asked again."""
        self.politeness.new_check()

    def close(self) -> None:
        self._watchdog.close()
        self._session.close()
        self._dialer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(
        self, url: str, method: str, extra_headers: Mapping[str, str], limits: _Limits, not_before: float = 0.0
    ) -> tuple[Fetch, FetchError | None]:
        started_at = _utcnow()
        deadline = self._watchdog.start(limits.total_timeout)
        exchanges: list[Exchange] = []
        failure: FetchError | None = None
        try:
            with fetch_scope(self._dialer, deadline) as scope:
                self._follow(url, method.upper(), extra_headers, scope, exchanges, limits, not_before)
        except FetchError as error:
            failure = error
        except BaseException:  # our disk failing the spool (RecordError), or a bug: no Fetch will own these
            for exchange in exchanges:
                exchange.body.close()
            raise
        finally:
            deadline.finish()
        fetch = Fetch(
            url=url,
            exchanges=tuple(exchanges),
            started_at=started_at,
            finished_at=_utcnow(),
            failure=Observation(failure.kind) if failure else None,
            failure_detail=failure.detail if failure else "",
        )
        return fetch, failure

    def _fetch_robots(self, robots_url: str) -> tuple[Fetch, FetchError | None]:
        return self._run(robots_url, "GET", {}, self._robots_limits)

    def _follow(
        self,
        url: str,
        method: str,
        extra_headers: Mapping[str, str],
        scope: FetchScope,
        exchanges: list[Exchange],
        limits: _Limits,
        not_before: float = 0.0,
    ) -> None:
        """Append one Exchange per hop until a final response; raise FetchError when the chain fails."""
        cookies = RequestsCookieJar()  # cookies live for one redirect chain: sites set one, then redirect
        # A loop is the same request again: the same URL with the same cookies. A consent or
        # cookie wall (A -> B, which sets a cookie -> A) comes back to A with a cookie, and is no loop.
        requested: set[tuple[str, str | None]] = set()
        while True:
            request = self._prepare(url, method, extra_headers, cookies)
            state = (request.url, request.headers.get("Cookie"))
            if state in requested:
                raise FetchError(Observation.REDIRECT_LOOP.value, f"redirected back to {request.url}")
            requested.add(state)  # type: ignore[arg-type]
            key = host_key(request.url)  # type: ignore[arg-type]
            if limits.check_robots:
                with scope.deadline.paused_while():  # robots.txt has its own deadline
                    self.politeness.check_robots(request.url, key, self._fetch_robots)  # type: ignore[arg-type]
            exchange = self._exchange(request, key, scope, cookies, limits, not_before)
            not_before = 0.0  # the later hops go as soon as their hosts allow
            exchanges.append(exchange)
            target = redirect_target(exchange)
            if target is None or not limits.follow_redirects:
                return
            if len(exchanges) > limits.max_redirects:
                raise FetchError(Observation.REDIRECT_LOOP.value, f"more than {limits.max_redirects} redirects")
            url, method = target, method_after_redirect(exchange.status, method)

    def _prepare(
        self, url: str, method: str, extra_headers: Mapping[str, str], cookies: RequestsCookieJar
    ) -> requests.PreparedRequest:
        request = requests.Request(method, fetchable_url(url), headers=dict(extra_headers), cookies=cookies)
        try:
            return self._session.prepare_request(request)
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema) as error:
            raise FetchError(Observation.INVALID_URL.value, f"{url!r}: {error}") from None

    def _exchange(
        self, request: requests.PreparedRequest, key: HostKey, scope: FetchScope, cookies: RequestsCookieJar,
        limits: _Limits, not_before: float = 0.0,
    ) -> Exchange:
        """Send one request in a slot of its host; its answer paces the host."""
        with self.politeness.request_slot(key, scope.deadline, not_before):
            exchange = self._send(request, scope, cookies, limits)
            self.politeness.answered(key, exchange)
        return exchange

    def _send(
        self, request: requests.PreparedRequest, scope: FetchScope, cookies: RequestsCookieJar, limits: _Limits
    ) -> Exchange:
        """Send one request and read its response into an Exchange."""
        deadline = scope.deadline
        if deadline.expired:
            raise total_timeout(deadline, f"before requesting {request.url}")
        started_at = _utcnow()
        timeouts = (deadline.clamp(self.settings.connect_timeout), deadline.clamp(self.settings.read_timeout))
        # Straight to the adapter: Session.send reads a redirect's whole body into memory to
        # prepare Response.next, bypassing the size cap.
        adapter = self._session.get_adapter(request.url)  # type: ignore[arg-type]
        try:
            response = adapter.send(request, stream=True, timeout=timeouts)
        except SEND_ERRORS as error:
            raise send_failure(error, deadline) from None
        try:
            exchange = self._record(request, response, scope, started_at, cookies, limits)
        except BaseException:
            response.close()
            raise
        if exchange.body.truncated:
            response.close()  # a cut connection cannot carry another request
        else:
            response.raw.release_conn()  # keep-alive: back to the pool for the next fetch
        return exchange

    def _record(
        self,
        request: requests.PreparedRequest,
        response: requests.Response,
        scope: FetchScope,
        started_at: datetime,
        cookies: RequestsCookieJar,
        limits: _Limits,
    ) -> Exchange:
        if scope.deadline.fired:
            # The cut may have ended the header block early, so these headers are not to be trusted.
            raise total_timeout(scope.deadline, "before the response headers were complete")
        raw = response.raw
        original = raw._original_response  # the http.client response: headers in received order and case
        extract_cookies_to_jar(cookies, request, raw)
        body = read_body(
            raw,
            max_bytes=limits.max_body_bytes,
            max_decoded=limits.max_decoded_bytes,
            deadline=scope.deadline,
        )
        dechunked = bool(original.chunked) and request.method != "HEAD"
        return Exchange(
            url=request.url,  # type: ignore[arg-type]
            method=request.method,  # type: ignore[arg-type]
            request_headers=scope.request_headers,
            http_version=f"HTTP/{original.version // 10}.{original.version % 10}",
            status=original.status,
            reason=original.reason,
            response_headers=consistent_headers(tuple(original.msg.items()), body, dechunked),
            body=body,
            started_at=started_at,
            peer=scope.peer,
        )
