"""Settings: defaults < config TOML < ARCHIVER_<TABLE>_<KEY> environment < CLI flags.

Every key has a type; a value that does not parse, or a key nobody knows,
raises ConfigError naming the key, the value and what was expected (exit 3).

    values.py   what a value may be and how one is parsed (durations, sizes, TimeGates, bools, ...)
    tables.py   the frozen dataclasses, one per [table], each key with its default
    checks.py   ranges and formats checked on the finished Settings
    loading.py  load_settings: the layers applied in order, then checked

Only the standard library and archiver.errors are imported here: settings are on the ground floor.
"""

from archiver.settings.loading import load_settings
from archiver.settings.tables import (
    CaptureSettings,
    FetchSettings,
    HealthSettings,
    MementoSettings,
    QueueSettings,
    ReportSettings,
    ScheduleSettings,
    Settings,
    SourcesSettings,
    StorageSettings,
    WebSettings,
)
from archiver.settings.values import DURATION, SIZE, TIMEGATES, TimeGate, parse_duration, parse_size, parse_timegates

__all__ = [
    "DURATION",
    "SIZE",
    "TIMEGATES",
    "CaptureSettings",
    "FetchSettings",
    "HealthSettings",
    "MementoSettings",
    "WebSettings",
    "QueueSettings",
    "ReportSettings",
    "ScheduleSettings",
    "Settings",
    "SourcesSettings",
    "StorageSettings",
    "TimeGate",
    "load_settings",
    "parse_duration",
    "parse_size",
    "parse_timegates",
]
