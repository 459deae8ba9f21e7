"""OTLP/HTTP metrics (protobuf or JSON) to samples, named as Prometheus names them.

Translation (the usual OTLP → Prometheus rules, kept small):

* names: characters outside ``[a-zA-Z0-9_:]`` become ``_``; a unit is appended
  (``s`` → ``_seconds``, ``By`` → ``_bytes`` …; ``{annotations}`` and ``1`` are
  dropped); a monotonic cumulative sum gets ``_total``. So
  ``http.server.request.duration`` [s] is ``http_server_request_duration_seconds``
  and ``candor.app.errors`` [{error}] is ``candor_app_errors_total``.
* labels: attribute keys sanitised the same way; resource ``service.name``
  (with ``service.namespace/``) becomes ``job`` and ``service.instance.id``
  becomes ``instance``; a data point's own attributes win.
* gauges and sums give one sample; histograms give ``_bucket{le}`` (cumulative),
  ``_sum`` and ``_count``; summaries give ``{quantile}``, ``_sum``, ``_count``.
  A point flagged "no recorded value" is stored as a stale marker.
* delta temporality and exponential histograms are not stored: they are reported
  back in the response's ``partial_success`` (the OTLP way), with the fix.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AggregationTemporality,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    SummaryDataPoint,
)

from monitor.errors import BadRequest, PayloadTooLarge
from monitor.promql.storage import STALE_NAN
from monitor.signals.service import RawSample

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_INVALID = re.compile(r"[^a-zA-Z0-9_:]+")
_INVALID_LABEL = re.compile(r"[^a-zA-Z0-9_]+")
_UNITS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds",
          "min": "minutes", "h": "hours", "d": "days", "By": "bytes", "KiBy": "kibibytes",
          "MiBy": "mebibytes", "GiBy": "gibibytes", "KBy": "kilobytes", "MBy": "megabytes",
          "GBy": "gigabytes", "m": "meters", "V": "volts", "A": "amperes", "J": "joules",
          "W": "watts", "g": "grams", "Cel": "celsius", "Hz": "hertz", "%": "percent"}
_NO_VALUE = 1  # DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK
_CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
_DELTA = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA


@dataclass
class Converted:
    samples: list[RawSample] = field(default_factory=list)
    rejected_points: int = 0
    messages: list[str] = field(default_factory=list)


def gunzip(body: bytes, limit: int) -> bytes:
    """``body`` gunzipped, never holding more than ``limit + 1`` bytes of output: a
    decompression bomb (a few hundred KB that inflate to gigabytes) is a 413 after at most
    ``limit`` bytes, like a body over the limit. Concatenated gzip members are read in turn."""
    out = bytearray()
    rest = body
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise _undecodable(f"Content-Encoding is gzip but the body is not gzip data ({exc})"
                               ) from None
        if len(out) > limit:
            raise PayloadTooLarge(
                f"the body inflates to more than {limit} bytes (server.max_body_bytes, which "
                "limits the decompressed size too); send less per request",
                extra={"reason": "too_large"})
        if not inflater.eof:
            raise _undecodable("Content-Encoding is gzip but the body is not gzip data (it ends "
                               "before the gzip stream does: cut short?)")
        rest = inflater.unused_data
        if not rest.strip(b"\0"):  # gzip allows trailing zero padding
            return bytes(out)


def decode(body: bytes, content_type: str, content_encoding: str, *,
           max_bytes: int = 1_048_576) -> ExportMetricsServiceRequest:
    """Parse an ``ExportMetricsServiceRequest``; a precise 400 if it does not decode, a 413
    if a gzip body inflates beyond ``max_bytes``."""
    media = content_type.split(";")[0].strip().lower()
    encoding = content_encoding.strip().lower()
    if encoding == "gzip":
        body = gunzip(body, max_bytes)
    elif encoding not in ("", "identity"):
        raise _undecodable(f"Content-Encoding {encoding!r} is not supported (use gzip or none)")
    request = ExportMetricsServiceRequest()
    if media == PROTOBUF:
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            raise _undecodable(f"the body is not an OTLP ExportMetricsServiceRequest in "
                               f"protobuf ({exc})") from None
    elif media == JSON:
        try:
            document = json.loads(body.decode("utf-8"))
            if not isinstance(document, dict):
                raise json_format.ParseError(f"expected a JSON object with resourceMetrics, got "
                                             f"{type(document).__name__}")
            json_format.ParseDict(document, request, ignore_unknown_fields=True)
        except (json_format.ParseError, ValueError, RecursionError) as exc:
            raise _undecodable(f"the body is not an OTLP ExportMetricsServiceRequest in JSON "
                               f"({str(exc)[:300]})") from None
    else:
        raise _undecodable(f"Content-Type {content_type or '(none)'!r} is not OTLP; send "
                           f"{PROTOBUF} or {JSON}")
    return request


def _undecodable(detail: str) -> BadRequest:
    return BadRequest(detail, extra={"reason": "otlp_undecodable"})


def encode_response(converted: Converted, content_type: str) -> bytes:
    response = ExportMetricsServiceResponse()
    if converted.rejected_points:
        response.partial_success.rejected_data_points = converted.rejected_points
        response.partial_success.error_message = "; ".join(converted.messages[:5])
    if content_type.split(";")[0].strip().lower() == JSON:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


def convert(request: ExportMetricsServiceRequest, now_ms: int) -> Converted:
    """Every data point of ``request`` as samples (see the module docstring)."""
    out = Converted()
    for r, rm in enumerate(request.resource_metrics):
        base = _resource_labels(rm.resource.attributes)
        for s, sm in enumerate(rm.scope_metrics):
            for m, metric in enumerate(sm.metrics):
                loc = f"$.resourceMetrics[{r}].scopeMetrics[{s}].metrics[{m}]"
                _metric(metric, base, loc, now_ms, out)
    return out


def _metric(metric: Metric, base: dict[str, str], loc: str, now_ms: int, out: Converted) -> None:
    kind = metric.WhichOneof("data")
    name = _name(metric.name, metric.unit)
    if kind == "gauge":
        _numbers(metric.gauge.data_points, name, base, loc + ".gauge", now_ms, out)
    elif kind == "sum":
        data = metric.sum
        if data.aggregation_temporality == _DELTA:
            out.rejected_points += len(data.data_points)
            out.messages.append(f"{metric.name}: delta temporality is not stored; configure the "
                                "exporter for cumulative temporality")
            return
        if data.is_monotonic and not name.endswith("_total"):
            name += "_total"
        _numbers(data.data_points, name, base, loc + ".sum", now_ms, out)
    elif kind == "histogram":
        histogram = metric.histogram
        if histogram.aggregation_temporality == _DELTA:
            out.rejected_points += len(histogram.data_points)
            out.messages.append(f"{metric.name}: delta temporality is not stored; configure the "
                                "exporter for cumulative temporality")
            return
        for i, bucketed in enumerate(histogram.data_points):
            _histogram(bucketed, name, base, f"{loc}.histogram.dataPoints[{i}]", now_ms, out)
    elif kind == "summary":
        for i, quantiles in enumerate(metric.summary.data_points):
            _summary(quantiles, name, base, f"{loc}.summary.dataPoints[{i}]", now_ms, out)
    elif kind == "exponential_histogram":
        out.rejected_points += len(metric.exponential_histogram.data_points)
        out.messages.append(f"{metric.name}: exponential histograms are not stored; use "
                            "explicit-bucket histograms")


def _numbers(points: Iterable[NumberDataPoint], name: str, base: dict[str, str], loc: str, now_ms: int,
             out: Converted) -> None:
    for i, point in enumerate(points):
        labels = {**base, **_attributes(point.attributes), "__name__": name}
        if point.flags & _NO_VALUE:
            value = STALE_NAN
        else:
            value = point.as_double if point.WhichOneof("value") == "as_double" else \
                float(point.as_int)
        out.samples.append((labels, _ms(point.time_unix_nano, now_ms), value,
                            f"{loc}.dataPoints[{i}]"))


def _histogram(point: HistogramDataPoint, name: str, base: dict[str, str], loc: str, now_ms: int,
               out: Converted) -> None:
    labels = {**base, **_attributes(point.attributes)}
    ts = _ms(point.time_unix_nano, now_ms)
    stale = bool(point.flags & _NO_VALUE)
    cumulative = 0
    bounds = [*(_format_le(b) for b in point.explicit_bounds), "+Inf"]
    counts = list(point.bucket_counts) or [0] * len(bounds)
    for le, count in zip(bounds, counts, strict=False):
        cumulative += count
        out.samples.append(({**labels, "le": le, "__name__": name + "_bucket"}, ts,
                            STALE_NAN if stale else float(cumulative), loc))
    if point.HasField("sum"):
        out.samples.append(({**labels, "__name__": name + "_sum"}, ts,
                            STALE_NAN if stale else point.sum, loc))
    out.samples.append(({**labels, "__name__": name + "_count"}, ts,
                        STALE_NAN if stale else float(point.count), loc))


def _summary(point: SummaryDataPoint, name: str, base: dict[str, str], loc: str, now_ms: int,
             out: Converted) -> None:
    labels = {**base, **_attributes(point.attributes)}
    ts = _ms(point.time_unix_nano, now_ms)
    for q in point.quantile_values:
        out.samples.append(({**labels, "quantile": _format_le(q.quantile), "__name__": name},
                            ts, q.value, loc))
    out.samples.append(({**labels, "__name__": name + "_sum"}, ts, point.sum, loc))
    out.samples.append(({**labels, "__name__": name + "_count"}, ts, float(point.count), loc))


def _format_le(bound: float) -> str:
    return repr(float(bound)) if bound != int(bound) else f"{float(bound):.1f}"


def _ms(unix_nano: int, now_ms: int) -> int:
    return unix_nano // 1_000_000 if unix_nano else now_ms


def _name(name: str, unit: str) -> str:
    out = _INVALID.sub("_", name).strip("_") or "unnamed"
    if out[0].isdigit():
        out = "_" + out
    unit = re.sub(r"\{[^}]*\}", "", unit).strip()
    if unit and unit != "1":
        suffix = _UNITS.get(unit, _INVALID_LABEL.sub("_", unit).strip("_"))
        if suffix and not out.endswith("_" + suffix):
            out += "_" + suffix
    return out


def _label(key: str) -> str:
    out = _INVALID_LABEL.sub("_", key) or "_"
    if out[0].isdigit():
        out = "key_" + out
    return out


def _attributes(attributes: Iterable[KeyValue]) -> dict[str, str]:
    return {_label(kv.key): _value(kv.value) for kv in attributes}


def _value(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return repr(value.double_value)
    if kind is None:
        return ""
    return json.dumps(json_format.MessageToDict(value))


def _resource_labels(attributes: Iterable[KeyValue]) -> dict[str, str]:
    attrs = {kv.key: _value(kv.value) for kv in attributes}
    labels: dict[str, str] = {}
    service = attrs.get("service.name", "")
    if service:
        namespace = attrs.get("service.namespace", "")
        labels["job"] = f"{namespace}/{service}" if namespace else service
    if attrs.get("service.instance.id"):
        labels["instance"] = attrs["service.instance.id"]
    return labels
