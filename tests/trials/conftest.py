"""What the trials share: a config file for real ``candor serve`` processes, tokens, alert
webhooks, requests fired at the same instant, and the figures each trial reports.

Every trial prints what was sent, acknowledged, recorded and delivered (and the failover
time) at the end of the run, under "Candor trial figures" (``FIGURES``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from monitor.api.runtime import Runtime
from monitor.auth.models import Role
from monitor.config import load
from monitor.wiring import build_runtime
from tests.conftest import bearer

T = TypeVar("T")
TOKEN = "trial-intake-token-0123456789"
"""The bearer token every trial's Alertmanager intake accepts (``env:CANDOR_TRIAL_TOKEN``)."""
INTAKE = {"Authorization": f"Bearer {TOKEN}"}
FIGURES: list[tuple[str, dict[str, Any]]] = []


def report(trial: str, **figures: Any) -> None:
    """Keep a trial's figures for the end-of-run summary."""
    FIGURES.append((trial, figures))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("Candor trial figures")
    for trial, figures in FIGURES:
        terminalreporter.write_line(f"{trial}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


# ---- config files ---------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def toml(sections: dict[str, Any], prefix: str = "") -> str:
    """A config file from nested dicts (tables) and lists of dicts (arrays of tables)."""
    lines: list[str] = []
    tables: list[str] = []
    for key, value in sections.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            tables.append(f"[{name}]\n" + toml(value, name))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.extend(f"[[{name}]]\n" + toml(item, name) for item in value)
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    return "".join(line + "\n" for line in lines) + "".join(tables)


def write_config(directory: Path, *, database_url: str | None = None, **sections: Any) -> Path:
    """``directory/config.toml`` for one ``candor serve``: its own data directory, the trial
    intake token, no rule files; ``database_url`` (PostgreSQL) is read from the environment
    (``CANDOR_TRIAL_DB``) as Candor requires."""
    directory.mkdir(parents=True, exist_ok=True)
    base: dict[str, Any] = {
        "storage": {"data_dir": str(directory / "data")},
        "intake": {"alertmanager": {"bearer_token": "env:CANDOR_TRIAL_TOKEN"}},
        "engine": {"rule_files": []},
        "verification": {"sweep_interval": "1s"},
    }
    if database_url:
        base["storage"]["database_url"] = "env:CANDOR_TRIAL_DB"
    for name, value in sections.items():
        base[name] = {**base.get(name, {}), **value} if isinstance(value, dict) else value
    path = directory / "config.toml"
    path.write_text(toml(base))
    return path


def environment(database_url: str | None) -> dict[str, str]:
    env = {"CANDOR_TRIAL_TOKEN": TOKEN}
    if database_url:
        env["CANDOR_TRIAL_DB"] = database_url
    return env


@pytest.fixture
def trial_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], dict[str, str]]:
    """Sets the trial's environment in this process too (to build a runtime on the same
    store) and returns it for ``candor_process``."""

    def set_env(database_url: str | None) -> dict[str, str]:
        env = environment(database_url)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return env

    return set_env


@pytest.fixture
def store_of() -> Iterator[Callable[[Path], Runtime]]:
    """``store_of(config)``: a migrated runtime over the config's store (closed afterwards)."""
    built: list[Runtime] = []

    def make(config: Path) -> Runtime:
        runtime = build_runtime(load(config))
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        runtime.close()


def responder(runtime: Runtime) -> dict[str, str]:
    return bearer(runtime, Role.RESPONDER, "trial-responder")


# ---- alerts -------------------------------------------------------------------------------


def alert(name: str, service: str, instance: str = "a", status: str = "firing") -> dict[str, Any]:
    return {"status": status, "labels": {"alertname": name, "service": service, "instance": instance,
                                         "severity": "critical"},
            "annotations": {"summary": f"{name} on {service}"},
            "startsAt": "2026-03-02T09:00:00Z",
            "endsAt": "2026-03-02T09:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z"}


def webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    """An Alertmanager webhook body (version 4) carrying ``alerts``."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    key = hashlib.sha1(repr([a["labels"] for a in alerts]).encode()).hexdigest()[:12]
    return {"version": "4", "groupKey": key, "status": status, "receiver": "candor",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
            "alerts": list(alerts)}


# ---- at the same instant ---------------------------------------------------------------------


def at_once(calls: list[Callable[[], T]]) -> list[T | BaseException]:
    """Run every call on its own thread, released together by a barrier; each result or the
    exception it raised, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | BaseException:
        barrier.wait()
        try:
            return call()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def post(url: str, json: Any, headers: dict[str, str], timeout: float = 60) -> httpx.Response:
    """One request on its own connection (as separate senders would)."""
    with httpx.Client(timeout=timeout) as client:
        return client.post(url, json=json, headers=headers)


def status_of(result: httpx.Response | BaseException) -> str:
    return str(result.status_code) if isinstance(result, httpx.Response) else type(result).__name__
