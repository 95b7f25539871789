"""The network guard: which resolved addresses a fetch may connect to.

A link checker fetches URLs that strangers wrote, so a reference (or a redirect,
or a DNS answer) must never make it talk to the machine it runs on, the local
network or a cloud metadata service. The guard judges the address actually
dialled (see dial.py), on every hop, never the URL text: `127.1`, `0x7f000001`
and `[::ffff:127.0.0.1]` are all spellings of loopback.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from archiver.errors import GuardRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services hand out cloud credentials; named apart for a clearer refusal.
_CLOUD_METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
# RFC 6598 shared address space (carrier-grade NAT); Python counts it neither private nor global.
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
# RFC 6052 NAT64 prefixes: a gateway translates these to the IPv4 address in the low 32 bits.
_NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    low_bits = int(address) & 0xFFFFFFFF
    if any(address in prefix for prefix in _NAT64_PREFIXES):
        return ipaddress.IPv4Address(low_bits)
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d (:: and ::1 excluded)
        return ipaddress.IPv4Address(low_bits)
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why a fetch may not connect to `address` ("a loopback address" ...), or None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = refusal_reason(embedded)
            return f"{reason} ({embedded} inside IPv6)" if reason else None
    if address in _CLOUD_METADATA:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in _SHARED_ADDRESS_SPACE:
        return "a carrier-grade NAT (shared) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a globally routable address"
    return None


class NetworkGuard:
    """Refuses connections to non-public addresses unless private networks are allowed.

    `allowed_endpoints` is a test seam: exact (ip, port) pairs let through while
    private networks stay refused, so a test can reach its own loopback server
    and prove that a canary server on another port is never contacted.
    """

    def __init__(self, allow_private: bool = False, allowed_endpoints: Iterable[tuple[str, int]] = ()):
        self.allow_private = allow_private
        self._allowed = frozenset((ipaddress.ip_address(ip), port) for ip, port in allowed_endpoints)

    def check(self, ip: str, port: int) -> None:
        """Raise GuardRefused unless a fetch may connect to `ip` on `port`."""
        if self.allow_private:
            return
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            raise GuardRefused(f"{ip!r} is not an IP address") from None
        if (address, port) in self._allowed:
            return
        reason = refusal_reason(address)
        if reason is not None:
            raise GuardRefused(f"{ip} is {reason}")
