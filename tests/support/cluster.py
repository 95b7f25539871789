"""Queue-mode tests: worker processes, a per-test Redis namespace, an S3 server, and a counting loopback web.

Everything is real: the machine's Redis (127.0.0.1:6379, a namespace of the test's own, deleted
afterwards) or a redis-server the test starts on a free port; PostgreSQL (a schema of the test's
own, tests/conftest.py); moto's standalone S3 server in a child process on a loopback port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from support.loopback import LoopbackServer, Reply, Seen
from support.waiting import eventually

MACHINE_REDIS = "redis://127.0.0.1:6379/0"
WAIT = 60.0  # an upper bound on waiting for workers: reached only when a test is failing
BUCKET = "archive"  # made by the tests' S3 fixture, as an operator makes it before starting workers
S3_KEYS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class Cluster:
    """What every process of one test's cluster is told: database, broker, namespace, bucket."""

    database: str
    broker_url: str
    namespace: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:12]}")
    s3_endpoint: str = ""
    bucket: str = BUCKET
    extra: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVER_", "AWS_"))}
        env.update({
            "ARCHIVER_STORAGE_DATABASE": self.database,
            "ARCHIVER_QUEUE_BROKER_URL": self.broker_url,
            "ARCHIVER_QUEUE_NAMESPACE": self.namespace,
            "ARCHIVER_QUEUE_HEARTBEAT_TIMEOUT": "3s",
            "ARCHIVER_QUEUE_IDLE_CLOSE": "0.5s",
            "ARCHIVER_QUEUE_RUN_TIMEOUT": "100s",
            "ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true",
            "ARCHIVER_FETCH_RESPECT_ROBOTS": "false",
            "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
            "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0",
            "ARCHIVER_MEMENTO_ENABLED": "false",
        })
        if self.s3_endpoint:
            env.update({"ARCHIVER_STORAGE_WARC_STORE": f"s3://{self.bucket}/warcs-test",
                        "AWS_ENDPOINT_URL": self.s3_endpoint, **S3_KEYS})
        env.update(self.extra)
        return env

    def command(self, data_dir: Path, *args: str, log: Path | None = None) -> subprocess.Popen:
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 -- the child owns it; closed below
        try:
            return subprocess.Popen([sys.executable, "-m", "archiver", "-v", "--data-dir", str(data_dir), *args],
                                    env=self.env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            if log:
                out.close()


@contextmanager
def processes() -> Iterator[list[subprocess.Popen]]:
    """A list to put child processes in; each is ended (SIGTERM, then SIGKILL) and reaped on the way out."""
    children: list[subprocess.Popen] = []
    try:
        yield children
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def redis_keys_cleaned(client, namespace: str) -> None:
    keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
    if keys:
        client.delete(*keys)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own on a free loopback port, with an append-only file: a restart keeps data."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (.ci/run installs it)"
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always",
                                         "--save", "", "--protected-mode", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert eventually(self._answers, 20), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
            self.process.wait(timeout=30)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def moto_s3() -> Iterator[str]:
    """moto's standalone S3 server in a child process on a loopback port; its endpoint URL."""
    code = ("import sys\nfrom moto.server import ThreadedMotoServer\n"
            "s = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)\ns.start()\n"
            "print(s.get_host_and_port()[1], flush=True)\nsys.stdin.read()\ns.stop()\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env={**os.environ, **S3_KEYS})
    try:
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        child.stdout.close()


class HostCounter:
    """Counts each host's requests in flight (the largest count ever, per host) and when each started."""

    def __init__(self, delay: float):
        self.delay = delay  # how long the server takes to answer: requests of several workers overlap
        self._lock = threading.Lock()
        self.now: dict[int, int] = defaultdict(int)
        self.most: dict[int, int] = defaultdict(int)
        self.starts: dict[int, list[float]] = defaultdict(list)

    def answer(self, port: int, body: bytes) -> Reply:
        with self._lock:
            self.now[port] += 1
            self.most[port] = max(self.most[port], self.now[port])
            self.starts[port].append(time.monotonic())
        try:
            threading.Event().wait(self.delay)  # a slow server, not synchronisation: nothing waits on it
        finally:
            with self._lock:
                self.now[port] -= 1
        return Reply(200, headers=(("Content-Type", "text/html; charset=utf-8"),), body=body)


@dataclass
class LoopWeb:
    """Articles on one site citing references spread over `hosts` other sites, each URL answered by a counter."""

    articles: list[str]
    references: list[str]
    servers: list[LoopbackServer]
    counter: HostCounter

    @property
    def urls(self) -> set[str]:
        return set(self.articles) | set(self.references)


def page(title: str, links: list[str]) -> bytes:
    cited = "".join(f'<p>{title} paragraph {n} cites <a href="{url}">a source</a> that readers can check, '
                    f'with enough words around it to be read as the main text of a page.</p>'
                    for n, url in enumerate(links))
    text = " ".join(f"{title} sentence {n} with enough words to be read as the main text of a page." for n in range(30))
    return (f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{text}</p>{cited}</article></body></html>").encode()


def serve_loop_web(stack: ExitStack, *, articles: int = 3, references: int = 8, hosts: int = 3,
                   delay: float = 0.05) -> LoopWeb:
    """`articles` pages each citing `references` URLs (shared between articles: half of each article's
    references are cited by the next one too) spread over `hosts` loopback sites."""
    counter = HostCounter(delay)
    sites = [stack.enter_context(LoopbackServer(host=f"127.0.0.{n + 2}")) for n in range(hosts + 1)]
    news, ref_sites = sites[0], sites[1:]
    refs: list[str] = []
    for n in range(articles * references // 2 + references):
        site = ref_sites[n % hosts]
        path = f"/ref/{n}.html"
        refs.append(site.url(path))
        site.routes[path] = _counted(counter, site.port, page(f"Reference {n}", []))
    article_urls = []
    for a in range(articles):
        path = f"/news/{a}.html"
        cited = refs[a * references // 2: a * references // 2 + references]
        news.routes[path] = _counted(counter, news.port, page(f"Article {a}", cited))
        article_urls.append(news.url(path))
    used = {url for a in range(articles) for url in refs[a * references // 2: a * references // 2 + references]}
    return LoopWeb(article_urls, sorted(used), sites, counter)


def _counted(counter: HostCounter, port: int, body: bytes):
    def route(seen: Seen) -> Reply:
        return counter.answer(port, body)
    return route
