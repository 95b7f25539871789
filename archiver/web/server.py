"""The HTTP server under the app: werkzeug's threaded WSGI server, on a port the OS may choose (port 0).

One thread per request, plenty for a newsroom's reviewers on a loopback port. Behind a reverse proxy
for anything wider (`--public`), as the README says.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import make_server


@dataclass
class WebServer:
    server: object
    thread: threading.Thread | None
    url: str

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        if self.thread is not None:
            self.thread.join(timeout=30)
        self.server.server_close()


def start_server(app: Flask, host: str, port: int, *, in_thread: bool = True, access_log: bool = False) -> WebServer:
    """Bind now (OSError when the port is taken); serve in a daemon thread, or later through serve_forever().

    `access_log`: one line per request on stderr (werkzeug's); off, only its warnings and errors."""
    logging.getLogger("werkzeug").setLevel(logging.INFO if access_log else logging.WARNING)
    server = make_server(host, port, app, threaded=True)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.server_port}/"
    thread = None
    if in_thread:
        thread = threading.Thread(target=server.serve_forever, name="archiver-web", daemon=True)
        thread.start()
    return WebServer(server, thread, url)
