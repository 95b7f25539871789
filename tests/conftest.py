from __future__ import annotations

import os
import uuid
from typing import Any, Callable, Iterator

import pytest

from archiver.fetch import Fetcher
from archiver.models import Fetch
from archiver.settings import FetchSettings
from archiver.store import Store
from support.records import close_made_bodies


@pytest.fixture(autouse=True)
def _close_made_bodies() -> Iterator[None]:
    """The bodies support.records made for a test are closed after it (a module fixture's at its first test)."""
    yield
    close_made_bodies()


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
        values = {"allow_private_networks": True, "connect_timeout": 5.0, "read_timeout": 10.0, "total_timeout": 20.0,
                  # robots.txt and the per-host delay are tested on their own (test_fetch_polite.py, test_fetch_robots.py)
                  "respect_robots": False, "per_host_delay": 0.0}
        fetcher = _TidyFetcher(FetchSettings(**{**values, **overrides}), guard=guard, resolver=resolver)
        fetchers.append(fetcher)
        return fetcher

    yield make
    for fetcher in fetchers:
        for fetch in fetcher.fetches:
            fetch.close()
        fetcher.close()


# ---- databases: every test taking `database_url` runs on SQLite and on PostgreSQL -------------
# PostgreSQL tests FAIL, never skip, when the server is unreachable: .ci/run starts it.
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the local PostgreSQL server, made the connection's search_path; dropped afterwards."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'archiver.db').as_posix()}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url):
    """A Store on `database_url` (SQLite and PostgreSQL in turn), schema at head; closed afterwards."""
    with Store.open(database_url) as opened:
        yield opened
