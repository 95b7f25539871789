"""Settings: defaults < config TOML < ARCHIVER_<TABLE>_<KEY> environment < CLI flags.

Every key has a type; a value that does not parse, or a key nobody knows,
raises ConfigError naming the key, the value and what was expected (exit 3).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from archiver.errors import ConfigError

# Field kinds beyond the Python type: how a string (env, CLI) or TOML value is parsed.
DURATION = "duration"  # "72h", "7d", "30s", "1.5m", or a number of seconds
SIZE = "size"  # "50MB", "1GiB", "1024", or a number of bytes
TIMEGATES = "timegates"  # [{name = "...", url = "...{url}..."}], or "name=template; name=template" in the environment


def _kind(kind: str) -> dict:
    return {"kind": kind}


@dataclass(frozen=True)
class StorageSettings:
    data_dir: Path = Path("archives")
    database: str = ""  # empty: SQLite at <data_dir>/archiver.db; else an SQLAlchemy URL
    warc_prefix: str = "archiver"
    warc_max_bytes: int = field(default=1_000_000_000, metadata=_kind(SIZE))

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warcs"

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{(self.data_dir / 'archiver.db').as_posix()}"


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = "archiver/0.1 (+https://github.com/archiver/archiver; web archiving and link checking)"
    contact_url: str = ""
    connect_timeout: float = field(default=10.0, metadata=_kind(DURATION))
    read_timeout: float = field(default=30.0, metadata=_kind(DURATION))
    total_timeout: float = field(default=120.0, metadata=_kind(DURATION))
    max_body_bytes: int = field(default=50_000_000, metadata=_kind(SIZE))
    max_extract_bytes: int = field(default=5_000_000, metadata=_kind(SIZE))
    extract_processes: int = 2  # 0: extract on the fetch threads (one core between them)
    max_redirects: int = 10
    allow_private_networks: bool = False
    respect_robots: bool = True
    global_concurrency: int = 16
    per_host_concurrency: int = 2
    per_host_delay: float = field(default=1.0, metadata=_kind(DURATION))
    retries: int = 2
    retry_backoff: float = field(default=1.0, metadata=_kind(DURATION))  # first wait; doubles per attempt
    retry_after_cap: float = field(default=30.0, metadata=_kind(DURATION))  # longer Retry-After: give up this check
    # Politeness (archiver/fetch/politeness.py); each key is explained in config/archiver.toml.
    robots_ttl: float = field(default=24 * 3600.0, metadata=_kind(DURATION))
    robots_unreachable_ttl: float = field(default=600.0, metadata=_kind(DURATION))
    max_crawl_delay: float = field(default=30.0, metadata=_kind(DURATION))
    robots_ignore_for_articles: bool = False
    max_backoff_delay: float = field(default=60.0, metadata=_kind(DURATION))
    failure_memory: float = field(default=600.0, metadata=_kind(DURATION))

    @property
    def user_agent_header(self) -> str:
        if self.contact_url and self.contact_url not in self.user_agent:
            return f"{self.user_agent} (+{self.contact_url})"
        return self.user_agent


@dataclass(frozen=True)
class HealthSettings:
    confirm_checks: int = 3
    confirm_interval: float = field(default=72 * 3600.0, metadata=_kind(DURATION))
    recheck_alive: float = field(default=7 * 86400.0, metadata=_kind(DURATION))
    recheck_failing: float = field(default=3 * 86400.0, metadata=_kind(DURATION))
    # Near-duplicate: 64-bit simhashes within this many bits (Manku et al. use 3 for web pages).
    minor_simhash_bits: int = 3
    # Shingle overlap (Jaccard over word 3-grams) at or above which a change is still minor. Measured on a
    # 557-word article: timestamps, counters, ads and all trivial changes at once score 0.92-1.00; one
    # paragraph in ten rewritten scores 0.83, which is a real edit a citer should see, hence 0.85.
    minor_similarity: float = 0.85
    # Cosine similarity of term vectors below which a page is about something else. A real edit scored
    # 0.84 and a replacement 0.10 on our fixtures; 0.25 leaves room on both sides.
    off_topic_similarity: float = 0.25
    # Word count falling by this share or more means the content was replaced or gutted.
    off_topic_shrink: float = 0.70


@dataclass(frozen=True)
class SourcesSettings:
    articles: tuple[str, ...] = ()  # files or folders: URL lists and seed documents
    feeds: tuple[str, ...] = ()  # RSS/Atom feed URLs (or files)
    sitemaps: tuple[str, ...] = ()  # XML sitemap or sitemap-index URLs (or files)
    # Bounds on what one feed or sitemap may cost: bytes after decompression, URLs per sitemap
    # (the sitemap protocol's own limit is 50,000), and sitemaps read from one index.
    max_document_bytes: int = field(default=50_000_000, metadata=_kind(SIZE))
    max_sitemap_urls: int = 50_000
    max_sitemaps: int = 50


@dataclass(frozen=True)
class ScheduleSettings:
    # "interval 1h", "cron 0 7 * * *" (minute hour day month weekday, local time) or "off";
    # parsed by archiver.daemon.schedule, which names the key on a bad value.
    capture: str = "interval 1h"
    check: str = "interval 6h"
    report: str = "cron 0 7 * * *"
    jitter: float = field(default=60.0, metadata=_kind(DURATION))  # random delay added to each run
    # A run that could not start on time (daemon down, previous run still busy) still runs this late;
    # runs missed while the daemon was down are coalesced into one catch-up run.
    misfire_grace_time: float = field(default=6 * 3600.0, metadata=_kind(DURATION))
    # On SIGTERM/SIGINT: how long running fetches may take to finish before the daemon cuts them off.
    stop_timeout: float = field(default=30.0, metadata=_kind(DURATION))


@dataclass(frozen=True)
class ReportSettings:
    replay_url: str = "http://localhost:8080/archive/{timestamp}/{url}"


@dataclass(frozen=True)
class TimeGate:
    """A public web archive's Memento TimeGate: {url} in `url` is replaced by the link's URL."""

    name: str
    url: str


@dataclass(frozen=True)
class MementoSettings:
    # Off by default so nothing reaches a public archive unasked; config/archiver.toml explains each key.
    enabled: bool = False
    timegates: tuple[TimeGate, ...] = field(
        default=(TimeGate("Internet Archive", "https://web.archive.org/web/{url}"),), metadata=_kind(TIMEGATES))
    lookup_limit_per_run: int = 20
    refresh_interval: float = field(default=30 * 86400.0, metadata=_kind(DURATION))
    submit_new_captures: bool = False
    save_endpoint: str = "https://web.archive.org/save/{url}"
    submit_limit_per_run: int = 10


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = StorageSettings()
    fetch: FetchSettings = FetchSettings()
    health: HealthSettings = HealthSettings()
    sources: SourcesSettings = SourcesSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    report: ReportSettings = ReportSettings()
    memento: MementoSettings = MementoSettings()


_TABLES: dict[str, type] = {f.name: f.type for f in fields(Settings)}  # type: ignore[misc]
_TABLE_CLASSES = {
    "storage": StorageSettings,
    "fetch": FetchSettings,
    "health": HealthSettings,
    "sources": SourcesSettings,
    "schedule": ScheduleSettings,
    "report": ReportSettings,
    "memento": MementoSettings,
}

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3,
}


def parse_duration(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(key, value, "a duration such as \"30s\", \"72h\" or \"7d\"")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", str(value).lower())
        if not match:
            raise ConfigError(key, value, "a duration such as \"30s\", \"72h\" or \"7d\"")
        seconds = float(match.group(1)) * _DURATION_UNITS.get(match.group(2) or "s", 1)
    if seconds < 0:
        raise ConfigError(key, value, "a duration that is not negative")
    return seconds


def parse_size(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(key, value, "a size such as \"50MB\" or a number of bytes")
    if isinstance(value, int):
        size = value
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", str(value).lower())
        if not match or match.group(2) not in _SIZE_UNITS:
            raise ConfigError(key, value, "a size such as \"50MB\", \"1GiB\" or a number of bytes")
        size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])
    if size < 0:
        raise ConfigError(key, value, "a size that is not negative")
    return size


def parse_timegates(key: str, value: Any) -> tuple[TimeGate, ...]:
    """A list of {name, url} tables (TOML), or "name=url; name=url" (environment, command line)."""
    expected = 'a list of {name = "...", url = "https://.../{url}"} tables'
    if isinstance(value, str):
        pairs = [item.partition("=") for item in value.split(";") if item.strip()]
        value = [{"name": name.strip(), "url": url.strip()} for name, _, url in pairs]
    if not isinstance(value, (list, tuple)):
        raise ConfigError(key, value, expected)
    gates = []
    for item in value:
        if isinstance(item, TimeGate):
            item = {"name": item.name, "url": item.url}
        if not isinstance(item, dict) or set(item) != {"name", "url"} or not all(isinstance(v, str) for v in item.values()):
            raise ConfigError(key, item, expected)
        gates.append(TimeGate(item["name"].strip(), item["url"].strip()))
    return tuple(gates)


def _parse_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(key, value, "true or false")


def _parse_value(key: str, fld: dataclasses.Field, value: Any) -> Any:
    kind = fld.metadata.get("kind")
    if kind == DURATION:
        return parse_duration(key, value)
    if kind == SIZE:
        return parse_size(key, value)
    if kind == TIMEGATES:
        return parse_timegates(key, value)
    typ = fld.type if isinstance(fld.type, str) else getattr(fld.type, "__name__", str(fld.type))
    if typ == "bool":
        return _parse_bool(key, value)
    if typ == "int":
        if isinstance(value, bool):
            raise ConfigError(key, value, "a whole number")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(key, value, "a whole number") from None
        if isinstance(value, float) and value != number:
            raise ConfigError(key, value, "a whole number")
        if number < 0:
            raise ConfigError(key, value, "a whole number that is not negative")
        return number
    if typ == "float":
        if isinstance(value, bool):
            raise ConfigError(key, value, "a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(key, value, "a number") from None
    if typ == "Path":
        if not isinstance(value, (str, Path)) or not str(value):
            raise ConfigError(key, value, "a path")
        return Path(value)
    if typ.startswith("tuple"):
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
        elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
            items = list(value)
        else:
            raise ConfigError(key, value, "a list of strings")
        return tuple(items)
    if not isinstance(value, str):
        raise ConfigError(key, value, "a string")
    return value


def _validate(settings: Settings) -> None:
    fetch = settings.fetch
    for name in ("global_concurrency", "per_host_concurrency"):
        if getattr(fetch, name) < 1:
            raise ConfigError(f"fetch.{name}", getattr(fetch, name), "at least 1")
    if fetch.connect_timeout <= 0 or fetch.read_timeout <= 0 or fetch.total_timeout <= 0:
        raise ConfigError("fetch.total_timeout", fetch.total_timeout, "timeouts greater than 0")
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
        raise ConfigError("storage.database", database, "empty (SQLite in data_dir) or a sqlite:// or postgresql+psycopg:// URL")
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


def _overlay(settings: Settings, table: str, key: str, value: Any, origin: str) -> Settings:
    dotted = f"{table}.{key}"
    if table not in _TABLE_CLASSES:
        raise ConfigError(table, value, f"one of the tables {', '.join(_TABLE_CLASSES)} ({origin})")
    cls = _TABLE_CLASSES[table]
    known = {f.name: f for f in fields(cls)}
    if key not in known:
        raise ConfigError(dotted, value, f"a known key of [{table}]: {', '.join(known)} ({origin})")
    parsed = _parse_value(dotted, known[key], value)
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
        try:
            with path.open("rb") as handle:
                document = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError("--config", str(path), "an existing TOML file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("--config", str(path), f"valid TOML ({exc})") from None
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
    _validate(settings)
    return settings


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
