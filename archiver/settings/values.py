"""What a settings value may be, and how one is parsed from TOML, the environment or the command line.

Each key's Python type (bool, int, float, Path, str, tuple of str) says how its value is read; a field
whose metadata names a kind (DURATION, SIZE, TIMEGATES) is read by that kind's parser instead. A value
that does not parse raises ConfigError naming the key, the value and what was expected.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.errors import ConfigError

# Field kinds beyond the Python type: how a string (env, CLI) or TOML value is parsed.
DURATION = "duration"  # "72h", "7d", "30s", "1.5m", or a number of seconds
SIZE = "size"  # "50MB", "1GiB", "1024", or a number of bytes
TIMEGATES = "timegates"  # [{name = "...", url = "...{url}..."}], or "name=template; name=template" in the environment


def kind(name: str, between: tuple[str, str] | None = None) -> dict:
    """Field metadata naming the kind of a key, and its bounds written as in the config file:
    field(default=10.0, metadata=kind(DURATION, between=("0.1s", "10m")))."""
    if between is None:
        return {"kind": name}
    parse = {DURATION: parse_duration, SIZE: parse_size}[name]
    return {"kind": name, "bounds": (parse(name, between[0]), parse(name, between[1]))}


def between(low: float, high: float) -> dict:
    """Field metadata bounding a plain number, both ends included: field(default=2, metadata=between(0, 10))."""
    return {"bounds": (low, high)}


def describe(fld: dataclasses.Field, number: float) -> str:
    """`number` written as the config file writes the key `fld`: "10m", "1GB", "0.85", "3"."""
    field_kind = fld.metadata.get("kind")
    if field_kind == DURATION:
        return _in_units(number, {"s": 1, "m": 60, "h": 3600, "d": 86400}, "s")  # "7d", never "1w"
    if field_kind == SIZE:
        return _in_units(number, {"B": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3}, "")
    return str(number) if isinstance(number, int) else f"{number:g}"


def describe_bounds(fld: dataclasses.Field) -> str:
    """The range of the key `fld`, as its error message and config/archiver.toml write it: "from 0 to 10"."""
    low, high = fld.metadata["bounds"]
    return f"from {describe(fld, low)} to {describe(fld, high)}"


def _in_units(number: float, units: dict[str, int], bare: str) -> str:
    """The largest unit that divides `number` evenly ("72h", "5MB"); else `number` in the smallest, `bare` unit."""
    if not math.isfinite(number):
        return str(number)
    if number > 0:
        for unit, size in sorted(units.items(), key=lambda item: -item[1]):
            if number % size == 0:
                return f"{number // size:g}{unit}"
    return f"{number:g}{bare}"


@dataclass(frozen=True)
class TimeGate:
    """A public web archive's Memento TimeGate: {url} in `url` is replaced by the link's URL."""

    name: str
    url: str


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
        if (not isinstance(item, dict) or set(item) != {"name", "url"}
                or not all(isinstance(v, str) for v in item.values())):
            raise ConfigError(key, item, expected)
        gates.append(TimeGate(item["name"].strip(), item["url"].strip()))
    return tuple(gates)


def parse_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(key, value, "true or false")


def parse_value(key: str, fld: dataclasses.Field, value: Any) -> Any:
    """`value` for the field `fld` of a settings table, parsed by the field's kind or else by its type.

    The tables are declared under `from __future__ import annotations`, so `fld.type` is the annotation's text.
    """
    field_kind = fld.metadata.get("kind")
    if field_kind == DURATION:
        return parse_duration(key, value)
    if field_kind == SIZE:
        return parse_size(key, value)
    if field_kind == TIMEGATES:
        return parse_timegates(key, value)
    typ = fld.type if isinstance(fld.type, str) else getattr(fld.type, "__name__", str(fld.type))
    if typ == "bool":
        return parse_bool(key, value)
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
