"""Every numeric setting has bounds; a value outside them is a ConfigError naming its own key."""

from __future__ import annotations

import pytest

from archiver.errors import ConfigError
from archiver.settings import load_settings


@pytest.mark.parametrize("key", ["connect_timeout", "read_timeout", "total_timeout"])
def test_a_zero_timeout_is_refused_under_its_own_key(tmp_path, key):
    config = tmp_path / "timeouts.toml"
    config.write_text(f'[fetch]\n{key} = "0s"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    assert info.value.key == f"fetch.{key}"
