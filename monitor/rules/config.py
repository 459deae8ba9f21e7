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

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# monitor.config.schema imports this module, so nothing from monitor.config at import time.


def _duration(value: str) -> str:
    from monitor.config.durations import parse_duration

    if parse_duration(value) <= 0:
        raise ValueError(f"{value!r} must be longer than 0s")
    return value


Duration = Annotated[str, AfterValidator(_duration)]
LabelName = Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]


class EngineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["embedded", "prometheus"] = "embedded"
    rule_files: list[str] = ["rules/*.yml"]
    evaluation_interval: Duration = "5s"
    lookback: Duration = "5m"
    max_samples: int = Field(50_000_000, gt=0)
    delayed_name_removal: bool = False
    for_outage_tolerance: Duration = "1h"
    for_grace_period: Duration = "10m"
    external_labels: dict[LabelName, str] = {}
    prometheus_url: str = ""

    @model_validator(mode="after")
    def _prometheus_needs_url(self) -> EngineSettings:
        if self.mode == "prometheus" and not self.prometheus_url.startswith(("http://", "https://")):
            raise ValueError(f'mode = "prometheus" needs prometheus_url = "http://HOST:9090" '
                             f"(the Prometheus that evaluates the rules), got {self.prometheus_url!r}")
        return self
