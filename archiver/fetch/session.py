"""The one requests.Session a Fetcher shares between its threads, and its request headers."""

from __future__ import annotations

import http.cookiejar
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from archiver.fetch.connection import GUARDED_POOL_CLASSES
from archiver.settings import FetchSettings

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# Only what decompress.py can decode: the extraction text must be readable.
ACCEPT_ENCODING = "gzip, deflate"
ACCEPT_LANGUAGE = "en-US,en;q=0.9,*;q=0.5"

# Idle host pools kept for reuse: a cycle visits many more hosts than it fetches from at once.
_MIN_HOST_POOLS = 64


def request_headers(settings: FetchSettings) -> CaseInsensitiveDict[str]:
    """The headers of every request, in the order they go on the wire (after Host)."""
    return CaseInsensitiveDict(
        {
            "User-Agent": settings.user_agent_header,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept-Language": ACCEPT_LANGUAGE,
        }
    )


class _RefuseAllCookies(http.cookiejar.DefaultCookiePolicy):
    """The shared session keeps no cookies: one fetch must not change what the next one sees."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose pools make guarded connections (see connection.py)."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = GUARDED_POOL_CLASSES


def build_session(settings: FetchSettings) -> requests.Session:
    session = requests.Session()
    # A proxy or .netrc from the environment would dial for us and bypass the guard.
    session.trust_env = False
    session.headers = request_headers(settings)
    session.cookies.set_policy(_RefuseAllCookies())
    adapter = GuardedAdapter(
        pool_connections=max(_MIN_HOST_POOLS, 4 * settings.global_concurrency),
        pool_maxsize=settings.per_host_concurrency,  # idle connections kept per host: politeness caps use at this
        max_retries=0,  # retries belong to the fetch loop, where every attempt is recorded
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
