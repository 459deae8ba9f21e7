"""Config sections for signals: ``[signals]`` (store, limits, ingest token) and ``[[scrape]]``.

```toml
[signals]
retention = "24h"
ingest_bearer_token = "env:CANDOR_INGEST_TOKEN"   # optional

[[scrape]]
job = "links-api"
url = "http://127.0.0.1:9100/metrics"
interval = "15s"
timeout = "10s"
labels = { env = "prod" }
honor_labels = false
```
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

# monitor.config.schema imports this module to build Settings, so nothing from
# monitor.config is imported at module level here (the validators import lazily).


def _duration(value: str) -> str:
    from monitor.config.durations import parse_duration

    parse_duration(value)
    return value


def _secret(value: str) -> Any:
    from pydantic import TypeAdapter

    from monitor.config.schema import Secret

    return TypeAdapter(Secret).validate_python(value)


def parse_duration(value: str) -> float:
    from monitor.config.durations import parse_duration as parse

    return parse(value)


Duration = Annotated[str, AfterValidator(_duration)]
Secret = Annotated[str, AfterValidator(_secret), PlainSerializer(lambda v: str(v))]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LabelName = Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
LabelValue = Annotated[str, Field(min_length=1, max_length=1024)]


class Signals(Section):
    """The embedded series store and the limits every ingest path applies."""

    # Samples older than this are dropped from memory and disk.
    retention: Duration = "24h"
    # Keep the store on disk under <storage.data_dir>/series/ (false: memory only).
    persist: bool = True
    # A new segment file starts this often; whole old segments are deleted.
    segment_duration: Duration = "1h"
    # Samples stamped further ahead than this are rejected (clock skew allowance).
    max_future: Duration = "10m"
    max_samples_per_request: int = Field(50_000, ge=1, le=10_000_000)
    max_labels_per_series: int = Field(32, ge=2, le=1024)
    max_label_name_length: int = Field(128, ge=1, le=4096)
    max_label_value_length: int = Field(1024, ge=1, le=65536)
    # Cardinality caps: new series beyond these are rejected.
    max_series_per_metric: int = Field(10_000, ge=1, le=10_000_000)
    max_series: int = Field(200_000, ge=1, le=100_000_000)
    # Bearer token (env reference) accepted for ingest besides a responder API token.
    ingest_bearer_token: Secret | None = None


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL (expected e.g. "
                         "'http://127.0.0.1:9100/metrics')")
    return value


class ScrapeTarget(Section):
    """One ``[[scrape]]`` target: an endpoint serving Prometheus text or OpenMetrics."""

    # The job label of every series from this target.
    job: LabelValue
    url: Annotated[str, AfterValidator(_http_url)]
    interval: Duration = "15s"
    # Empty: 10s, or the interval if that is shorter (as Prometheus does).
    timeout: Duration | None = None
    labels: dict[LabelName, str] = {}
    # true: labels from the target win over job/instance/labels; false: they are
    # kept as exported_<name>, as Prometheus does.
    honor_labels: bool = False
    # More samples than this fail the scrape (up = 0) and store none of them.
    sample_limit: int = Field(50_000, ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> ScrapeTarget:
        if self.timeout and parse_duration(self.timeout) > parse_duration(self.interval):
            raise ValueError(f"timeout {self.timeout} is longer than interval {self.interval}; "
                             "make it at most the interval")
        return self

    @property
    def timeout_s(self) -> float:
        interval = parse_duration(self.interval)
        return parse_duration(self.timeout) if self.timeout else min(10.0, interval)
