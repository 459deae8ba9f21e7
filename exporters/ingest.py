"""The wire format of ``POST /api/v1/signals``, shared by the library and the service.

Both sides import these models, so what :class:`exporters.Pusher` sends is by
construction what Candor accepts. A batch is a list of samples; each names its
metric, its labels, a finite value and (optionally) a timestamp in milliseconds:

>>> batch = SignalBatch(samples=[
...     Sample(metric="candor_app_errors_total", labels={"service": "links-api"}, value=3)])
>>> batch.model_dump(exclude_none=True)["samples"][0]["value"]
3.0

``labels`` on the batch apply to every sample (a sample's own label wins).
Names follow Prometheus: metric names match ``[a-zA-Z_:][a-zA-Z0-9_:]*``, label
names ``[a-zA-Z_][a-zA-Z0-9_]*`` and must not start with ``__`` (reserved).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

__all__ = ["LABEL_NAME", "METRIC_NAME", "IngestResult", "Sample", "SignalBatch"]


def _metric_name(value: str) -> str:
    if not METRIC_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a valid metric name (expected letters, digits, '_' or ':', "
            "not starting with a digit, e.g. 'http_requests_total')"
        )
    return value


def _labels(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        if not LABEL_NAME.match(name):
            raise ValueError(
                f"{name!r} is not a valid label name (expected letters, digits or '_', "
                "not starting with a digit, e.g. 'endpoint')"
            )
        if name.startswith("__"):
            raise ValueError(f"label name {name!r} is reserved: names starting with '__' are "
                             "internal to Candor; rename it")
    return value


MetricName = Annotated[str, AfterValidator(_metric_name)]
Labels = Annotated[dict[str, str], AfterValidator(_labels)]


class Sample(BaseModel):
    """One value of one series at one instant."""

    model_config = ConfigDict(extra="forbid")

    metric: MetricName = Field(description="Metric name, e.g. `candor_app_errors_total`.")
    labels: Labels = Field(default_factory=dict, description="Label names to values.")
    value: float = Field(allow_inf_nan=False, description="A finite number (JSON has no NaN).")
    timestamp_ms: int | None = Field(
        None, strict=True,
        description="Milliseconds since the Unix epoch; omitted means the time Candor received it.",
    )


class SignalBatch(BaseModel):
    """A batch of samples, sent by apps (or :class:`exporters.Pusher`) to Candor."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "labels": {"service": "links-api"},
            "samples": [
                {"metric": "candor_app_errors_total", "value": 12,
                 "labels": {"kind": "timeout", "endpoint": "/links", "user_visible": "true",
                            "severity": "error"}, "timestamp_ms": 1767225600000},
            ],
        }]},
    )

    labels: Labels = Field(default_factory=dict, description="Labels added to every sample.")
    samples: list[Sample] = Field(description="The samples; see `signals.max_samples_per_request`.")


class IngestResult(BaseModel):
    """What Candor stored from one request."""

    accepted: int = Field(description="Samples stored (a resent identical sample counts too).")
    series_created: int = Field(description="Series that did not exist before this request.")
