"""Who may act, from where: the login (the [web] token), CSRF tokens on every form, the Host header, headers.

The UI runs no script at all, so its Content-Security-Policy is the HTML report's with one change: forms
may post back to the UI itself (form-action 'self'). A page from the web cannot post here: every POST
carries the session's CSRF token, and the session cookie is SameSite=Strict.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from flask import Flask, abort, request, session

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def csrf_token() -> str:
    """The session's CSRF token, made on first use; every form carries it as the `csrf` field."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def logged_in() -> bool:
    return bool(session.get("reviewer"))


def token_matches(configured: str, given: str) -> bool:
    """Constant-time comparison; an empty configured token matches nothing (the UI only reads)."""
    return bool(configured) and hmac.compare_digest(configured.encode(), given.encode())


def _is_loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def install_security(app: Flask, *, public: bool) -> None:
    """Refuse foreign Host headers (DNS rebinding) unless public, check CSRF on every POST, set the headers."""

    @app.before_request
    def guard() -> None:
        if not public and not _is_loopback_host(request.host):
            abort(421, "this UI answers only to loopback host names (start it with --public to serve others)")
        if request.method == "POST":
            expected = session.get("csrf")
            given = request.form.get("csrf", "")
            if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
                abort(400, "the form's CSRF token is missing or wrong: reload the page and try again")

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        return response
