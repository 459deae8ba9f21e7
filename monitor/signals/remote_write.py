"""Samples forwarded to Prometheus by remote write 1.0, instead of the embedded store.

In ``[cluster] mode = "replicas"`` every replica forwards what apps push
(``/api/v1/signals``, ``/v1/metrics``) and what it scrapes to one Prometheus
(or anything speaking its remote-write receiver: Mimir, Thanos, VictoriaMetrics),
so every replica's samples end up in one place and the rules there see them all::

    writer = RemoteWriter("http://prometheus:9090/api/v1/write", timeout=5.0)
    writer.append([(labels_from({"__name__": "up", "job": "api"}), 1767225600000, 1.0)],
                  now_ms=...)          # -> AppendResult(accepted=1, series_created=0)

The wire format (``prometheus/prompb``, protocol 1.0): a ``WriteRequest`` of
``TimeSeries`` (sorted labels, samples in time order), protobuf-encoded here by hand
(:func:`encode`, four small messages) and compressed with snappy's block format
(``cramjam``). A request is acknowledged only once the receiver answered 2xx, so a 2xx
from Candor still means "stored". The receiver's answers map onto Candor's errors:

- 2xx: stored.
- 4xx (out-of-order or duplicate samples, a bad label): :class:`Unprocessable` (422) with
  the receiver's message; resending the same request will not help.
- 5xx, 429 (the receiver is rate-limiting: Mimir, Cortex), a timeout, no connection:
  :class:`Unavailable` (503): the sender should retry.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import cramjam
import httpx

from monitor.errors import Unavailable, Unprocessable
from monitor.promql.labels import Labels
from monitor.signals.store import AppendResult

__all__ = ["RemoteWriter", "encode"]

_U64 = (1 << 64) - 1
HEADERS = {
    "content-type": "application/x-protobuf",
    "content-encoding": "snappy",
    "x-prometheus-remote-write-version": "0.1.0",
    "user-agent": "candor-remote-write/1",
}


def _varint(value: int) -> bytes:
    value &= _U64  # int64 fields: negatives as two's complement, ten bytes
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _label(name: str, value: str) -> bytes:
    return _field(1, name.encode()) + _field(2, value.encode())


def _sample(ts_ms: int, value: float) -> bytes:
    # field 1 double (wire type 1, bits kept: a stale marker's NaN payload survives),
    # field 2 int64 timestamp (wire type 0)
    return b"\x09" + struct.pack("<d", value) + b"\x10" + _varint(ts_ms)


def encode(samples: Sequence[tuple[Labels, int, float]]) -> bytes:
    """The protobuf ``WriteRequest`` holding ``samples`` (key, ts_ms, value): one
    ``TimeSeries`` per label set, its samples in time order (uncompressed)."""
    series: dict[Labels, list[tuple[int, float]]] = {}
    for key, ts, value in samples:
        series.setdefault(key, []).append((ts, value))
    out = bytearray()
    for key, points in series.items():
        body = b"".join(_field(1, _label(name, value)) for name, value in key)
        body += b"".join(_field(2, _sample(ts, value)) for ts, value in sorted(points))
        out += _field(1, body)
    return bytes(out)


class RemoteWriter:
    """Sends samples to a remote-write receiver; the ``append`` of a series store, so the
    ``SignalHub`` writes to either without knowing which."""

    def __init__(self, url: str, *, timeout: float, bearer_token: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        headers = dict(HEADERS)
        if bearer_token:
            headers["authorization"] = f"Bearer {bearer_token}"
        self._http = httpx.Client(timeout=timeout, headers=headers, transport=transport,
                                  follow_redirects=False)

    def append(self, samples: Sequence[tuple[Labels, int, float]], *, now_ms: int,
               locs: Sequence[str] | None = None) -> AppendResult:
        """Forward ``samples`` in one request; see the module docstring for the errors.
        ``series_created`` is always 0: the receiver does not say."""
        del now_ms, locs  # the receiver checks times and names its own problems
        if not samples:
            return AppendResult(0, 0)
        body = bytes(cramjam.snappy.compress_raw(encode(samples)))
        try:
            response = self._http.post(self.url, content=body)
        except httpx.HTTPError as exc:
            raise Unavailable(f"cannot forward samples to the remote-write receiver {self.url}: "
                              f"{type(exc).__name__}: {exc}; nothing was stored, retry later "
                              "(is Prometheus up with --web.enable-remote-write-receiver?)",
                              extra={"reason": "remote_write_unavailable"}) from None
        if 200 <= response.status_code < 300:
            return AppendResult(len(samples), 0)
        said = response.text.strip()[:300] or "(no message)"
        if response.status_code == 404:
            raise Unavailable(f"{self.url} answered 404: it is not a remote-write receiver; start "
                              "Prometheus with --web.enable-remote-write-receiver or set [cluster] "
                              "remote_write_url", extra={"reason": "remote_write_unavailable"})
        if 400 <= response.status_code < 500 and response.status_code != 429:
            raise Unprocessable(f"the remote-write receiver {self.url} refused the samples "
                                f"(HTTP {response.status_code}: {said}); nothing was stored",
                                extra={"reason": "remote_write_refused"})
        raise Unavailable(f"the remote-write receiver {self.url} failed (HTTP "
                          f"{response.status_code}: {said}); nothing was stored, retry later",
                          extra={"reason": "remote_write_unavailable"})

    def close(self) -> None:
        self._http.close()
