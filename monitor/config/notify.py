"""``[notify]`` and ``[[notify.receivers]]``: where notifications go and how hard we try.

::

    [notify]
    max_attempts = 8          # then the message is dead-lettered
    backoff_initial = "10s"   # delay after the first failure; doubles each time
    backoff_max = "1h"
    jitter = 0.2              # ± share of the delay, so retries do not stampede
    timeout = "5s"            # per HTTP/SMTP attempt; a hanging receiver fails, others go on
    interval = "5s"           # how often each receiver's delivery pass looks for due messages
    batch_size = 50           # messages one claim takes for one receiver; a pass claims
                              # batch after batch while a full one came back (a backlog drains)
    concurrency = 8           # messages sent at once to one receiver (per replica)
    lease = "1m"              # a claimed message is another worker's to send only after this;
                              # unset: timeout × ceil(batch_size / 8) + 30s

    [[notify.receivers]]
    name = "ops"
    kind = "webhook"                    # webhook | alertmanager | smtp | apprise
    url = "https://hooks.example/candor"  # apprise: "env:NAME" only (its URLs hold secrets)
    secret = "env:CANDOR_OPS_WEBHOOK_SECRET"   # whsec_<base64> (Standard Webhooks)
    events = ["incident.opened", "notice.published", "notice.corrected"]   # empty: all
    severities = ["SEV1", "SEV2"]       # empty: all
    services = []                       # empty: all
    labels = { team = "links" }         # every pair must match
"""

from __future__ import annotations

import re
from datetime import timedelta
from math import ceil
from typing import Annotated, Literal

from pydantic import Field, model_validator

from monitor.config.types import Duration, Secret, Section
from monitor.durations import parse_duration
from monitor.event_types import Notification

RECEIVER_NAME = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
"""What a receiver's name may be (every outbox row's ``receiver`` is one)."""


class ReceiverConfig(Section):
    name: str = Field(pattern=RECEIVER_NAME)
    kind: Literal["webhook", "alertmanager", "smtp", "apprise"]
    url: str = Field(pattern=r"^\S+$")
    secret: Secret | None = None
    events: list[Notification] = []
    severities: list[Annotated[str, Field(pattern=r"^SEV[1-4]$")]] = []
    services: list[str] = []
    labels: dict[str, str] = {}
    # smtp only: sender and recipients. Without ``to`` the receiver only carries mail
    # addressed per message (subscribers, user reports), never incident events.
    sender: str = "candor@localhost"
    to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = []

    @model_validator(mode="after")
    def _fits_kind(self) -> ReceiverConfig:
        if self.kind == "apprise":
            if not re.match(r"^env:[A-Za-z_][A-Za-z0-9_]*$", self.url):
                raise ValueError(f"receiver {self.name!r}: kind apprise needs url 'env:NAME' (apprise "
                                 "URLs hold secrets; put the URL in an environment variable)")
        elif not re.match(r"^(https?|smtp)://\S+$", self.url):
            raise ValueError(f"receiver {self.name!r}: url must start with http://, https:// or "
                             f"smtp:// (only kind apprise takes 'env:NAME'); got {self.url!r}")
        elif self.kind == "smtp":
            if not self.url.startswith("smtp://"):
                raise ValueError(f"receiver {self.name!r}: kind smtp needs url 'smtp://host:port'")
        elif self.url.startswith("smtp://"):
            raise ValueError(f"receiver {self.name!r}: kind {self.kind} needs an http(s):// url")
        return self


SENDS_AT_ONCE = 8
"""Messages a delivery pass sends at the same time to one receiver, unless ``[notify]
concurrency`` says otherwise."""


class Notify(Section):
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_initial: Duration = parse_duration("10s")
    backoff_max: Duration = parse_duration("1h")
    jitter: float = Field(0.2, ge=0, le=1)
    timeout: Duration = parse_duration("5s")
    interval: Duration = parse_duration("5s")
    batch_size: int = Field(50, ge=1, le=1000)
    concurrency: int = Field(SENDS_AT_ONCE, ge=1, le=256)
    lease: Duration | None = None
    receivers: list[ReceiverConfig] = []

    def longest_pass(self) -> timedelta:
        """How long sending one claimed batch can take: every message of it timing out."""
        return self.timeout * ceil(self.batch_size / self.concurrency)

    @property
    def claim_lease(self) -> timedelta:
        """How long a claimed message stays its worker's (``lease``, or a derived default)."""
        return self.lease if self.lease is not None else self.longest_pass() + timedelta(seconds=30)

    @model_validator(mode="after")
    def _lease_outlasts_a_pass(self) -> Notify:
        if self.lease is not None and self.lease <= self.longest_pass():
            raise ValueError(
                f"lease ({self.lease.total_seconds():g}s) must be longer than a delivery pass can "
                f"take: timeout × ceil(batch_size / concurrency {self.concurrency}) = "
                f"{self.longest_pass().total_seconds():g}s; raise lease or lower timeout or batch_size")
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> Notify:
        names = [r.name for r in self.receivers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"receiver names must be unique; repeated: {', '.join(dupes)}")
        return self
