"""Which URLs can be fetched, and where a redirect leads."""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin, urlsplit

from archiver.errors import FetchError
from archiver.models import Exchange, Observation

FETCHABLE_SCHEMES = ("http", "https")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def fetchable_url(url: str) -> str:
    """`url` without its fragment (never sent), or FetchError invalid_url / unsupported."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # parsing the port is what rejects "host:99999" and "host:abc"
    except ValueError as error:
        raise FetchError(Observation.INVALID_URL.value, f"{url!r}: {error}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchError(Observation.INVALID_URL.value, f"{url!r} has no scheme")
    if scheme not in FETCHABLE_SCHEMES:
        raise FetchError(Observation.UNSUPPORTED.value, f"{scheme}: URLs are not fetched")
    if not parts.hostname:
        raise FetchError(Observation.INVALID_URL.value, f"{url!r} has no host")
    if port == 0:
        raise FetchError(Observation.INVALID_URL.value, f"{url!r} has port 0")
    return urldefrag(url.strip()).url


def redirect_target(exchange: Exchange) -> str | None:
    """The absolute URL a redirect response points to, or None if the response is final."""
    if exchange.status not in REDIRECT_STATUSES:
        return None
    location = (exchange.header("Location") or "").strip()
    if not location:
        return None
    return urljoin(exchange.url, _undo_latin1(location))


def method_after_redirect(status: int, method: str) -> str:
    """303 asks for a GET; browsers also turn a POST into a GET on 301 and 302."""
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        return "GET"
    return method


def _undo_latin1(value: str) -> str:
    """http.client reads header bytes as Latin-1; servers mostly send raw UTF-8 in Location."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value
