"""A loopback web for benchmarks: H hosts on distinct 127.77.x.y addresses, each its own ThreadingHTTPServer.

    .venv/bin/python benchmarks/loopweb.py --articles 20 --refs 10 --hosts 8     # serve until Ctrl-C

Article i lives on host i % H and links, in its body, to M reference pages; reference page
k = i*M + j lives on host k % H, so each article's references spread over M hosts. With
--popularity zipf the reference hosts follow a Zipf-like popularity instead, as on the real
web: the busiest host holds about 15% of the references. With --rotten F, that share of the
references is rotten, the kinds in turn: 404, 410, a hang (no answer for --hang seconds),
429 with Retry-After, 503, and a redirect loop. Every
response waits `latency` seconds first (a far-away server). Reference pages are about
`page_kb` of pseudo-random prose (real pages compress about as badly) and carry an ETag and
a Last-Modified, answering 304 to a matching If-None-Match / If-Modified-Since unless
validators are off. Article pages need a stylesheet (with a CSS background), a site logo and
IMAGES_PER_ARTICLE images of their own, all under /static/ on the article's host, carrying ETags
too (--no-requisites leaves them out). `/big?bytes=N` streams N bytes (for the memory benchmark); any other
path is a 404, as a real site's random URL is. On start the process prints one JSON line:
{"articles": [...], "references": [...], "hosts": [...], "big": url}.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LAST_MODIFIED = "Tue, 04 Mar 2025 09:30:00 GMT"
BODY_POOL = 32  # distinct filler bodies, built once: serving must cost the benchmark's CPU next to nothing
BIG_CHUNK = 1 << 20
MAX_BIG_BYTES = 4 << 30  # /big never streams more than this, whatever the query asks
IMAGES_PER_ARTICLE = 3
# Static files: random bytes compress as badly as real images do; the browser shows them broken, which
# costs it no more than a real image would.
STATIC_SIZES = {"logo.png": 8_000, "bg.png": 2_000, "image": 30_000}
SITE_CSS = (b"body { font-family: Georgia, serif; background: #faf7f0 url(/static/bg.png) repeat-x; margin: 0 }\n"
            b"article { max-width: 46em; margin: 0 auto; padding: 1em } h1 { color: #7a1f1f }\n" * 20)


def filler(seed: int, size: int) -> str:
    """`size` characters of paragraphs of random lowercase words: compresses like real prose, not better."""
    rng = random.Random(seed)
    words, length = [], 0
    while length < size:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))
        words.append(word)
        length += len(word) + 1
    return "".join(f"<p>{' '.join(words[n:n + 60])}.</p>\n" for n in range(0, len(words), 60))


@dataclass
class Plan:
    """Which pages exist and where: the URL list every tool in the benchmark gets."""

    hosts: list[str]
    articles: int
    refs: int
    ports: list[int] = field(default_factory=list)

    def base(self, host: int) -> str:
        return f"http://{self.hosts[host]}:{self.ports[host]}"

    def article_url(self, i: int) -> str:
        return f"{self.base(i % len(self.hosts))}/news/{i}.html"

    reference_hosts: list[int] = field(default_factory=list)  # host of each reference, when not k % H

    def reference_host(self, k: int) -> int:
        return self.reference_hosts[k] if self.reference_hosts else k % len(self.hosts)

    def reference_url(self, k: int) -> str:
        return f"{self.base(self.reference_host(k))}/ref/{k}.html"

    def reference_ids(self, i: int) -> range:
        return range(i * self.refs, (i + 1) * self.refs)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # clients hanging up (resets, closed keep-alives) are normal
            super().handle_error(request, client_address)


class LoopWeb:
    """The servers of one Plan; start() binds them all, close() stops them."""

    def __init__(self, articles: int, refs: int, hosts: int, *, latency: float = 0.03, page_kb: int = 40,
                 validators: bool = True, popularity: str = "even", rotten: float = 0.0, hang: float = 15.0,
                 requisites: bool = True):
        if not 1 <= hosts <= 250 * 250:
            raise ValueError("hosts must be between 1 and 62500")
        self.plan = Plan([f"127.77.{h // 250}.{h % 250 + 1}" for h in range(hosts)], articles, refs)
        if popularity == "zipf":
            self.plan.reference_hosts = zipf_hosts(articles * refs, hosts)
        self.rot = rotten_kinds(articles * refs, rotten)
        self.latency, self.validators, self.hang, self.requisites = latency, validators, hang, requisites
        noise = random.Random(5)
        self.static = {name: noise.randbytes(size) for name, size in STATIC_SIZES.items()}
        self.answers: list[list[tuple[int, float | None]]] = [[] for _ in range(hosts)]  # (status, Retry-After)
        self.bodies = [filler(seed, page_kb * 1000) for seed in range(BODY_POOL)]
        self.served = [0] * hosts  # requests per host, for the report
        self.in_flight = [0] * hosts  # requests being answered now, per host
        self.most_in_flight = [0] * hosts  # the most ever at once, per host (politeness across workers)
        self._lock = threading.Lock()
        self._servers: list[_QuietServer] = []

    def start(self) -> LoopWeb:
        for index, address in enumerate(self.plan.hosts):
            server = _QuietServer((address, 0), _Handler)
            server.web, server.index = self, index  # type: ignore[attr-defined]
            self.plan.ports.append(server.server_address[1])
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
            self._servers.append(server)
        return self

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def article(self, i: int) -> bytes:
        links = "".join(
            f'<p>Paragraph {j} of the story: according to <a href="{self.plan.reference_url(k)}">source {k}</a>, '
            f"the matter changed considerably over the last year, which officials confirmed since.</p>"
            for j, k in enumerate(self.plan.reference_ids(i)))
        head, images = "", ""
        if self.requisites:
            head = '<link rel="stylesheet" href="/static/site.css">'
            images = '<img src="/static/logo.png" alt="">' + "".join(
                f'<img src="/static/img/{i}-{n}.png" alt="">' for n in range(IMAGES_PER_ARTICLE))
        return (f"<!doctype html><html><head><title>Article {i}</title>{head}</head><body>{images}<article>"
                f"<h1>Article {i}</h1>{links}{self.bodies[i % BODY_POOL][:3000]}</article></body></html>").encode()

    def static_file(self, path: str) -> tuple[bytes, str] | None:
        """(body, content type) of a /static/ path, or None."""
        if not self.requisites:
            return None
        name = path.removeprefix("/static/")
        if name == "site.css":
            return SITE_CSS, "text/css"
        if name in ("logo.png", "bg.png"):
            return self.static[name], "image/png"
        if name.startswith("img/") and name.endswith(".png"):
            return self.static["image"][:-8] + name.encode()[-8:].rjust(8, b"-"), "image/png"  # one per article
        return None

    def reference(self, k: int) -> bytes:
        return (f"<!doctype html><html><head><title>Reference {k}</title></head><body><article>"
                f"<h1>Reference {k}</h1>{self.bodies[k % BODY_POOL]}</article></body></html>").encode()

    def urls(self) -> dict:
        plan = self.plan
        return {"articles": [plan.article_url(i) for i in range(plan.articles)],
                "references": [plan.reference_url(k) for k in range(plan.articles * plan.refs)],
                "hosts": plan.hosts, "big": f"{plan.base(0)}/big",
                "rotten": {kind: sum(1 for k in self.rot.values() if k == kind) for kind in ROT_KINDS}}

    def take_log(self) -> dict:
        """Requests per host and each host's answers in order, since the last call."""
        with self._lock:
            log = {"served": self.served, "answers": self.answers, "most_in_flight": self.most_in_flight}
            self.served, self.answers = [0] * len(self.served), [[] for _ in self.answers]
            self.most_in_flight = list(self.in_flight)
        return log

    def answered(self, host: int, status: int, retry_after: float | None = None) -> None:
        with self._lock:
            self.answers[host].append((status, retry_after))


