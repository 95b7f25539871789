"""`archiver replay`: pywb, started by our CLI on our archives, gives back the bytes the servers sent.

A loopback web is captured twice (the second time unchanged pages become revisit records),
the web is shut down, then `python -m archiver replay` runs in a subprocess on a free loopback
port and every body is fetched back through pywb's identity (`id_`) mode and compared byte for
byte with what the loopback server served: an HTML page, a PDF, a gzip-encoded page (stored and
replayed still compressed), a chunked page, and a revisit record resolved to its original.
"""

from __future__ import annotations

import gzip
import http.client
import signal
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pytest

from archiver.cli.commands import main
from archiver.pipeline import article_from_cli, open_pipeline, open_store, utc_now
from archiver.report import build_report
from archiver.settings import load_settings
from archiver.warc.index import find_captures, index_dir_of, read_index
from archiver.warc.replay import check_bind_host, replay_address
from support.fakeweb import serve_fakeweb
from support.loopback import LoopbackServer
from support.replay_process import accepts_connections, free_port, start_replay, wait_until_serving
from support.waiting import eventually

WAIT = 60  # seconds: a bound for pywb to start (it loads its templates and rules first); it takes a few
COLLECTION = "archive"


@dataclass
class Replay:
    port: int
    settings: object
    served: dict[str, bytes]  # URL -> the body bytes its server sent
    process: subprocess.Popen

    def get(self, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        """GET from pywb; the body is read whole (http.client undoes chunking but not Content-Encoding)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        parts = urlsplit(path)  # a full URL on this server, or a path
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = connection.getresponse()
        response.body = response.read()
        connection.close()
        return response

    def get_following_redirects(self, url: str, hops: int = 5) -> http.client.HTTPResponse:
        """GET `url` on this server, following at most `hops` redirects (pywb replays archived redirects as such)."""
        for _ in range(hops):
            response = self.get(url)
            if response.status not in (301, 302, 303, 307, 308):
                return response
            url = urljoin(url, response.getheader("Location"))
        raise AssertionError(f"more than {hops} redirects from {url}")

    def captures(self, url: str):
        return find_captures(index_dir_of(self.settings.storage.data_dir), url)


def archive(settings, url: str) -> None:
    with open_pipeline(settings) as pipeline:
        [summary] = pipeline.archive([article_from_cli(url)])
    assert summary.captured


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    port = free_port()
    template = f"http://127.0.0.1:{port}/{COLLECTION}/{{timestamp}}/{{url}}"
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "20s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s", "ARCHIVER_REPORT_REPLAY_URL": template}
    settings = load_settings(env=env, overrides={"storage.data_dir": str(folder / "archives")})
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        archive(settings, web.article_url)
        first = max(entry.timestamp for entry in all_entries(settings))
        # Wayback URLs name a capture by the second: the second capture must fall in a later one, or a
        # revisit and its original would share a timestamp and either could answer.
        assert eventually(lambda: utc_now().strftime("%Y%m%d%H%M%S") > first, timeout=5)
        archive(settings, web.article_url)
        served = {route_url: reply.body for server in web.servers for path, reply in server.routes.items()
                  for route_url in [server.url(path)] if isinstance(reply.body, bytes)}
        served[web.refs_c.url("/chunked.html")] = b"".join(web.refs_c.routes["/chunked.html"].body)
    # The loopback web is gone: whatever pywb answers comes from the archives.

    with start_replay(folder, settings.storage.data_dir, template) as process:
        wait_until_serving(process, folder, port)
        yield Replay(port, settings, served, process)


def all_entries(settings):
    index_dir = index_dir_of(settings.storage.data_dir)
    return [entry for path in sorted(index_dir.glob("*.cdxj")) for entry in read_index(path)]


def identity_path(timestamp: str, url: str) -> str:
    return f"/{COLLECTION}/{timestamp}id_/{url}"


@pytest.mark.parametrize("path", ["/studies/ok.html", "/files/report.pdf", "/img/chart.png"])
def test_a_response_replays_byte_for_byte(replay, path):
    url = next(url for url in replay.served if url.endswith(path))
    original = replay.captures(url)[0]
    assert original.mime != "warc/revisit"
    response = replay.get(identity_path(original.timestamp, url))
    assert response.status == 200
    assert response.body == replay.served[url]


@pytest.mark.parametrize("path", ["/studies/ok.html", "/files/report.pdf", "/compressed.html", "/2022/07/19/builders-a1"])
def test_a_revisit_replays_the_bytes_of_the_response_it_refers_to(replay, path):
    url = next(url for url in replay.served if url.endswith(path))
    original, again = replay.captures(url)
    assert again.mime == "warc/revisit" and again.timestamp > original.timestamp
    response = replay.get(identity_path(again.timestamp, url), {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.body == replay.served[url]
    # pywb answered with the revisit's capture time, so it served that record and resolved it.
    assert response.getheader("Memento-Datetime") == http_date(again.when)


def test_a_gzip_encoded_page_replays_still_compressed_to_a_client_that_accepts_gzip(replay):
    url = next(url for url in replay.served if url.endswith("/compressed.html"))
    path = identity_path(replay.captures(url)[0].timestamp, url)
    response = replay.get(path, {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.body == replay.served[url]  # the gzip bytes as sent, not inflated
    # A client that cannot take gzip gets the page inflated, as any server would send it.
    plain = replay.get(path)
    assert plain.status == 200 and plain.getheader("Content-Encoding") is None
    assert plain.body == gzip.decompress(replay.served[url])


def test_a_chunked_page_replays_as_its_dechunked_body(replay):
    url = next(url for url in replay.served if url.endswith("/chunked.html"))
    response = replay.get(identity_path(replay.captures(url)[0].timestamp, url))
    assert response.status == 200
    assert response.body == replay.served[url]


def test_every_archived_copy_link_in_the_report_opens_its_capture(replay):
    with open_store(replay.settings) as store:
        data = build_report(store, replay.settings, now=utc_now())
    [article] = data.articles
    # url -> (its archived copy, the URL it answered from: a redirected link's copy is its final hop's time)
    copies = {article.url: (article.archived_copy, article.url)}
    copies |= {link.url: (link.archived_copy, link.final_url or link.url) for link in article.links}
    copies = {url: (copy, final) for url, (copy, final) in copies.items() if copy is not None}
    assert len(copies) == 1 + 6  # the article and the six references that answered 2xx
    prefix = f"http://127.0.0.1:{replay.port}/{COLLECTION}/"
    for url, (copy, final_url) in copies.items():
        assert copy.replay_url.startswith(prefix), copy.replay_url
        timestamp, original = copy.replay_url[len(prefix):].split("/", 1)
        assert original == url
        assert timestamp in {entry.timestamp for entry in replay.captures(final_url)}, url  # a capture's own time
        # pywb answers a report link with its banner frame, which loads the capture from the `mp_` URL:
        # a frame is served for any URL, so only the capture's own answer shows it was found.
        frame = replay.get(copy.replay_url)
        assert frame.status == 200 and url.encode() in frame.body
        capture = replay.get_following_redirects(f"{prefix}{timestamp}mp_/{url}")
        assert capture.status == 200, (url, capture.status)
    timestamp = copies[article.url][0].replay_url[len(prefix):].split("/", 1)[0]
    page = replay.get(f"{prefix}{timestamp}mp_/{article.url}")
    assert b"Builders to help with reconstruction, ambassador says" in page.body


def test_an_address_never_captured_is_not_found(replay):
    response = replay.get(identity_path("20200101000000", "http://127.0.0.9/never"))
    assert response.status == 404


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_replay_stops_cleanly_on_a_signal_and_flags_override_the_replay_url(tmp_path, signum):
    port = free_port()
    with start_replay(tmp_path, tmp_path / "archives", "http://localhost:8080/archive/{timestamp}/{url}",
                      "--host", "127.0.0.1", "--port", str(port)) as process:
        wait_until_serving(process, tmp_path, port)
        process.send_signal(signum)
        assert process.wait(timeout=WAIT) == 0, (tmp_path / "replay.stderr").read_text()
    assert not accepts_connections(port)  # pywb's own process is gone too


def test_a_port_already_taken_is_refused_before_pywb_starts(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with LoopbackServer() as other:
        code = main(["--data-dir", str(tmp_path / "archives"), "replay", "--host", other.host, "--port", str(other.port)])
        assert not other.requests  # nobody else's server is taken for ours
    assert code == 3
    assert f"cannot listen on 127.0.0.1:{other.port}" in capsys.readouterr().err


def http_date(when) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")


# ---- without a server -------------------------------------------------------------------------


def test_the_collection_host_and_port_come_from_the_replay_url_and_flags_override_them():
    address = replay_address("http://localhost:8080/archive/{timestamp}/{url}")
    assert (address.collection, address.host, address.port) == ("archive", "localhost", 8080)
    assert address.url == "http://localhost:8080/archive/"
    address = replay_address("https://replay.example/web/{timestamp}/{url}", host="127.0.0.5", port=9000)
    assert (address.collection, address.host, address.port) == ("web", "127.0.0.5", 9000)
    assert replay_address("http://[::1]/a/{timestamp}/{url}").url == "http://[::1]:80/a/"


@pytest.mark.parametrize("template", ["http://localhost:8080/{timestamp}/{url}", "http://localhost/a/b/{timestamp}/{url}",
                                      "ftp://localhost/a/{timestamp}/{url}", "http://localhost/a/{url}"])
def test_a_replay_url_pywb_cannot_serve_is_a_configuration_error(tmp_path, monkeypatch, capsys, template):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHIVER_REPORT_REPLAY_URL", template)
    assert main(["--data-dir", str(tmp_path / "archives"), "replay"]) == 3
    assert "report.replay_url" in capsys.readouterr().err


def test_only_loopback_addresses_are_served_without_public():
    for host in ("127.0.0.1", "127.8.9.10", "::1", "localhost"):
        check_bind_host(host, public=False)
    for host in ("0.0.0.0", "192.0.2.1", "::"):
        with pytest.raises(ValueError, match="--public"):
            check_bind_host(host, public=False)
        check_bind_host(host, public=True)


def test_a_public_host_is_refused_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--data-dir", str(tmp_path / "archives"), "replay", "--host", "0.0.0.0", "--port", "8080"]) == 3
    assert "--public" in capsys.readouterr().err


def test_without_pywb_replay_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "pywb", None)  # what find_spec sees when pywb is not installed
    assert main(["--data-dir", str(tmp_path / "archives"), "replay"]) == 3
    assert "pywb is not installed: pip install 'archiver[replay]'" in capsys.readouterr().err

