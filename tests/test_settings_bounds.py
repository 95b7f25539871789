"""Every numeric setting has bounds; a value outside them is a ConfigError naming its own key."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from archiver.errors import ConfigError
from archiver.settings import Settings, load_settings
from archiver.settings.values import describe_bounds

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "archiver.toml"


@pytest.mark.parametrize("key", ["connect_timeout", "read_timeout", "total_timeout"])
def test_a_zero_timeout_is_refused_under_its_own_key(tmp_path, key):
    config = tmp_path / "timeouts.toml"
    config.write_text(f'[fetch]\n{key} = "0s"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    assert info.value.key == f"fetch.{key}"


@pytest.mark.parametrize(
    "table, key, toml_value",
    [
        ("fetch", "retries", "1e9"),
        ("fetch", "global_concurrency", "100000"),
        ("fetch", "per_host_delay", '"3650d"'),
        ("fetch", "total_timeout", "inf"),
        ("fetch", "retry_backoff", "nan"),
        ("fetch", "max_body_bytes", '"500GB"'),
        ("fetch", "robots_ttl", '"0s"'),
        ("health", "confirm_checks", "1000000"),
        ("health", "recheck_alive", '"100000d"'),
        ("sources", "max_sitemaps", "1e9"),
        ("schedule", "jitter", '"30d"'),
        ("memento", "submit_limit_per_run", "1000000000"),
    ],
)
def test_a_number_out_of_its_bounds_is_refused_naming_the_key_and_the_range(tmp_path, table, key, toml_value):
    config = tmp_path / "bounds.toml"
    config.write_text(f"[{table}]\n{key} = {toml_value}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    assert info.value.key == f"{table}.{key}"
    assert info.value.expected.startswith("from ")


def test_every_numeric_key_has_bounds_around_its_default_written_in_the_shipped_config():
    shipped = SHIPPED.read_text()
    for table in dataclasses.fields(Settings):
        for fld in dataclasses.fields(table.default):
            if fld.type not in ("int", "float"):
                continue
            assert "bounds" in fld.metadata, f"{table.name}.{fld.name} has no bounds"
            low, high = fld.metadata["bounds"]
            assert low <= getattr(table.default, fld.name) <= high, f"{table.name}.{fld.name}'s default"
            line = re.search(rf"^{fld.name} = .*$", shipped, re.MULTILINE).group(0)
            assert line.endswith(f"# {describe_bounds(fld)}"), f"config/archiver.toml: {line!r}"
