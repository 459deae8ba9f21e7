"""The typed schema of ``config.toml``.

Every section forbids unknown keys so that a typo is an error with a
did-you-mean, not a silently ignored setting. Durations are Prometheus-style
strings (``"5m"``) and secrets are ``"env:NAME"`` references, never inline.
Add a section for a new domain here and document it in ``config.toml``.
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from monitor.comms.config import Comms
from monitor.config.durations import format_duration, parse_duration
from monitor.notify.config import Notify
from monitor.rules.config import EngineSettings
from monitor.signals.config import ScrapeTarget, Signals
from monitor.slo.config import SLOList
from postmortem.config import PostmortemSettings


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
"""A validated duration string such as ``"5m"``; read it with ``parse_duration``."""


_ENV_REF = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")


class SecretRef(str):
    """An ``env:NAME`` reference. ``reveal()`` reads the variable; ``str()`` never shows it."""

    @property
    def var(self) -> str:
        match = _ENV_REF.match(self)
        assert match
        return match.group(1)

    def reveal(self) -> str | None:
        return os.environ.get(self.var)


def _secret(value: str) -> SecretRef:
    if not _ENV_REF.match(value):
        raise ValueError(
            "secrets must not be written inline; put the value in an environment "
            "variable and write \"env:NAME\" (e.g. \"env:CANDOR_WEBHOOK_SECRET\")"
        )
    return SecretRef(value)


Secret = Annotated[str, AfterValidator(_secret), PlainSerializer(lambda v: str(v))]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Server(Section):
    listen: str = Field("127.0.0.1:8080", pattern=r"^[^:\s]+:\d{1,5}$")
    public_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = Field(1_048_576, ge=1024, le=256 * 1_048_576)


class Storage(Section):
    data_dir: str = ".candor"
    # Empty: SQLite (WAL) at <data_dir>/candor.db. A URL may hold a password, so
    # it is accepted only as an env reference when it names a server.
    database_url: Secret | None = None


class Auth(Section):
    # Role granted to requests with no token: "none" requires a token everywhere.
    anonymous_role: Literal["none", "viewer"] = "none"


class SeverityLevel(Section):
    description: str
    page: bool = False


def _default_severities() -> dict[str, SeverityLevel]:
    return {
        "SEV1": SeverityLevel(description="Critical: most users cannot use EVERLINKS", page=True),
        "SEV2": SeverityLevel(description="Major: a core feature is broken for many", page=True),
        "SEV3": SeverityLevel(description="Minor: degraded for some users"),
        "SEV4": SeverityLevel(description="Low: cosmetic or internal only"),
    }


class Incidents(Section):
    key_prefix: str = Field("INC", pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    default_severity: Literal["SEV1", "SEV2", "SEV3", "SEV4"] = "SEV3"
    # What happens when every alert of an incident has resolved:
    # "verify" moves it to verifying (fix verification watches the signal),
    # "resolve" resolves it at once, "none" leaves it for a responder.
    on_alerts_resolved: Literal["verify", "resolve", "none"] = "verify"
    reopen_window: Duration = "24h"


class Verification(Section):
    # How long the signal must stay healthy after a fix before the incident
    # resolves as verified; an alert firing again meanwhile means regressed.
    window: Duration = "10m"
    sweep_interval: Duration = "5s"


class Routing(Section):
    # Alerts with equal values of these labels belong to one incident.
    group_by: list[Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]] = [
        "alertname",
        "service",
    ]
    # Label whose value ("critical", "SEV1", …) sets the incident's severity.
    severity_label: str = "severity"
    severity_map: dict[str, Literal["SEV1", "SEV2", "SEV3", "SEV4"]] = {
        "critical": "SEV1",
        "page": "SEV2",
        "error": "SEV2",
        "warning": "SEV3",
        "info": "SEV4",
    }


class Receiver(Section):
    # Bearer token an incoming webhook must present, by env reference. When
    # unset, a Candor API token with the responder role is required.
    bearer_token: Secret | None = None


class Intake(Section):
    alertmanager: Receiver = Receiver()
    prometheus: Receiver = Receiver()


class Limits(Section):
    max_labels: int = Field(64, ge=1, le=1024)
    max_label_name_length: int = Field(128, ge=1, le=4096)
    max_label_value_length: int = Field(2048, ge=1, le=65536)
    max_alerts_per_request: int = Field(1000, ge=1, le=100_000)
    max_text_length: int = Field(10_000, ge=100, le=1_000_000)


class Settings(Section):
    """The whole config file. Build it with ``monitor.config.load``."""

    server: Server = Server()
    storage: Storage = Storage()
    auth: Auth = Auth()
    severities: dict[Literal["SEV1", "SEV2", "SEV3", "SEV4"], SeverityLevel] = Field(
        default_factory=_default_severities
    )
    incidents: Incidents = Incidents()
    routing: Routing = Routing()
    verification: Verification = Verification()
    intake: Intake = Intake()
    limits: Limits = Limits()
    signals: Signals = Signals()
    scrape: list[ScrapeTarget] = []
    engine: EngineSettings = EngineSettings()
    notify: Notify = Notify()
    comms: Comms = Comms()
    postmortem: PostmortemSettings = PostmortemSettings()
    slo: SLOList = []


__all__ = ["Duration", "Secret", "SecretRef", "Settings", "format_duration", "parse_duration"]
