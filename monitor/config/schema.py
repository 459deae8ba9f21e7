"""The typed schema of ``config.toml``.

Every section forbids unknown keys so that a typo is an error with a
did-you-mean, not a silently ignored setting. Durations are Prometheus-style
strings in the file (``"5m"``), ``timedelta`` once loaded; secrets are
``"env:NAME"`` references, never inline (``monitor.config.types``).

Each domain's section has its own module beside this one (``comms``, ``notify``,
``signals``, ``engine``, ``slo``, ``postmortem``): the schema is one layer below every
domain, so domains import their section from here and this package imports no domain.
Add a section for a new domain the same way and document it in ``config.toml``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitor.config.cluster import Cluster
from monitor.config.comms import Comms
from monitor.config.engine import EngineSettings
from monitor.config.notify import Notify
from monitor.config.postmortem import PostmortemSettings
from monitor.config.signals import ScrapeTarget, Signals
from monitor.config.slo import SLOList
from monitor.config.types import Duration, LabelName, Secret, Section
from monitor.config.verification import Verification
from monitor.durations import parse_duration


class Server(Section):
    listen: str = Field("127.0.0.1:8080", pattern=r"^[^:\s]+:\d{1,5}$")
    public_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = Field(1_048_576, ge=1024, le=256 * 1_048_576)
    # `candor serve` logs: "logfmt" or "json" lines, from this level up; scheduler_logs=true
    # adds the job scheduler's own lines (two per job per tick).
    log_format: Literal["logfmt", "json"] = "logfmt"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    scheduler_logs: bool = False


class Storage(Section):
    data_dir: str = ".candor"
    # Empty: SQLite (WAL) at <data_dir>/candor.db. A URL may hold a password, so
    # it is accepted only as an env reference when it names a server.
    database_url: Secret | None = None
    # Fernet key(s) sealing secrets Candor keeps (webhook subscribers' signing secrets);
    # needed once a webhook subscriber exists (monitor.db.sealed).
    secret_key: Secret | None = None


class Auth(Section):
    # Role granted to requests with no token: "none" requires a token everywhere.
    anonymous_role: Literal["none", "viewer"] = "none"


class SeverityLevel(Section):
    description: str
    page: bool = False


def _default_severities() -> dict[Literal["SEV1", "SEV2", "SEV3", "SEV4"], SeverityLevel]:
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
    reopen_window: Duration = parse_duration("24h")


class Routing(Section):
    # Alerts with equal values of these labels belong to one incident.
    group_by: list[LabelName] = [
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
    cluster: Cluster = Cluster()
