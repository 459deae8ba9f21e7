"""``compose.yaml`` (the production topology of docs/deploy.md) cannot run here (no container
engine), so what can be checked is: it parses; every ``candor`` command it runs exists with
those options; every file it mounts exists and is valid (``candor check-config``,
``promtool check config``, ``amtool check-config``); every variable it needs is in
``deploy/env.example`` and every ``env:`` reference of the Candor config is set for the
replicas; the Dockerfile copies what exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.cli.main import app
from monitor.config import load
from tests.support.processes import AMTOOL, PROMTOOL

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
CANDOR = {name: s for name, s in SERVICES.items() if s.get("build") == "."}


def test_the_topology_is_all_there() -> None:
    assert {"postgres", "lb", "prometheus", "alertmanager", "grafana"} <= set(SERVICES)
    replicas = [n for n, s in CANDOR.items() if s["command"][0] == "serve"]
    assert len(replicas) >= 2
    assert "--web.enable-remote-write-receiver" in SERVICES["prometheus"]["command"]
    upstream = (ROOT / "deploy" / "nginx.conf").read_text()
    assert all(f"server {name}:8080" in upstream for name in replicas)


@pytest.mark.parametrize("name", sorted(CANDOR))
def test_every_candor_command_exists_with_its_options(name: str) -> None:
    command = CANDOR[name]["command"]
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, f"{name}: candor {' '.join(command)}: {result.output}"


def test_every_mounted_file_exists() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is missing"


def test_the_candor_config_is_valid_and_its_secrets_are_given(monkeypatch) -> None:
    settings = load(ROOT / "deploy" / "candor.toml")
    assert settings.cluster.mode == "replicas" and settings.engine.mode == "prometheus"
    text = (ROOT / "deploy" / "candor.toml").read_text()
    needed = set(re.findall(r'"env:([A-Z_]+)"', text))
    for service in CANDOR.values():
        assert needed <= set(service["environment"]), needed - set(service["environment"])
    result = CliRunner().invoke(app, ["check-config", str(ROOT / "deploy" / "candor.toml")])
    assert result.exit_code == 0, result.output


def test_every_variable_compose_needs_is_in_the_example_env() -> None:
    text = (ROOT / "compose.yaml").read_text()
    needed = set(re.findall(r"\$\{([A-Z_]+)[:?-]", text)) - {"CANDOR_IMAGE"}
    example = {line.split("=", 1)[0] for line in (ROOT / "deploy" / "env.example").read_text()
               .splitlines() if "=" in line and not line.startswith("#")}
    assert needed <= example, needed - example


def test_prometheus_and_alertmanager_accept_their_configs() -> None:
    prom = subprocess.run([PROMTOOL, "check", "config", str(ROOT / "deploy" / "prometheus.yml")],
                          capture_output=True, text=True, timeout=60)
    assert prom.returncode == 0, prom.stdout + prom.stderr
    alerts = subprocess.run([AMTOOL, "check-config", str(ROOT / "deploy" / "alertmanager.yml")],
                            capture_output=True, text=True, timeout=60)
    assert alerts.returncode == 0, alerts.stdout + alerts.stderr


def test_the_dockerfile_copies_what_exists() -> None:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
