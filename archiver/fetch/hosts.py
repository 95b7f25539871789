"""Hosts as politeness sees them: a key per host and port, and a snapshot of one host's pace."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class HostKey:
    """One host as politeness sees it: the lower-case name (no trailing dot) and the port."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def host_key(url: str) -> HostKey:
    parts = urlsplit(url)
    return HostKey((parts.hostname or "").rstrip("."), parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0))


@dataclass(frozen=True)
class HostPace:
    """A snapshot of one host's politeness state (for logs and tests)."""

    in_flight: int
    delay: float  # the delay between starts that applies now
    backoff: float  # the part of it owed to 429/503 answers; 0.0 when none
    crawl_delay: float
    answered: bool
    last_start: float | None


# Where work that makes no request waits (a URL without a host): never paced, never limited per host.
NO_HOST = HostKey("", 0)