ROT_KINDS = ("404", "410", "hang", "429", "503", "loop")
RETRY_AFTER = 2  # seconds, in the rotten 429s


def zipf_hosts(count: int, hosts: int, top_share: float = 0.15, seed: int = 7) -> list[int]:
    """A host for each of `count` references: host h with weight 1/(h+1)^s, s set so host 0 gets `top_share`."""
    def share(s: float) -> float:
        return 1.0 / sum((h + 1) ** -s for h in range(hosts))

    low, high = 0.0, 4.0  # share(s) grows with s: bisect for the exponent giving top_share
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if share(middle) < top_share else (low, middle)
    weights = [(h + 1) ** -low for h in range(hosts)]
    return random.Random(seed).choices(range(hosts), weights=weights, k=count)


def rotten_kinds(count: int, share: float, seed: int = 11) -> dict[int, str]:
    """Which references are rotten, and how: `share` of them, the kinds in turn."""
    chosen = sorted(random.Random(seed).sample(range(count), round(count * share))) if share else []
    return {k: ROT_KINDS[n % len(ROT_KINDS)] for n, k in enumerate(chosen)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def send_response(self, code: int, message: str | None = None) -> None:
        web: LoopWeb = self.server.web  # type: ignore[attr-defined]
        web.answered(self.server.index, code, RETRY_AFTER if code == 429 else None)  # type: ignore[attr-defined]
        super().send_response(code, message)

    def do_GET(self) -> None:
        web: LoopWeb = self.server.web  # type: ignore[attr-defined]
        index = self.server.index  # type: ignore[attr-defined]
        with web._lock:
            web.served[index] += 1
            web.in_flight[index] += 1
            web.most_in_flight[index] = max(web.most_in_flight[index], web.in_flight[index])
        try:
            self._answer(web)
        finally:
            with web._lock:
                web.in_flight[index] -= 1

    def _answer(self, web: LoopWeb) -> None:
        time.sleep(web.latency)
        parts = urlsplit(self.path)
        name = parts.path.rsplit("/", 1)[-1].removesuffix(".html")
        if parts.path == "/robots.txt":
            self._reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif parts.path == "/big":
            self._stream_big(int(parse_qs(parts.query).get("bytes", ["0"])[0]))
        elif parts.path.startswith("/news/") and name.isdigit() and int(name) < web.plan.articles:
            self._reply(200, web.article(int(name)), "text/html; charset=utf-8")
        elif parts.path.startswith("/ref/") and name.isdigit() and int(name) < web.plan.articles * web.plan.refs:
            self._reference(web, int(name))
        elif parts.path.startswith("/static/") and web.static_file(parts.path) is not None:
            self._static(web, parts.path)
        else:
            self._reply(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")

    def _reference(self, web: LoopWeb, k: int) -> None:
        rot = web.rot.get(k)
        if rot is not None:
            self._rotten(web, k, rot)
            return
        etag = f'"r{k}-{k % BODY_POOL}"'
        validators = [("ETag", etag), ("Last-Modified", LAST_MODIFIED)] if web.validators else []
        unchanged = self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-None-Match") is None and self.headers.get("If-Modified-Since") == LAST_MODIFIED)
        if web.validators and unchanged:
            self._reply(304, b"", None, validators)
        else:
            self._reply(200, web.reference(k), "text/html; charset=utf-8", validators)

    def _static(self, web: LoopWeb, path: str) -> None:
        body, content_type = web.static_file(path)
        etag = f'"s{zlib.crc32(body):08x}"'
        if web.validators and self.headers.get("If-None-Match") == etag:
            self._reply(304, b"", None, [("ETag", etag)])
        else:
            self._reply(200, body, content_type, [("ETag", etag)] if web.validators else [])

    def _rotten(self, web: LoopWeb, k: int, rot: str) -> None:
        if rot == "hang":
            time.sleep(web.hang)  # bounded: the client gives up first, then the connection closes
            self.close_connection = True
        elif rot == "loop":
            target = f"/ref/{k}.html" if "loop" in self.path else f"/ref/{k}.html?loop=1"
            self._reply(302, b"", None, [("Location", target)])
        elif rot == "429":
            self._reply(429, b"slow down", "text/plain", [("Retry-After", str(RETRY_AFTER))])
        else:
            self._reply(int(rot), b"<html><body><h1>Gone</h1></body></html>", "text/html")

    def _reply(self, status: int, body: bytes, content_type: str | None, extra=()) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in extra:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream_big(self, size: int) -> None:
        size = min(size, MAX_BIG_BYTES)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = (b"archiver memory benchmark " * (BIG_CHUNK // 26 + 1))[:BIG_CHUNK]
        try:
            for _ in range(size // BIG_CHUNK):
                self.wfile.write(chunk)
            self.wfile.write(chunk[: size % BIG_CHUNK])
        except OSError:  # the client stopped reading (a size cap): nothing more to send
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def add_web_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that shape the web (benchmarks/run.py takes the same ones)."""
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--refs", type=int, default=10, help="reference links per article")
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.03, help="seconds each response waits first")
    parser.add_argument("--page-kb", type=int, default=40, help="size of a reference page, in kB")
    parser.add_argument("--popularity", choices=("even", "zipf"), default="even",
                        help="how references spread over hosts (zipf: the busiest host has about 15%%)")
    parser.add_argument("--rotten", type=float, default=0.0, help="share of references that are rotten")
    parser.add_argument("--hang", type=float, default=15.0, help="seconds a hanging reference keeps silent")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_web_arguments(parser)
    parser.add_argument("--no-validators", action="store_true", help="send no ETag / Last-Modified")
    parser.add_argument("--no-requisites", action="store_true", help="articles without stylesheet, logo and images")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    web = LoopWeb(args.articles, args.refs, args.hosts, latency=args.latency, page_kb=args.page_kb,
                  validators=not args.no_validators, popularity=args.popularity, rotten=args.rotten,
                  hang=args.hang, requisites=not args.no_requisites).start()
    print(json.dumps(web.urls()), flush=True)
    try:
        for _ in sys.stdin:  # each line asks for what was served since the last one; EOF ends it
            print(json.dumps(web.take_log()), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        print(json.dumps(web.take_log()), flush=True)
        web.close()


if __name__ == "__main__":
    main()
