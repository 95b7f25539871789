"""A check over several hosts, counted by the servers themselves: never more than per_host_concurrency at once."""

from __future__ import annotations

import threading
from contextlib import ExitStack

from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import load_settings
from support.fakeweb import HTML, reference_page
from support.loopback import LoopbackServer, Reply, Seen

HOSTS = 3
REFS_PER_HOST = 8
HOLD = 0.5  # a bound: a request is held until a second one to its host is in flight, or this long


class ConcurrencyCount:
    """A route that counts its requests in flight, holding each until another arrives (or HOLD passes)."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self._changed = threading.Condition()

    def __call__(self, seen: Seen) -> Reply:
        with self._changed:
            self.now += 1
            self.most = max(self.most, self.now)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.now >= 2, timeout=HOLD)
            self.now -= 1
        return Reply(headers=HTML, body=reference_page(f"Reference {seen.path}"))


def test_a_check_never_has_more_than_per_host_concurrency_requests_in_flight_to_one_host(tmp_path):
    with ExitStack() as stack:
        counts = [ConcurrencyCount() for _ in range(HOSTS)]
        hosts = [stack.enter_context(LoopbackServer(host=f"127.0.0.{n + 2}")) for n in range(HOSTS)]
        refs = []
        for server, count in zip(hosts, counts, strict=True):
            for n in range(REFS_PER_HOST):
                server.routes[f"/ref/{n}.html"] = count
                refs.append(server.url(f"/ref/{n}.html"))
        news = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        links = "".join(f'<p>As <a href="{url}">source {n}</a> reported at some length.</p>' for n, url in enumerate(refs))
        news.routes["/story"] = Reply(headers=HTML, body=(
            f"<html><head><title>Story</title></head><body><article><h1>Story</h1>{links}</article></body></html>"
        ).encode())
        settings = load_settings(env={}, overrides={
            "storage.data_dir": str(tmp_path / "archives"), "fetch.allow_private_networks": True,
            "fetch.respect_robots": False, "fetch.per_host_delay": "0s", "fetch.per_host_concurrency": 2,
            "fetch.retries": 0})
        with open_pipeline(settings) as pipeline:
            pipeline.archive([article_from_cli(news.url("/story"))])
        first = [count.most for count in counts]
        with open_pipeline(settings) as pipeline:
            summary = pipeline.check(include_not_due=True)
    assert summary.checked >= HOSTS * REFS_PER_HOST
    assert all(most <= 2 for most in first) and all(count.most <= 2 for count in counts)
    assert max(count.most for count in counts) == 2  # the limit was reached, not merely never tested
