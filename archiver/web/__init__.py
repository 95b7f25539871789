"""`archiver serve`: the review web UI over the archive (the only room importing flask and werkzeug).

    from archiver.web.app import create_app      # nothing is imported here: each caller takes what it needs
    app = create_app(settings, store)          # a Flask app; the store stays open while it serves
    server = start_server(app, "127.0.0.1", 0)  # archiver.web.server: werkzeug's threaded server

Pages read one screenful each through archiver.store.browse; actions (archive a URL, re-check an
article, a reviewer's override) need the [web] token, carry a CSRF token, and run in the background.
"""
