"""Loading: defaults < config TOML < ARCHIVER_<TABLE>_<KEY> environment < overrides (the CLI flags).

Every key has a type; a value that does not parse, or a key nobody knows, raises ConfigError naming the key,
the value and what was expected (exit 3).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from archiver.errors import ConfigError
from archiver.settings.checks import validate
from archiver.settings.tables import TABLES, Settings
from archiver.settings.values import parse_value

MAX_CONFIG_BYTES = 1_000_000  # a config file is a page of keys; anything bigger is a mistake


def _overlay(settings: Settings, table: str, key: str, value: Any, origin: str) -> Settings:
    dotted = f"{table}.{key}"
    if table not in TABLES:
        raise ConfigError(table, value, f"one of the tables {', '.join(TABLES)} ({origin})")
    cls = TABLES[table]
    known = {f.name: f for f in fields(cls)}
    if key not in known:
        raise ConfigError(dotted, value, f"a known key of [{table}]: {', '.join(known)} ({origin})")
    parsed = parse_value(dotted, known[key], value)
    section = dataclasses.replace(getattr(settings, table), **{key: parsed})
    return dataclasses.replace(settings, **{table: section})


def load_settings(
    config_file: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from defaults, then the TOML file, then ARCHIVER_* env, then `overrides` ("table.key": value)."""
    settings = Settings()
    base_dir: Path | None = None
    if config_file is not None:
        path = Path(config_file)
        document = _read_toml(path)
        base_dir = path.resolve().parent
        for table, content in document.items():
            if not isinstance(content, dict):
                raise ConfigError(table, content, "a [table] of keys")
            for key, value in content.items():
                settings = _overlay(settings, table, key, value, str(path))
    environ = os.environ if env is None else env
    for name, value in sorted(environ.items()):
        if not name.startswith("ARCHIVER_") or name == "ARCHIVER_CONFIG":
            continue
        rest = name[len("ARCHIVER_"):].lower()
        table, _, key = rest.partition("_")
        if not key:
            raise ConfigError(name, value, "ARCHIVER_<TABLE>_<KEY>, e.g. ARCHIVER_FETCH_USER_AGENT")
        settings = _overlay(settings, table, key, value, f"environment {name}")
    for dotted, value in (overrides or {}).items():
        table, _, key = dotted.partition(".")
        settings = _overlay(settings, table, key, value, "command line")
    if base_dir is not None:
        settings = _resolve_paths(settings, base_dir)
    validate(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    """The config file's document; ConfigError naming the file when it cannot be read, decoded or parsed."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)  # never st_size: --config /dev/zero would not end
    except FileNotFoundError:
        raise ConfigError("--config", str(path), "an existing TOML file") from None
    except OSError as exc:
        raise ConfigError("--config", str(path), f"a readable TOML file ({exc.strerror or exc})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError("--config", str(path), f"a TOML file of at most {MAX_CONFIG_BYTES // 1_000_000} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError("--config", str(path), f"UTF-8 text, as TOML is: byte 0x{data[exc.start]:02x} on line "
                          f"{line} is not UTF-8 (re-save the file as UTF-8)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--config", str(path), f"valid TOML ({exc})") from None


def _resolve_paths(settings: Settings, base_dir: Path) -> Settings:
    """Source paths in a config file are relative to the file; data_dir is relative to the working directory.

    Feeds and sitemaps are usually URLs, which stay as they are; a file among them is resolved too.
    """

    def resolve(items: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(item if re.match(r"^[a-z][a-z0-9+.-]*://", item, re.IGNORECASE) or Path(item).is_absolute()
                     else str(base_dir / item) for item in items)

    sources = settings.sources
    resolved = dataclasses.replace(sources, articles=resolve(sources.articles), feeds=resolve(sources.feeds),
                                   sitemaps=resolve(sources.sitemaps))
    return dataclasses.replace(settings, sources=resolved)
