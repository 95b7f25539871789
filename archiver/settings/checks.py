"""Checks on the finished Settings (defaults, file, environment and overrides applied): ranges and formats.

values.py rejects a value that does not parse; these reject one that parses but cannot work: a concurrency
of 0, a timeout of 0, a WARC prefix that is no file name, a TimeGate without {url}. Each raises ConfigError
naming the key.
"""

from __future__ import annotations

import re

from archiver.errors import ConfigError
from archiver.settings.tables import MementoSettings, Settings


def validate(settings: Settings) -> None:
    fetch = settings.fetch
    for name in ("global_concurrency", "per_host_concurrency"):
        if getattr(fetch, name) < 1:
            raise ConfigError(f"fetch.{name}", getattr(fetch, name), "at least 1")
    for name in ("connect_timeout", "read_timeout", "total_timeout"):
        if getattr(fetch, name) <= 0:
            raise ConfigError(f"fetch.{name}", getattr(fetch, name), "a timeout greater than 0")
    if fetch.extract_processes > 64:
        raise ConfigError("fetch.extract_processes", fetch.extract_processes, "at most 64 (0: on the fetch threads)")
    if fetch.max_redirects > 50:
        raise ConfigError("fetch.max_redirects", fetch.max_redirects, "at most 50")
    if settings.storage.warc_max_bytes < 1_000_000:
        raise ConfigError("storage.warc_max_bytes", settings.storage.warc_max_bytes, "at least 1MB")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", settings.storage.warc_prefix):
        raise ConfigError("storage.warc_prefix", settings.storage.warc_prefix, "letters, digits, '-', '_' or '.'")
    database = settings.storage.database
    if database and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database):
        raise ConfigError("storage.database", database,
                          "empty (SQLite in data_dir) or a sqlite:// or postgresql+psycopg:// URL")
    health = settings.health
    if health.confirm_checks < 1:
        raise ConfigError("health.confirm_checks", health.confirm_checks, "at least 1")
    for name in ("minor_similarity", "off_topic_similarity", "off_topic_shrink"):
        if not 0.0 <= getattr(health, name) <= 1.0:
            raise ConfigError(f"health.{name}", getattr(health, name), "a number between 0 and 1")
    if health.minor_simhash_bits > 64:
        raise ConfigError("health.minor_simhash_bits", health.minor_simhash_bits, "at most 64")
    for name in ("max_sitemap_urls", "max_sitemaps", "max_document_bytes"):
        if getattr(settings.sources, name) < 1:
            raise ConfigError(f"sources.{name}", getattr(settings.sources, name), "at least 1")
    _validate_memento(settings.memento)


def _validate_memento(memento: MementoSettings) -> None:
    names = [gate.name for gate in memento.timegates]
    for gate in memento.timegates:
        if not gate.name or len(gate.name) > 64:
            raise ConfigError("memento.timegates", gate.name, "a name of 1 to 64 characters for each TimeGate")
        if not _is_url_template(gate.url):
            raise ConfigError("memento.timegates", gate.url, "an http(s) URL template containing {url}")
    if len(set(names)) != len(names):
        raise ConfigError("memento.timegates", ", ".join(names), "TimeGates with different names")
    if memento.enabled and not memento.timegates:
        raise ConfigError("memento.timegates", "[]", "at least one TimeGate while memento.enabled is true")
    if not _is_url_template(memento.save_endpoint):
        raise ConfigError("memento.save_endpoint", memento.save_endpoint, "an http(s) URL template containing {url}")
    if memento.refresh_interval < 3600:
        raise ConfigError("memento.refresh_interval", memento.refresh_interval, "at least 1h")


def _is_url_template(template: str) -> bool:
    return "{url}" in template and bool(re.match(r"^https?://[^/{}\s]+", template))
