"""Resolving a host and opening a TCP connection to an address the guard allowed.

Resolution, the guard check and the connect happen in one place on purpose:
the socket connects to the very address that was checked, so a DNS answer
that changes between a check and a connect (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeout

from archiver.errors import FetchError
from archiver.fetch.guard import NetworkGuard
from archiver.models import Observation


class ConnectionRefused(FetchError):
    """Nothing listens at the host's port: the connect was refused (a fact, not an accident)."""

    def __init__(self, detail: str):
        super().__init__(Observation.CONNECTION_ERROR.value, detail)


# resolver(host, port) -> IP address strings; raises OSError (socket.gaierror) or returns [] when the name does not resolve.
Resolver = Callable[[str, int], list[str]]
SocketOption = tuple[int, int, int]

# RFC 6761 special-use names that may be answered here, so that their lookup never leaves the machine:
# .invalid never resolves, localhost is loopback. Not .test or .example: applications and resolvers
# should not treat those as special (RFC 6761 6.2, 6.5), and staging and internal sites use them.
_NEVER_RESOLVE = frozenset({"invalid"})
_LOOPBACK_NAMES = frozenset({"localhost"})
_LOOPBACK_ADDRESSES = ["127.0.0.1", "::1"]


def resolve_system(host: str, port: int) -> list[str]:
    """The system resolver (getaddrinfo), with .invalid and localhost answered locally (RFC 6761)."""
    top_label = host.rstrip(".").rsplit(".", 1)[-1].lower()
    if top_label in _NEVER_RESOLVE:
        raise socket.gaierror(socket.EAI_NONAME, f"reserved name .{top_label} never resolves (RFC 6761)")
    if top_label in _LOOPBACK_NAMES:
        return list(_LOOPBACK_ADDRESSES)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class Dialer:
    """Resolves, checks every address with the guard, then connects to the first checked address that answers.

    Lookups run on a small thread pool so that the connect timeout bounds them
    too: getaddrinfo itself cannot be interrupted, and a slow name server
    would otherwise hold a fetch past its deadline.
    """

    def __init__(self, guard: NetworkGuard, resolver: Resolver = resolve_system, lookup_threads: int = 4):
        self.guard = guard
        self.resolver = resolver
        self._lookups = ThreadPoolExecutor(max_workers=lookup_threads, thread_name_prefix="archiver-dns")

    def close(self) -> None:
        self._lookups.shutdown(wait=False, cancel_futures=True)  # a hung lookup must not hang the caller too

    def dial(
        self,
        host: str,
        port: int,
        timeout: float,
        on_socket: Callable[[socket.socket], None],
        source_address: tuple[str, int] | None = None,
        socket_options: Iterable[SocketOption] = (),
    ) -> socket.socket:
        """A connected socket. `on_socket` sees each socket before it connects (to put it under a deadline).

        Raises FetchError (dns_error, connection_error, timeout) or GuardRefused. If any
        address of the host is refused the host is refused: a name that also points
        inside the network is not one to trust with the others.
        """
        addresses = self._resolve(host, port, timeout)
        for ip in addresses:
            self.guard.check(ip, port)
        failure = FetchError(Observation.CONNECTION_ERROR.value, f"{host} has no address to connect to")
        for ip in addresses:
            try:
                return _connect(ip, port, timeout, on_socket, source_address, tuple(socket_options))
            except TimeoutError:
                failure = FetchError(Observation.TIMEOUT.value, f"connecting to {_endpoint(ip, port)} timed out")
            except ConnectionRefusedError as error:
                failure = ConnectionRefused(f"{_endpoint(ip, port)}: {error.strerror or error}")
            except OSError as error:
                failure = FetchError(Observation.CONNECTION_ERROR.value, f"{_endpoint(ip, port)}: {error.strerror or error}")
        raise failure

    def _resolve(self, host: str, port: int, timeout: float) -> list[str]:
        try:
            addresses = self._lookups.submit(self.resolver, host, port).result(timeout)
        except LookupTimeout:
            raise FetchError(Observation.TIMEOUT.value, f"resolving {host} timed out") from None
        except (OSError, UnicodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise FetchError(Observation.DNS_ERROR.value, f"{host} does not resolve: {reason}") from None
        if not addresses:
            raise FetchError(Observation.DNS_ERROR.value, f"{host} does not resolve to any address")
        return list(dict.fromkeys(addresses))  # unique, in the resolver's order of preference


def _connect(
    ip: str,
    port: int,
    timeout: float,
    on_socket: Callable[[socket.socket], None],
    source_address: tuple[str, int] | None,
    socket_options: tuple[SocketOption, ...],
) -> socket.socket:
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        for option in socket_options:
            sock.setsockopt(*option)
        sock.settimeout(timeout)
        if source_address:
            sock.bind(source_address)
        on_socket(sock)
        sock.connect((ip, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _endpoint(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
