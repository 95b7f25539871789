"""urllib3 connections that dial through the guard, obey the fetch deadline and record the wire.

urllib3 builds its connections itself, deep below requests, so the fetch that
is running tells them what they need through a context variable (a FetchScope,
one per fetch, per thread): the Dialer, the Deadline, and where to note the
request headers actually sent and the peer address. A connection used outside
a fetch refuses to work rather than connect unguarded.
"""

from __future__ import annotations

import contextvars
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util import SKIP_HEADER

from archiver.fetch.deadline import Deadline
from archiver.fetch.dial import Dialer
from archiver.models import Headers


class FetchScope:
    """What the connections of one running fetch share with it."""

    def __init__(self, dialer: Dialer, deadline: Deadline):
        self.dialer = dialer
        self.deadline = deadline
        self.request_headers: Headers = ()
        self.peer: str | None = None

    def record_request(self, request_headers: Headers, peer: str | None) -> None:
        self.request_headers = request_headers
        self.peer = peer


_current_scope: contextvars.ContextVar[FetchScope] = contextvars.ContextVar("archiver_fetch_scope")


@contextmanager
def fetch_scope(dialer: Dialer, deadline: Deadline) -> Iterator[FetchScope]:
    scope = FetchScope(dialer, deadline)
    token = _current_scope.set(scope)
    try:
        yield scope
    finally:
        _current_scope.reset(token)


def _scope() -> FetchScope:
    try:
        return _current_scope.get()
    except LookupError:
        raise RuntimeError("guarded connections are only used inside Fetcher.fetch") from None


class _GuardedConnectionMixin:
    """Overrides for urllib3's HTTPConnection; mixed into both the plain and the TLS class."""

    # Set by urllib3's HTTPConnection; declared for the type checker.
    _dns_host: str
    port: int
    timeout: float
    source_address: tuple[str, int] | None
    socket_options: list[tuple[int, int, int]] | None
    sock: socket.socket | None

    peer_ip: str | None = None
    _watched_by: Deadline | None = None  # the deadline this connection's socket is registered with
    _sent_headers: list[tuple[str, str]]

    def _new_conn(self) -> socket.socket:
        scope = _scope()
        sock = scope.dialer.dial(
            self._dns_host,  # urllib3 keeps the name as given (trailing dot included) for DNS
            self.port,
            self.timeout,
            on_socket=scope.deadline.watch,
            source_address=self.source_address,
            socket_options=self.socket_options or (),
        )
        self.peer_ip = sock.getpeername()[0]
        self._watched_by = scope.deadline
        return sock

    def putrequest(self, method: str, url: str, skip_host: bool = False, skip_accept_encoding: bool = False) -> None:
        scope = _scope()
        # A pooled connection comes back from an earlier fetch: put it under this fetch's deadline.
        if self.sock is not None and self._watched_by is not scope.deadline:
            scope.deadline.watch(self.sock)
            self._watched_by = scope.deadline
        self._sent_headers = []
        super().putrequest(method, url, skip_host=skip_host, skip_accept_encoding=skip_accept_encoding)  # type: ignore[misc]

    def putheader(self, header: str | bytes, *values: str | bytes | int) -> None:
        # http.client itself puts Host (first) through here, so the record is exactly what was sent.
        super().putheader(header, *values)  # type: ignore[misc]
        if SKIP_HEADER not in values:
            self._sent_headers.append((_text(header), ", ".join(_text(value) for value in values)))

    def getresponse(self) -> HTTPResponse:
        _scope().record_request(tuple(self._sent_headers), self.peer_ip)
        return super().getresponse()  # type: ignore[misc]


def _text(value: str | bytes | int) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


class GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    """TLS on a guarded socket; SNI and certificate checks still use the host name, not the IP."""


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


GUARDED_POOL_CLASSES = {"http": GuardedHTTPConnectionPool, "https": GuardedHTTPSConnectionPool}
