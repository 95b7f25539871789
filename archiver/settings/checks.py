"""Checks on the finished Settings (defaults, file, environment and overrides applied): ranges and formats.

values.py rejects a value that does not parse; these reject one that parses but cannot work: a number
outside its key's bounds (a concurrency of 0, a timeout of 0, retries = 1e9), a WARC prefix that is no
file name, a TimeGate without {url}, a feed that is neither a URL nor a file. Each raises ConfigError
naming the key.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from urllib.parse import urlsplit

from archiver.errors import ConfigError
from archiver.settings.tables import MementoSettings, Settings, SourcesSettings
from archiver.settings.values import describe, describe_bounds


def validate(settings: Settings) -> None:
    _validate_bounds(settings)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", settings.storage.warc_prefix):
        raise ConfigError("storage.warc_prefix", settings.storage.warc_prefix, "letters, digits, '-', '_' or '.'")
    database = settings.storage.database
    if database and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database):
        raise ConfigError("storage.database", database,
                          "empty (SQLite in data_dir) or a sqlite:// or postgresql+psycopg:// URL")
    _validate_feeds(settings.sources)
    _validate_memento(settings.memento)
    if settings.capture.requisites not in ("articles", "all", "off"):
        raise ConfigError("capture.requisites", settings.capture.requisites, '"articles", "all" or "off"')


def _validate_feeds(sources: SourcesSettings) -> None:
    """Each feed and sitemap is an http(s) URL or a path that exists (made absolute by loading.py).

    Anything else is a slip (a URL without its scheme, a misspelt file), refused now rather than skipped
    with a warning at every capture cycle. A file deleted later is still only a warning then.
    """
    for name in ("feeds", "sitemaps"):
        for entry in getattr(sources, name):
            parts = urlsplit(entry)
            if parts.scheme.lower() in ("http", "https") and parts.hostname:
                continue
            if not parts.scheme and Path(entry).exists():
                continue
            raise ConfigError(f"sources.{name}", entry,
                              "an http(s) URL, or a file that exists (a relative path is relative to the config file)")


def _validate_bounds(settings: Settings) -> None:
    """Every number within the bounds its field declares (tables.py), both ends included."""
    for table in fields(settings):
        section = getattr(settings, table.name)
        for fld in fields(section):
            if "bounds" not in fld.metadata:
                continue
            low, high = fld.metadata["bounds"]
            value = getattr(section, fld.name)
            if not low <= value <= high:  # also refuses NaN, which compares false to everything
                raise ConfigError(f"{table.name}.{fld.name}", describe(fld, value), describe_bounds(fld))


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


def _is_url_template(template: str) -> bool:
    return "{url}" in template and bool(re.match(r"^https?://[^/{}\s]+", template))
