"""Settings precedence and validation: defaults < TOML < ARCHIVER_* env < overrides; bad input names the key."""

from pathlib import Path

import pytest

from archiver.errors import ConfigError
from archiver.settings import load_settings, parse_duration, parse_size

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "archiver.toml"


def test_shipped_config_loads_and_names_every_table():
    settings = load_settings(SHIPPED, env={})
    text = SHIPPED.read_text()
    for table in ("storage", "fetch", "health", "sources", "schedule", "report", "memento"):
        assert f"[{table}]" in text
    assert settings.fetch.allow_private_networks is False
    assert settings.health.confirm_interval == 72 * 3600
    assert all(Path(p).is_absolute() for p in settings.sources.articles)


def test_shipped_config_lists_every_key():
    import dataclasses

    from archiver.settings import Settings

    text = SHIPPED.read_text()
    for table in dataclasses.fields(Settings):
        for key in dataclasses.fields(table.default):
            assert f"\n{key.name} = " in text, f"config/archiver.toml does not ship {table.name}.{key.name}"


def test_precedence_file_then_env_then_overrides(tmp_path):
    config = tmp_path / "a.toml"
    config.write_text('[fetch]\nmax_redirects = 4\nread_timeout = "2m"\n[storage]\nwarc_prefix = "file"\n')
    settings = load_settings(config, env={"ARCHIVER_FETCH_MAX_REDIRECTS": "6"}, overrides={"storage.warc_prefix": "cli"})
    assert settings.fetch.max_redirects == 6
    assert settings.fetch.read_timeout == 120
    assert settings.storage.warc_prefix == "cli"


@pytest.mark.parametrize(
    "document, key",
    [
        ("[fetch]\nmax_redirects = \"many\"\n", "fetch.max_redirects"),
        ("[fetch]\nbogus = 1\n", "fetch.bogus"),
        ("[nonsense]\nx = 1\n", "nonsense"),
        ("[fetch]\nallow_private_networks = \"perhaps\"\n", "fetch.allow_private_networks"),
        ("[health]\nconfirm_interval = \"soon\"\n", "health.confirm_interval"),
        ("[storage]\nwarc_max_bytes = \"big\"\n", "storage.warc_max_bytes"),
        ("[storage]\ndatabase = \"mysql://x\"\n", "storage.database"),
        ("[fetch]\nglobal_concurrency = 0\n", "fetch.global_concurrency"),
        ("[health]\nminor_similarity = 1.5\n", "health.minor_similarity"),
        ("[memento]\ntimegates = \"https://web.archive.org/web/\"\n", "memento.timegates"),
        ("[memento]\ntimegates = [{ name = \"IA\", url = \"https://web.archive.org/web/\" }]\n", "memento.timegates"),
        ("[memento]\ntimegates = [{ name = \"IA\", url = \"ftp://x/{url}\" }]\n", "memento.timegates"),
        ("[memento]\ntimegates = [{ name = \"IA\" }]\n", "memento.timegates"),
        ("[memento]\ntimegates = [\"https://web.archive.org/web/{url}\"]\n", "memento.timegates"),
        ("[memento]\ntimegates = [{ name = \"A\", url = \"http://a/{url}\" }, { name = \"A\", url = \"http://b/{url}\" }]\n",
         "memento.timegates"),
        ("[memento]\nenabled = true\ntimegates = []\n", "memento.timegates"),
        ("[memento]\nsave_endpoint = \"https://web.archive.org/save/\"\n", "memento.save_endpoint"),
        ("[memento]\nrefresh_interval = \"10m\"\n", "memento.refresh_interval"),
        ("[memento]\nlookup_limit_per_run = -1\n", "memento.lookup_limit_per_run"),
    ],
)
def test_bad_values_name_key_value_and_expectation(tmp_path, document, key):
    config = tmp_path / "bad.toml"
    config.write_text(document)
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    assert info.value.key == key
    assert "expected" in str(info.value)


def test_bad_env_value_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        load_settings(env={"ARCHIVER_FETCH_READ_TIMEOUT": "forever"})
    assert info.value.key == "fetch.read_timeout"


def test_invalid_toml_is_a_config_error(tmp_path):
    config = tmp_path / "broken.toml"
    config.write_text("[fetch\n")
    with pytest.raises(ConfigError):
        load_settings(config, env={})


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("72h", 259200), ("7d", 604800), ("1.5m", 90), (12, 12)])
def test_durations(text, seconds):
    assert parse_duration("k", text) == seconds


@pytest.mark.parametrize("text, size", [("50MB", 50_000_000), ("1GiB", 1 << 30), ("1024", 1024), (77, 77)])
def test_sizes(text, size):
    assert parse_size("k", text) == size


def test_memento_defaults_to_off_with_the_wayback_machine_as_timegate():
    memento = load_settings(env={}).memento
    assert memento.enabled is False and memento.submit_new_captures is False
    assert [(gate.name, gate.url) for gate in memento.timegates] == [("Internet Archive", "https://web.archive.org/web/{url}")]
    assert memento.save_endpoint == "https://web.archive.org/save/{url}"


def test_memento_timegates_from_the_environment():
    settings = load_settings(env={"ARCHIVER_MEMENTO_ENABLED": "true", "ARCHIVER_MEMENTO_TIMEGATES":
                                  "Internet Archive=https://web.archive.org/web/{url}; Arquivo=https://arquivo.pt/wayback/{url}"})
    assert [(gate.name, gate.url) for gate in settings.memento.timegates] == [
        ("Internet Archive", "https://web.archive.org/web/{url}"), ("Arquivo", "https://arquivo.pt/wayback/{url}")]
