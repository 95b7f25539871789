"""HTTPS through the guard: the socket goes to the checked IP, SNI and certificate checks use the host name."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from archiver.fetch import NetworkGuard
from archiver.models import Observation
from support.loopback import LoopbackServer, Reply

HOSTNAME = "secure.example.com"


@pytest.fixture
def self_signed_context(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOSTNAME}",
         "-addext", f"subjectAltName=DNS:{HOSTNAME}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_tls_uses_the_host_name_and_verifies_the_certificate(make_fetcher, self_signed_context):
    server_names: list[str | None] = []
    self_signed_context.sni_callback = lambda sock, name, context: server_names.append(name)

    def resolver(host: str, port: int) -> list[str]:
        return {HOSTNAME: ["127.0.0.1"]}[host]

    with LoopbackServer({"/": Reply(200, body=b"secret")}, tls=self_signed_context) as server:
        guard = NetworkGuard(allowed_endpoints={("127.0.0.1", server.port)})
        fetch = make_fetcher(guard=guard, resolver=resolver).fetch(f"https://{HOSTNAME}:{server.port}/")
    assert fetch.failure is Observation.TLS_ERROR, fetch.failure_detail
    assert "certificate verify failed" in fetch.failure_detail
    assert server_names == [HOSTNAME]
    assert server.requests == []


def test_tls_to_a_plain_http_server_is_a_tls_error(make_fetcher):
    with LoopbackServer({"/": Reply(200, body=b"plain")}) as server:
        fetch = make_fetcher().fetch(f"https://127.0.0.1:{server.port}/")
    assert fetch.failure is Observation.TLS_ERROR, fetch.failure_detail
