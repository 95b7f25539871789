"""`archiver serve`: the review web UI over the archive (the only room importing flask and werkzeug).

    app = create_app(settings, store)          # a Flask app; the store stays open while it serves
    server = start_server(app, "127.0.0.1", 0)  # werkzeug's threaded server; server.url, server.stop()

Pages read one screenful each through archiver.store.browse; actions (archive a URL, re-check an
article, a reviewer's override) need the [web] token, carry a CSRF token, and run in the background.
"""

from archiver.web.app import CONTENT_SECURITY_POLICY, create_app
from archiver.web.server import WebServer, start_server

__all__ = ["CONTENT_SECURITY_POLICY", "WebServer", "create_app", "start_server"]
