"""A small client for the Prometheus HTTP API (``/api/v1/query``, ``/api/v1/query_range``).

    prom = PrometheusClient("http://127.0.0.1:9090", timeout=5.0)
    prom.query('sum by (service) (rate(candor_app_errors_total[1m]))', t=1772442000.0)
    # -> [InstantSample(labels={'service': 'redirect'}, value=3.2)]

Results are plain values (see :mod:`monitor.promsource.source`). Every failure is an
:class:`~monitor.errors.Unavailable` (Prometheus down, slow, or answering garbage) or an
:class:`~monitor.errors.Unprocessable` (Prometheus rejected the query), with the URL and
what to fix in the message. The HTTP transport is injectable (``transport=``), so tests
can use a real server or ``httpx.MockTransport``.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from monitor.errors import Unavailable, Unprocessable
from monitor.promsource.queryable import InstantSample, RangeSeries

__all__ = ["PrometheusClient"]


def _float(raw: str) -> float:
    # Prometheus writes "NaN", "+Inf", "-Inf" and decimal strings.
    return float(raw) if raw not in ("+Inf", "-Inf") else (math.inf if raw[0] == "+" else -math.inf)


class PrometheusClient:
    """Reads series from a Prometheus (or anything speaking its HTTP API, Candor included)."""

    def __init__(self, url: str, *, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise Unprocessable(f"Prometheus URL {url!r} must start with http:// or https://, "
                                "e.g. http://127.0.0.1:9090")
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- queries --------------------------------------------------------------

    def query(self, expr: str, t: float) -> list[InstantSample]:
        """An instant query at ``t`` (Unix seconds). A scalar comes back as one sample with
        no labels."""
        data = self._get("/api/v1/query", {"query": expr, "time": f"{t:.3f}"})
        kind, result = data.get("resultType"), data.get("result")
        try:
            if kind == "vector" and isinstance(result, list):
                return [InstantSample(dict(s["metric"]), _float(s["value"][1])) for s in result]
            if kind == "scalar" and isinstance(result, list):
                return [InstantSample({}, _float(result[1]))]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self._garbage(f"/api/v1/query answered a malformed {kind} ({exc!r})") from None
        raise self._garbage(f"/api/v1/query answered resultType {kind!r}; expected a vector "
                            "or scalar (is the expression a range vector like x[5m]?)")

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[RangeSeries]:
        """A range query over ``[start, end]`` every ``step`` seconds."""
        if step <= 0:
            raise Unprocessable(f"query_range step must be positive seconds, got {step}")
        data = self._get("/api/v1/query_range", {"query": expr, "start": f"{start:.3f}",
                                                 "end": f"{end:.3f}", "step": f"{step:g}"})
        result = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(result, list):
            raise self._garbage(f"/api/v1/query_range answered resultType "
                                f"{data.get('resultType')!r}; expected a matrix")
        try:
            return [RangeSeries(dict(s["metric"]),
                                [(float(t), _float(v)) for t, v in s["values"]]) for s in result]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self._garbage(f"/api/v1/query_range answered a malformed matrix ({exc!r})"
                                ) from None

    def rules(self) -> tuple[dict[str, str], float | None]:
        """The recording rules Prometheus evaluates (``name → expression``) and the longest
        group interval in seconds (``/api/v1/rules``): what fix verification needs to know
        how long an alert expression lags behind the errors."""
        data = self._get("/api/v1/rules", {})
        recording: dict[str, str] = {}
        intervals: list[float] = []
        try:
            for group in data.get("groups") or []:
                intervals.append(float(group.get("interval") or 0))
                for rule in group.get("rules") or []:
                    if rule.get("type") == "recording":
                        recording[str(rule["name"])] = str(rule["query"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._garbage(f"/api/v1/rules answered malformed groups ({exc!r})") from None
        return recording, max(intervals) if intervals else None

    # ---- plumbing -------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        where = f"{self.url}{path}"
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise Unavailable(f"Prometheus at {self.url} did not answer {path} within "
                              f"{self._http.timeout.read}s; check that it is up and not "
                              "overloaded, or raise the timeout") from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"cannot reach Prometheus at {self.url} ({exc}); check "
                              "[engine] prometheus_url and that Prometheus is running") from None
        try:
            body = response.json()
        except ValueError:
            raise self._garbage(f"{where} answered HTTP {response.status_code} with "
                                f"non-JSON: {response.text[:120]!r}") from None
        if not isinstance(body, dict):
            raise self._garbage(f"{where} answered {type(body).__name__}, expected an object")
        if body.get("status") != "success":
            message = f"Prometheus rejected the query ({body.get('errorType')}): {body.get('error')}"
            if response.status_code in (400, 422):
                raise Unprocessable(message)
            raise Unavailable(f"{message} [HTTP {response.status_code} from {where}]")
        data = body.get("data")
        if not isinstance(data, dict):
            raise self._garbage(f"{where} answered success without a data object")
        return data

    def _garbage(self, detail: str) -> Unavailable:
        return Unavailable(f"{detail}; is prometheus_url ({self.url}) a Prometheus server?")
