"""The ``[engine]`` config section: where rules come from and how often they run.

```toml
[engine]
mode = "embedded"              # or "prometheus": an external Prometheus evaluates the rules
rule_files = ["rules/*.yml"]   # globs, relative to the working directory
evaluation_interval = "5s"     # groups without their own `interval`
lookback = "5m"                # how far back an instant selector looks for a sample
max_samples = 50000000         # samples one query may hold (Prometheus's --query.max-samples)
delayed_name_removal = false   # keep metric names until a query ends (Prometheus's
                               # promql-delayed-name-removal feature flag; off there too)
for_outage_tolerance = "1h"    # restart: restore `for` state from ALERTS_FOR_STATE this recent
for_grace_period = "10m"       # restart: least wait before a restored alert fires
external_labels = {}           # added to alerts sent to the intake; `$externalLabels` in templates
prometheus_url = ""            # mode = "prometheus": where Candor reads series (monitor.promsource)
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from monitor.config.types import LabelName, PositiveDuration, Section
from monitor.durations import parse_duration


class EngineSettings(Section):
    mode: Literal["embedded", "prometheus"] = "embedded"
    rule_files: list[str] = ["rules/*.yml"]
    evaluation_interval: PositiveDuration = parse_duration("5s")
    lookback: PositiveDuration = parse_duration("5m")
    max_samples: int = Field(50_000_000, gt=0)
    delayed_name_removal: bool = False
    for_outage_tolerance: PositiveDuration = parse_duration("1h")
    for_grace_period: PositiveDuration = parse_duration("10m")
    external_labels: dict[LabelName, str] = {}
    prometheus_url: str = ""

    @model_validator(mode="after")
    def _prometheus_needs_url(self) -> EngineSettings:
        if self.mode == "prometheus" and not self.prometheus_url.startswith(("http://", "https://")):
            raise ValueError(f'mode = "prometheus" needs prometheus_url = "http://HOST:9090" '
                             f"(the Prometheus that evaluates the rules), got {self.prometheus_url!r}")
        return self
