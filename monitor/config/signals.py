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

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from monitor.config.types import Duration, LabelName, Secret, Section
from monitor.durations import format_duration, parse_duration

LabelValue = Annotated[str, Field(min_length=1, max_length=1024)]


class Signals(Section):
    """The embedded series store and the limits every ingest path applies."""

    # Samples older than this are dropped from memory and disk.
    retention: Duration = parse_duration("24h")
    # Keep the store on disk under <storage.data_dir>/series/ (false: memory only).
    persist: bool = True
    # A new segment file starts this often; whole old segments are deleted.
    segment_duration: Duration = parse_duration("1h")
    # Samples stamped further ahead than this are rejected (clock skew allowance).
    max_future: Duration = parse_duration("10m")
    max_samples_per_request: int = Field(50_000, ge=1, le=10_000_000)
    max_labels_per_series: int = Field(32, ge=2, le=1024)
    max_label_name_length: int = Field(128, ge=1, le=4096)
    max_label_value_length: int = Field(1024, ge=1, le=65536)
    # Cardinality caps: new series beyond these are rejected.
    max_series_per_metric: int = Field(10_000, ge=1, le=10_000_000)
    max_series: int = Field(200_000, ge=1, le=100_000_000)
    # Bearer token (env reference) accepted for ingest besides a responder API token.
    ingest_bearer_token: Secret | None = None
    # Embedded mode: store Candor's own /metrics in the series store every interval (in
    # process, job="candor"), so rules/candor-self.yml can fire and Candor's /prometheus
    # API answers for candor_* metrics. Turn off when a [[scrape]] of Candor does the same.
    self_scrape: bool = True
    self_scrape_interval: Duration = parse_duration("15s")


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
    interval: Duration = parse_duration("15s")
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
        if self.timeout and self.timeout > self.interval:
            raise ValueError(f"timeout {format_duration(self.timeout)} is longer than interval "
                             f"{format_duration(self.interval)}; make it at most the interval")
        return self

    @property
    def effective_timeout(self) -> timedelta:
        """``timeout``, else 10s or the interval if that is shorter (as Prometheus does)."""
        return self.timeout if self.timeout is not None else min(timedelta(seconds=10), self.interval)
