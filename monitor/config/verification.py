"""The ``[verification]`` section: how Candor judges a fix from the signal.

```toml
[verification]
window = "10m"            # soak: the signal must stay healthy this long after the fix
sweep_interval = "5s"     # how often verifying incidents are looked at
baseline = "1h"           # the incident's own baseline: this long before impact start
resolution = "15s"        # step of range queries (≈ the scrape/push interval)
tolerance = 0.5           # soak error ratio may be baseline × (1 + tolerance) + tolerance_floor
tolerance_floor = 0.001   # … plus this absolute share (0.001 = 0.1 percentage point)
confidence = 0.95         # one-sided confidence of every test
min_requests = 500        # fewer requests in the soak: inconclusive (too little traffic)
min_coverage = 0.8        # share of soak steps with fresh samples, else inconclusive (gaps)
latency_tolerance = 0.25  # soak median latency may be baseline × 1.25 before it counts
late_data = "15m"         # impact is recomputed for this long after resolution
[verification.severity.SEV1]
confidence = 0.99
min_requests = 1000
```

Effective values, later winning: this section → ``[verification.severity.SEVn]`` →
the triggering rule's annotations (``candor_verify_window``, ``candor_verify_tolerance``,
…, see :data:`ANNOTATIONS`) → the fix's own ``verification`` overrides (API, CLI).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitor.config.types import Duration, PositiveDuration, Section
from monitor.durations import parse_duration

__all__ = ["ANNOTATIONS", "Overrides", "Verification"]


class Overrides(Section):
    """Per severity, per rule or per fix: any subset of the tunable values."""

    window: PositiveDuration | None = None
    baseline: PositiveDuration | None = None
    tolerance: float | None = Field(None, ge=0, le=100)
    tolerance_floor: float | None = Field(None, ge=0, le=1)
    confidence: float | None = Field(None, gt=0.5, lt=1)
    min_requests: int | None = Field(None, ge=0, le=10**12)
    latency_tolerance: float | None = Field(None, ge=0, le=100)


ANNOTATIONS = {f"candor_verify_{name}": name for name in Overrides.model_fields}
"""Rule annotation → override key (``candor_verify_window: 15m`` on the triggering rule)."""


def _default_severity() -> dict[Literal["SEV1", "SEV2", "SEV3", "SEV4"], Overrides]:
    return {"SEV1": Overrides(confidence=0.99, min_requests=1000),
            "SEV2": Overrides(confidence=0.99)}


class Verification(Section):
    # How long the signal must stay healthy after a fix before the incident
    # resolves as verified; an alert firing again meanwhile means regressed.
    window: PositiveDuration = parse_duration("10m")
    sweep_interval: PositiveDuration = parse_duration("5s")
    baseline: PositiveDuration = parse_duration("1h")
    resolution: PositiveDuration = parse_duration("15s")
    tolerance: float = Field(0.5, ge=0, le=100)
    tolerance_floor: float = Field(0.001, ge=0, le=1)
    confidence: float = Field(0.95, gt=0.5, lt=1)
    min_requests: int = Field(500, ge=0, le=10**12)
    min_coverage: float = Field(0.8, ge=0, le=1)
    latency_tolerance: float = Field(0.25, ge=0, le=100)
    late_data: Duration = parse_duration("15m")
    severity: dict[Literal["SEV1", "SEV2", "SEV3", "SEV4"], Overrides] = Field(
        default_factory=_default_severity)
