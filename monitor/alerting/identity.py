"""What an alert is and how it is told apart, as plain values with Prometheus semantics:
the ``Alert``, its ``fingerprint`` (the 16 hex digits Alertmanager shows) and the
routing ``group_key`` that decides which incident it joins. Label matchers live in
``monitor.alerting.matchers``; the alert and silence tables in ``monitor.alerting.models``.

>>> fingerprint({"alertname": "a"})
'd258efc389808447'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK = (1 << 64) - 1
_SEPARATOR = 0xFF


def fingerprint(labels: dict[str, str]) -> str:
    """FNV-1a 64 over the sorted label set, as Prometheus's ``LabelSet.Fingerprint``."""
    value = _FNV_OFFSET
    for name in sorted(labels):
        for chunk in (name.encode(), bytes([_SEPARATOR]), labels[name].encode(), bytes([_SEPARATOR])):
            for byte in chunk:
                value = ((value ^ byte) * _FNV_PRIME) & _MASK
    return f"{value:016x}"


def group_key(labels: dict[str, str], group_by: list[str]) -> tuple[str, dict[str, str]]:
    """The routing group an alert belongs to, and the labels that define it."""
    grouped = {name: labels[name] for name in group_by if name in labels}
    digest = hashlib.sha256(json.dumps(grouped, sort_keys=True).encode()).hexdigest()[:32]
    return digest, grouped


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""
    status: AlertStatus = AlertStatus.FIRING

    @cached_property
    def fingerprint(self) -> str:
        """Computed once per alert (byte by byte in Python: the router reads it several times)."""
        return fingerprint(self.labels)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")
