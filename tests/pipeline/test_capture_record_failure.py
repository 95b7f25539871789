"""A WARC write that fails (disk full: RecordError) stops the capture, and the fetch it was writing is closed."""

from __future__ import annotations

import pytest

from archiver.errors import RecordError
from archiver.pipeline import Capturer
from archiver.settings import FetchSettings
from support.records import make_exchange, make_fetch


class MemoryFetcher:
    """A Fetcher that answers every URL with a fresh in-memory fetch, and keeps them."""

    def __init__(self) -> None:
        self.fetches = []

    def fetch(self, url: str, **options):
        self.fetches.append(make_fetch(make_exchange(url)))
        return self.fetches[-1]


class FullRecorder:
    """A WarcRecorder whose disk is full."""

    def write_fetch(self, fetch):
        raise RecordError("No space left on device; cut back to the last complete record")


@pytest.mark.parametrize("how", ["check", "capture"])
def test_a_failed_write_closes_the_fetch(how):
    fetcher = MemoryFetcher()
    capturer = Capturer(fetcher, FullRecorder(), FetchSettings())  # type: ignore[arg-type]
    with pytest.raises(RecordError, match="No space left"):
        getattr(capturer, how)("http://example.test/page")
    [fetch] = fetcher.fetches
    assert fetch.exchanges[0].body.file.closed
