"""The Fetcher: one URL in, one Fetch out, every redirect hop recorded as its own Exchange."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

import requests
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar

from archiver.errors import FetchError
from archiver.fetch.connection import FetchScope, fetch_scope
from archiver.fetch.deadline import Watchdog
from archiver.fetch.dial import Dialer, Resolver, resolve_system
from archiver.fetch.failures import SEND_ERRORS, send_failure, total_timeout
from archiver.fetch.guard import NetworkGuard
from archiver.fetch.session import build_session
from archiver.fetch.stream import consistent_headers, read_body
from archiver.fetch.redirects import fetchable_url, method_after_redirect, redirect_target
from archiver.models import Exchange, Fetch, Observation
from archiver.settings import FetchSettings


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Fetcher:
    """Fetches URLs for the whole program; safe to share between threads.

    `resolver` replaces DNS (tests map names to loopback with it); `guard`
    replaces the network guard built from settings (tests allow one loopback
    endpoint with it). Close the Fetcher, and each Fetch, when done.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        resolver: Resolver | None = None,
        guard: NetworkGuard | None = None,
    ):
        self.settings = settings
        self._dialer = Dialer(
            guard or NetworkGuard(settings.allow_private_networks),
            resolver or resolve_system,
            lookup_threads=settings.global_concurrency,  # one lookup at a time per fetching thread
        )
        self._session = build_session(settings)
        self._watchdog = Watchdog()

    def fetch(self, url: str, method: str = "GET", extra_headers: Mapping[str, str] | None = None) -> Fetch:
        """Fetch `url`, following redirects by hand, within settings.total_timeout.

        Never raises for network problems: they end up in `Fetch.failure`.
        """
        started_at = _utcnow()
        deadline = self._watchdog.start(self.settings.total_timeout)
        exchanges: list[Exchange] = []
        failure: FetchError | None = None
        try:
            with fetch_scope(self._dialer, deadline) as scope:
                self._follow(url, method.upper(), extra_headers or {}, scope, exchanges)
        except FetchError as error:
            failure = error
        finally:
            deadline.finish()
        return Fetch(
            url=url,
            exchanges=tuple(exchanges),
            started_at=started_at,
            finished_at=_utcnow(),
            failure=Observation(failure.kind) if failure else None,
            failure_detail=failure.detail if failure else "",
        )

    def close(self) -> None:
        self._watchdog.close()
        self._session.close()
        self._dialer.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _follow(
        self, url: str, method: str, extra_headers: Mapping[str, str], scope: FetchScope, exchanges: list[Exchange]
    ) -> None:
        """Append one Exchange per hop until a final response; raise FetchError when the chain fails."""
        cookies = RequestsCookieJar()  # cookies live for one redirect chain: sites set one, then redirect
        requested: set[str] = set()
        while True:
            request = self._prepare(url, method, extra_headers, cookies)
            if request.url in requested:
                raise FetchError(Observation.REDIRECT_LOOP.value, f"redirected back to {request.url}")
            requested.add(request.url)  # type: ignore[arg-type]
            exchange = self._exchange(request, scope, cookies)
            exchanges.append(exchange)
            target = redirect_target(exchange)
            if target is None:
                return
            if len(exchanges) > self.settings.max_redirects:
                raise FetchError(Observation.REDIRECT_LOOP.value, f"more than {self.settings.max_redirects} redirects")
            url, method = target, method_after_redirect(exchange.status, method)

    def _prepare(
        self, url: str, method: str, extra_headers: Mapping[str, str], cookies: RequestsCookieJar
    ) -> requests.PreparedRequest:
        request = requests.Request(method, fetchable_url(url), headers=dict(extra_headers), cookies=cookies)
        try:
            return self._session.prepare_request(request)
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema) as error:
            raise FetchError(Observation.INVALID_URL.value, f"{url!r}: {error}") from None

    def _exchange(self, request: requests.PreparedRequest, scope: FetchScope, cookies: RequestsCookieJar) -> Exchange:
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
            exchange = self._record(request, response, scope, started_at, cookies)
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
    ) -> Exchange:
        if scope.deadline.fired:
            # The cut may have ended the header block early, so these headers are not to be trusted.
            raise total_timeout(scope.deadline, "before the response headers were complete")
        raw = response.raw
        original = raw._original_response  # the http.client response: headers in received order and case
        extract_cookies_to_jar(cookies, request, raw)
        body = read_body(
            raw,
            max_bytes=self.settings.max_body_bytes,
            max_decoded=self.settings.max_extract_bytes,
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
