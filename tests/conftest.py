from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from archiver.fetch import Fetcher
from archiver.models import Fetch
from archiver.settings import FetchSettings


class _TidyFetcher(Fetcher):
    """A Fetcher that remembers its fetches so the fixture can close their bodies."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fetches: list[Fetch] = []

    def fetch(self, *args: Any, **kwargs: Any) -> Fetch:
        result = super().fetch(*args, **kwargs)
        self.fetches.append(result)
        return result


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., Fetcher]]:
    """Fetchers for loopback tests; they and their fetches are closed at teardown.

    make_fetcher(**fetch_settings, guard=None, resolver=None): private networks are
    allowed (the servers are on 127.0.0.1) unless the test says otherwise.
    """
    fetchers: list[_TidyFetcher] = []

    def make(*, guard=None, resolver=None, **overrides) -> Fetcher:
        values = {"allow_private_networks": True, "connect_timeout": 5.0, "read_timeout": 10.0, "total_timeout": 20.0}
        fetcher = _TidyFetcher(FetchSettings(**{**values, **overrides}), guard=guard, resolver=resolver)
        fetchers.append(fetcher)
        return fetcher

    yield make
    for fetcher in fetchers:
        for fetch in fetcher.fetches:
            fetch.close()
        fetcher.close()
