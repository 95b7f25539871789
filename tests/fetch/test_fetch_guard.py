"""The network guard: refused addresses in every spelling, on every hop, with a canary that must never hear a thing."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from archiver.errors import GuardRefused
from archiver.fetch import NetworkGuard, resolve_system
from archiver.fetch.guard import refusal_reason
from archiver.models import Observation
from support.loopback import LoopbackServer, Reply


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),  # Python files the reserved 240/4 under private; refused either way
        ("255.255.255.255", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("::127.0.0.1", "loopback"),  # IPv4-compatible
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2001:db8::1", "private"),  # documentation
    ],
)
def test_non_public_addresses_are_refused(address, reason):
    assert reason in (refusal_reason(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"])
def test_public_addresses_are_allowed(address):
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_guard_allows_exactly_the_listed_endpoints():
    guard = NetworkGuard(allowed_endpoints={("127.0.0.1", 8080)})
    guard.check("127.0.0.1", 8080)
    with pytest.raises(GuardRefused, match="127.0.0.1 is a loopback address"):
        guard.check("127.0.0.1", 8081)
    NetworkGuard(allow_private=True).check("10.0.0.1", 80)


def test_only_localhost_and_invalid_are_answered_without_dns(monkeypatch):
    asked: list[str] = []

    def system_resolver(host, port, *args, **kwargs):  # stands in for DNS: nothing leaves the machine
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.7", port))]

    monkeypatch.setattr(socket, "getaddrinfo", system_resolver)
    assert resolve_system("localhost", 80) == ["127.0.0.1", "::1"]
    assert resolve_system("app.localhost.", 80) == ["127.0.0.1", "::1"]
    for name in ("nonexistent.invalid", "x.INVALID."):
        with pytest.raises(socket.gaierror):
            resolve_system(name, 80)
    assert asked == []
    # RFC 6761 6.2 and 6.5: .test and .example are names like any other for applications and resolvers.
    for name in ("staging.test", "www.example", "intranet.example."):
        assert resolve_system(name, 80) == ["192.0.2.7"]
    assert asked == ["staging.test", "www.example", "intranet.example."]


@pytest.fixture
def canary():
    """A server no guarded fetch may ever reach."""
    with LoopbackServer({"/": Reply(200, body=b"you should not see this")}) as server:
        yield server
    assert server.requests == [], "the canary was contacted"


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1", "0x7f000001", "2130706433", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "localhost", "LocalHost."],
)
def test_loopback_in_any_spelling_is_excluded(make_fetcher, canary, host):
    fetch = make_fetcher(allow_private_networks=False).fetch(f"http://{host}:{canary.port}/")
    assert fetch.failure is Observation.EXCLUDED, fetch.failure_detail
    assert fetch.exchanges == ()
    ip = fetch.failure_detail.split(" ", 1)[0]
    assert refusal_reason(ipaddress.ip_address(ip)) in fetch.failure_detail  # the detail names the address and why


def test_public_name_resolving_to_loopback_is_excluded(make_fetcher, canary):
    def resolver(host: str, port: int) -> list[str]:
        return {"public.example.com": ["127.0.0.1"]}[host]

    fetch = make_fetcher(allow_private_networks=False, resolver=resolver).fetch(f"http://public.example.com:{canary.port}/")
    assert fetch.failure is Observation.EXCLUDED
    assert fetch.failure_detail == "127.0.0.1 is a loopback address"


def test_a_name_with_any_refused_address_is_excluded(make_fetcher, canary):
    # The public address comes first, but nothing is dialled: every address is checked before any connect.
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    fetch = make_fetcher(allow_private_networks=False, resolver=resolver).fetch(f"http://rebind.example.com:{canary.port}/")
    assert fetch.failure is Observation.EXCLUDED
    assert "127.0.0.1" in fetch.failure_detail


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/", "http://public.example.com:{port}/", "http://[::ffff:7f00:1]:{port}/"])
def test_redirect_into_the_network_is_excluded_at_the_hop(make_fetcher, canary, target):
    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "public.example.com" else resolve_system(host, port)

    with LoopbackServer({"/": Reply(302, [("Location", target.format(port=canary.port))])}) as allowed:
        guard = NetworkGuard(allowed_endpoints={("127.0.0.1", allowed.port)})
        fetch = make_fetcher(guard=guard, resolver=resolver).fetch(allowed.url("/"))
    assert fetch.failure is Observation.EXCLUDED, fetch.failure_detail
    assert [e.status for e in fetch.exchanges] == [302]
    assert len(allowed.requests) == 1


def test_pooled_connection_does_not_bypass_the_guard(make_fetcher, canary):
    # The same Fetcher first reaches an allowed server, then is sent at the canary on the same IP.
    with LoopbackServer({"/": Reply(200, body=b"ok")}) as allowed:
        fetcher = make_fetcher(guard=NetworkGuard(allowed_endpoints={("127.0.0.1", allowed.port)}))
        assert fetcher.fetch(allowed.url("/")).failure is None
        assert fetcher.fetch(canary.url("/")).failure is Observation.EXCLUDED


def test_proxy_from_the_environment_is_ignored(make_fetcher, canary, monkeypatch):
    # A proxy would do the dialling, and the guard would only ever see the proxy's address.
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, canary.url("/"))
    with LoopbackServer({"/": Reply(200, body=b"direct")}) as allowed:
        fetcher = make_fetcher(guard=NetworkGuard(allowed_endpoints={("127.0.0.1", allowed.port)}))
        fetch = fetcher.fetch(allowed.url("/"))
    assert fetch.final.body.file.read() == b"direct"
