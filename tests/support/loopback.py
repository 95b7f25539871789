"""Loopback servers for tests: nothing here ever listens beyond 127.0.0.1, and every port is chosen by the OS.

    with LoopbackServer({"/": Reply(200, body=b"hi")}) as server:
        server.url("/")         # http://127.0.0.1:PORT/ (https:// when given a server-side `tls` context)
        server.requests         # every request received, as Seen

    with RawServer(handler) as raw:   # handler(conn, stop) owns one accepted socket
        raw.url("/")

    with closed_port() as port: ...  # nothing listens there: connections are refused

A route is a Reply or a callable(Seen) -> Reply. `routes` stays mutable so a
test can add routes that need the server's own URL.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable, Iterator, Mapping, Union

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    client_port: int


@dataclass
class Reply:
    """A response to send. A body given as an iterable of bytes is streamed: chunked, or close-delimited."""

    status: int = 200
    headers: Iterable[tuple[str, str]] = ()
    body: bytes | Iterable[bytes] = b""
    chunked: bool = False
    reason: str | None = None


Route = Union[Reply, Callable[[Seen], Reply]]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked responses
    server: _RoutingServer

    def do_GET(self) -> None:
        seen = Seen(self.command, self.path, tuple(self.headers.items()), self.client_address[1])
        self.server.owner.requests.append(seen)
        owner = self.server.owner
        route = owner.routes.get(self.path.split("?")[0], owner.fallback)
        self._send(route(seen) if callable(route) else route)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status, reply.reason)
        headers = list(reply.headers)
        names = {name.lower() for name, _ in headers}
        streamed = not isinstance(reply.body, bytes)
        for name, value in headers:
            self.send_header(name, value)
        if reply.chunked and "transfer-encoding" not in names:
            self.send_header("Transfer-Encoding", "chunked")
        elif streamed and not reply.chunked and "content-length" not in names:
            self.send_header("Connection", "close")  # close-delimited: the end of the body is the end of the connection
            self.close_connection = True
        elif not streamed and "content-length" not in names:
            self.send_header("Content-Length", str(len(reply.body)))  # type: ignore[arg-type]
        self.end_headers()
        if self.command == "HEAD":
            return
        pieces = [reply.body] if isinstance(reply.body, bytes) else reply.body
        try:
            for piece in pieces:
                if reply.chunked and piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                elif not reply.chunked:
                    self.wfile.write(piece)
            if reply.chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client hung up, as clients with a size cap do
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class _RoutingServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1, port 0, answering from a route table."""

    def __init__(self, routes: Mapping[str, Route] | None = None, tls: ssl.SSLContext | None = None, host: str = HOST):
        self.host = host  # any 127.x.y.z: several "sites" on one machine
        self.fallback: Route = Reply(404, body=b"not found")  # what unknown paths get
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[Seen] = []
        self._server = _RoutingServer((host, 0), _Handler)
        self._server.owner = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


Handler = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """A TCP server on 127.0.0.1, port 0, handing each accepted socket to `handler(conn, stop)` in its own thread.

    For behaviour no well-behaved HTTP server shows: drips, resets, silence.
    `stop` is set when the server closes; handlers that loop should wait on it.
    """

    def __init__(self, handler: Handler):
        self._handler = handler
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        self._listener.close()
        self._acceptor.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                self._handler(conn, self.stop)
            except OSError:  # the client went away: the scenario is over
                pass


def read_request_head(conn: socket.socket) -> bytes:
    """Read up to the blank line that ends a request's headers (requests in these tests carry no body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(4096)
        if not piece:
            break
        data += piece
    return data


def reset(conn: socket.socket) -> None:
    """Close with a TCP reset (RST) rather than an orderly FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # linger on, 0 s
    conn.close()


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]
