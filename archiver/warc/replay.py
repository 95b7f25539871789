"""`archiver replay`: the archives served through pywb, so a report's "archived copy" links open.

One pywb collection, named by the path of `report.replay_url`
(`http://localhost:8080/archive/{timestamp}/{url}` -> collection `archive` on localhost:8080),
reads our WARCs (`warcs/`) through the CDXJ indexes we already keep (`indexes/`, made by
cdxj-indexer, the format pywb reads as is), so `lookup`, WACZ exports and replay agree.
Indexes written while replay runs are picked up on the next request.

pywb runs in a child process (`python -m archiver.warc.replay OPTIONS`): it needs gevent's
monkey-patching before socket, ssl and threading are first imported, and the CLI process
imported them long before. The parent binds the port (so a taken port is an error at once),
hands the socket to the child, prints the URL when the child says it serves, and on SIGTERM or
Ctrl-C asks the child to stop (a second signal kills it). This is the only module that imports
pywb, and only in the child.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from archiver.errors import ConfigError

__all__ = ["PYWB_MISSING", "ReplayAddress", "check_bind_host", "pywb_config", "pywb_installed", "replay_address",
           "run_replay"]

PYWB_MISSING = "pywb is not installed: pip install 'archiver[replay]'"
READY_TIMEOUT = 60.0  # seconds for pywb to start serving (it loads templates and rules first: a few)
STOP_TIMEOUT = 10.0  # seconds for pywb to stop after SIGTERM before it is killed
# /COLLECTION/{timestamp}[modifier]/{url}: the Wayback URL scheme pywb serves.
_REPLAY_PATH = re.compile(r"^/(?P<collection>[A-Za-z0-9_.-]+)/\{timestamp\}[a-z_]*/\{url\}$")
_TEMPLATE_SHAPE = "http://HOST[:PORT]/COLLECTION/{timestamp}/{url}, the URL scheme pywb replays"


@dataclass(frozen=True)
class ReplayAddress:
    """Where replay listens, and the collection its URLs start with."""

    collection: str
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/{self.collection}/"


def pywb_installed() -> bool:
    return find_spec("pywb") is not None


def replay_address(template: str, host: str | None = None, port: int | None = None) -> ReplayAddress:
    """The collection, host and port of `report.replay_url`, with `host`/`port` (the CLI flags) overriding."""
    parts = urlsplit(template)
    match = _REPLAY_PATH.match(parts.path)
    if parts.scheme not in ("http", "https") or not parts.hostname or match is None:
        raise ConfigError("report.replay_url", template, _TEMPLATE_SHAPE)
    try:
        default_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ConfigError("report.replay_url", template, _TEMPLATE_SHAPE) from None
    return ReplayAddress(match["collection"], host or parts.hostname, port if port is not None else default_port)


def check_bind_host(host: str, public: bool) -> None:
    """Refuse a host that is not loopback unless `public`: replay serves everything archived, to anyone reaching it.

    Every address the name resolves to must be loopback. Raises ValueError with what to do instead.
    """
    if public:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve replay host {host!r}: {exc.strerror}") from None
    outside = sorted(address for address in addresses if not ipaddress.ip_address(address.split("%")[0]).is_loopback)
    if outside:
        raise ValueError(f"refusing to serve the archives on {host} ({', '.join(outside)} is not a loopback address): "
                         f"use --host 127.0.0.1, or --public to serve everything archived beyond this machine")


def pywb_config(address: ReplayAddress, warc_dir: Path, index_dir: Path) -> dict:
    """A pywb configuration with one collection over our WARCs and their CDXJ indexes."""
    return {
        "collections": {address.collection: {
            "index_paths": str(Path(index_dir).resolve()),  # a directory: every *.cdxj in it, listed per request
            "archive_paths": str(Path(warc_dir).resolve()) + os.sep,  # a prefix the index's filename is appended to
        }},
        "enable_auto_colls": False,  # only our collection: no ./collections folder is looked at
        "framed_replay": True,  # pywb's default: the banner in a top frame, the page below
        "enable_memento": True,
    }


def run_replay(address: ReplayAddress, config: dict, *, access_log: bool, on_ready: Callable[[str], None]) -> int:
    """Serve `config` with pywb on `address` until SIGTERM/SIGINT; `on_ready(url)` once pywb accepts requests.

    Returns 0 after a requested stop, 1 when pywb did not start within READY_TIMEOUT, else the child's
    exit code. Raises OSError when the address cannot
    be bound: the socket is bound here, before pywb starts, and handed to it, so a port already taken is
    reported at once and nobody else's server is mistaken for ours.
    """
    listener = _listen(address.host, address.port)
    ready_read, ready_write = os.pipe()
    signals = _StopOnSignal()
    try:
        with tempfile.TemporaryDirectory(prefix="archiver-replay-") as workdir, signals:
            config_path = Path(workdir) / "config.yaml"
            config_path.write_text(json.dumps(config))  # JSON is YAML
            options = {"config": str(config_path), "listen_fd": listener.fileno(), "ready_fd": ready_write,
                       "access_log": access_log}
            env = {key: value for key, value in os.environ.items() if key != "PYWB_CONFIG_FILE"}  # it would win
            # cwd: pywb looks for templates/ and static/ overrides in its working directory; an empty one has none.
            child = subprocess.Popen([sys.executable, "-m", "archiver.warc.replay", json.dumps(options)], cwd=workdir,
                                     env=env, pass_fds=(listener.fileno(), ready_write))
            try:
                signals.attach(child)
                listener.close()  # the child holds it now: when the child ends, the port is free
                os.close(ready_write)
                ready_write = -1
                if _wait_until_ready(ready_read, READY_TIMEOUT):
                    if not signals.requested:
                        on_ready(address.url)
                    code = child.wait()
                else:  # it ended before serving (its error is on stderr), or hangs: stopped below
                    code = child.poll() if child.poll() is not None else 1
            finally:
                _stop(child)
        return 0 if signals.requested else code
    finally:
        listener.close()
        os.close(ready_read)
        if ready_write >= 0:
            os.close(ready_write)


def _listen(host: str, port: int) -> socket.socket:
    family, _, _, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listener = socket.create_server(sockaddr[:2], family=family)
    listener.set_inheritable(True)
    return listener


def _wait_until_ready(ready_read: int, timeout: float) -> bool:
    """True when the child says it serves; False when it ends first (end of file) or `timeout` passes."""
    readable, _, _ = select.select([ready_read], [], [], timeout)
    return bool(readable) and os.read(ready_read, 64).startswith(b"ready")


class _StopOnSignal:
    """While entered, SIGTERM and SIGINT ask the child to stop (at once if it comes later); a second one kills it."""

    def __init__(self) -> None:
        self._child: subprocess.Popen | None = None
        self.requested = False
        self._previous: dict[int, object] = {}

    def attach(self, child: subprocess.Popen) -> None:
        self._child = child
        if self.requested:  # the signal came while the child was being started
            child.terminate()

    def __enter__(self) -> _StopOnSignal:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        if self._child is not None and self.requested:
            self._child.kill()
        elif self._child is not None:
            self._child.terminate()
        self.requested = True


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _serve(options: dict) -> int:
    """The child: gevent first, then pywb's app on a gevent WSGI server until SIGTERM/SIGINT."""
    from gevent import monkey

    monkey.patch_all()
    import gevent
    from gevent.pywsgi import WSGIServer
    from pywb.apps.frontendapp import FrontEndApp
    from pywb.utils.geventserver import RequestURIWSGIHandler
    from pywb.warcserver.index.aggregator import DirectoryIndexSource
    from pywb.warcserver.warcserver import register_source

    # A directory of indexes is read by pywb's caching variant unless told otherwise, which prints a line
    # to stdout on every look-up; this one lists the directory per look-up and says nothing.
    register_source(DirectoryIndexSource)
    app = FrontEndApp(config_file=options["config"])
    # pywb answers index and record look-ups from a second server on a loopback port, which logs every
    # request it serves to stderr: those are internal, the access log (-v) is the one below.
    app.warcserver_server.server.log = open(os.devnull, "w")
    listener = socket.socket(fileno=options["listen_fd"])  # bound and listening: the parent made it
    server = WSGIServer(listener, app, handler_class=RequestURIWSGIHandler,
                        log=sys.stderr if options["access_log"] else None)
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, server.stop)
    server.start()
    os.write(options["ready_fd"], b"ready\n")
    os.close(options["ready_fd"])
    server.serve_forever()
    app.warcserver_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(json.loads(sys.argv[1])))
