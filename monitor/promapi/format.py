"""PromQL values and rule state as the JSON Prometheus's HTTP API returns.

    {"resultType": "vector", "result": [{"metric": {"job": "api"}, "value": [1772442000, "1.5"]}]}

Sample values are strings formatted like Go's ``strconv.FormatFloat(v, 'f', -1, 64)``
(``"0.0000001"``, ``"+Inf"``, ``"NaN"``: :func:`monitor.promql.gofmt.go_f`); timestamps
are Unix seconds with millisecond precision (a whole second is written as an integer, as
Prometheus does).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.promql.gofmt import go_f
from monitor.promql.labels import labels_dict
from monitor.promql.value import Matrix, Scalar, String, Value, Vector

__all__ = ["rfc3339", "timestamp", "value_json"]


def timestamp(t_ms: int) -> int | float:
    return t_ms // 1000 if t_ms % 1000 == 0 else t_ms / 1000


def rfc3339(t: float | None) -> str:
    """Go's ``time.Time`` JSON form (RFC 3339, nanoseconds trimmed); zero time for ``None``."""
    if t is None:
        return "0001-01-01T00:00:00Z"
    when = datetime.fromtimestamp(t, UTC)
    frac = f"{when.microsecond:06d}".rstrip("0")
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def value_json(value: Value, t_ms: int) -> dict[str, Any]:
    """``data`` of a query response; ``t_ms`` is the evaluation time (instant queries)."""
    if isinstance(value, Scalar):
        return {"resultType": "scalar", "result": [timestamp(t_ms), go_f(value.value)]}
    if isinstance(value, String):
        return {"resultType": "string", "result": [timestamp(t_ms), value.value]}
    if isinstance(value, Vector):
        return {"resultType": "vector", "result": [
            {"metric": labels_dict(s.labels), "value": [timestamp(t_ms), go_f(s.value)]}
            for s in value]}
    assert isinstance(value, Matrix)
    return {"resultType": "matrix", "result": [
        {"metric": labels_dict(rs.labels),
         "values": [[timestamp(t), go_f(v)] for t, v in zip(rs.ts, rs.vs, strict=True)]}
        for rs in value]}
