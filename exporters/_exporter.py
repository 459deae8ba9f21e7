"""The :class:`Exporter`: one object an app holds to record its error signals."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from exporters._push import Pusher

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

SEVERITIES = ("critical", "error", "warning", "info")
"""Accepted ``severity`` values of :meth:`Exporter.error` (Candor maps them to SEV levels)."""

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                   10.0)
"""Request-duration buckets in seconds: the OpenTelemetry HTTP semantic-convention advice."""

_VERSION = "0.1.0"


class Exporter:
    """Record an app's errors, requests, user reports and deploys as metrics.

    Use one ``Exporter`` per process. It writes Prometheus metrics to a registry
    (a fresh one unless you pass yours) and, when given a ``meter_provider``,
    the same instruments through OpenTelemetry so an ``OTLPMetricExporter``
    can ship them. Push to Candor is opt-in with :meth:`push_to`.

    >>> exporter = Exporter("links-api", release="1.4.2")
    >>> exporter.error("timeout", endpoint="/links/{id}", user_visible=True)
    >>> exporter.request("/links/{id}", method="GET", status=200, seconds=0.042)
    >>> exporter.registry.get_sample_value("candor_app_errors_total", {
    ...     "service": "links-api", "kind": "timeout", "endpoint": "/links/{id}",
    ...     "user_visible": "true", "severity": "error"})
    1.0

    Series (Prometheus names; OpenTelemetry names in brackets):

    * ``candor_app_errors_total{service,kind,endpoint,user_visible,severity}``
      [``candor.app.errors``]
    * ``http_server_request_duration_seconds{service,http_request_method,http_route,
      http_response_status_code,error_type}`` [``http.server.request.duration``,
      the OTel semantic convention]
    * ``candor_app_user_reports_total{service,kind,endpoint}`` [``candor.app.user_reports``]
    * ``candor_app_release_info{service,release,fix}`` = 1 for the live release, and
      ``candor_app_deploy_timestamp_seconds{service}`` [``candor.app.release.info``,
      ``candor.app.deploy.timestamp``]: fix verification compares before and after.

    ``endpoint`` must be a route template (``/links/{id}``), never a raw path:
    each distinct value is a new series.

    Multiprocess apps (gunicorn): set ``PROMETHEUS_MULTIPROC_DIR`` before the app
    imports ``prometheus_client`` and expose :func:`exporters.multiprocess_registry`
    on ``/metrics``; gauges here use the ``mostrecent`` mode.
    """

    def __init__(
        self,
        service: str,
        *,
        registry: CollectorRegistry | None = None,
        meter_provider: MeterProvider | None = None,
        release: str | None = None,
        fix: str = "",
        buckets: tuple[float, ...] = REQUEST_BUCKETS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not service:
            raise ValueError("Exporter needs a service name, e.g. Exporter('links-api')")
        self.service = service
        self.registry = registry if registry is not None else CollectorRegistry()
        self._clock = clock
        self._errors = Counter(
            "candor_app_errors", "Errors the app hit, by kind and endpoint.",
            ["service", "kind", "endpoint", "user_visible", "severity"], registry=self.registry)
        self._requests = Histogram(
            "http_server_request_duration_seconds", "Duration of HTTP server requests.",
            ["service", "http_request_method", "http_route", "http_response_status_code",
             "error_type"], buckets=buckets, registry=self.registry)
        self._reports = Counter(
            "candor_app_user_reports", "Problems users reported, by kind and endpoint.",
            ["service", "kind", "endpoint"], registry=self.registry)
        self._release = Gauge(
            "candor_app_release_info", "The live release (value 1) and the fix it carries.",
            ["service", "release", "fix"], registry=self.registry, multiprocess_mode="mostrecent")
        self._deployed = Gauge(
            "candor_app_deploy_timestamp_seconds", "When the live release was deployed.",
            ["service"], registry=self.registry, multiprocess_mode="mostrecent")
        self._error_children: dict[tuple[str, str, bool, str], tuple[Any, dict[str, Any]]] = {}
        self._request_children: dict[tuple[str, str, int, str], tuple[Any, dict[str, Any]]] = {}
        self._live: tuple[str, str] | None = None
        self._deployed_at: float | None = None
        self._otel = _OtelInstruments(meter_provider, self) if meter_provider else None
        self._pushers: list[Pusher] = []
        if release:
            self.deploy(release, fix=fix)

    # ---- recording -----------------------------------------------------------

    def error(self, kind: str, *, endpoint: str = "", user_visible: bool = False,
              severity: str = "error") -> None:
        """Count one error. ``kind`` is a short stable class (``timeout``, ``db_unavailable``).

        >>> Exporter("api").error("db_unavailable", endpoint="/login", severity="critical")
        """
        key = (kind, endpoint, user_visible, severity)
        cached = self._error_children.get(key)
        if cached is None:
            cached = self._error_child(key)
        cached[0].inc()
        if self._otel is not None:
            self._otel.errors.add(1, cached[1])
        for pusher in self._pushers:  # an error signal moved: push soon (Pusher.nudge)
            pusher.nudge()

    def _error_child(self, key: tuple[str, str, bool, str]) -> tuple[Any, dict[str, Any]]:
        kind, endpoint, user_visible, severity = key
        if not kind:
            raise ValueError("error() needs a kind, e.g. error('timeout')")
        if severity not in SEVERITIES:
            raise ValueError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
        visible = "true" if user_visible else "false"
        child = self._errors.labels(self.service, kind, endpoint, visible, severity)
        attrs = {"service": self.service, "kind": kind, "endpoint": endpoint,
                 "user_visible": visible, "severity": severity}
        self._error_children[key] = (child, attrs)
        return child, attrs

    def request(self, endpoint: str, *, seconds: float, method: str = "GET", status: int = 200,
                error: str = "") -> None:
        """Record one served request and its latency. A 5xx without ``error`` records
        ``error_type`` as the status code, as the OpenTelemetry convention says.

        >>> Exporter("api").request("/links", method="POST", status=503, seconds=1.2)
        """
        key = (endpoint, method, status, error)
        cached = self._request_children.get(key)
        if cached is None:
            cached = self._request_child(key)
        cached[0].observe(seconds)
        if self._otel is not None:
            self._otel.requests.record(seconds, cached[1])
        if status >= 500:
            for pusher in self._pushers:  # an error signal moved: push soon (Pusher.nudge)
                pusher.nudge()

    def _request_child(self, key: tuple[str, str, int, str]) -> tuple[Any, dict[str, Any]]:
        endpoint, method, status, error = key
        if not 100 <= status <= 599:
            raise ValueError(f"status {status} is not an HTTP status code (100-599)")
        error_type = error or (str(status) if status >= 500 else "")
        child = self._requests.labels(self.service, method.upper(), endpoint, str(status),
                                      error_type)
        attrs: dict[str, Any] = {"service": self.service, "http.request.method": method.upper(),
                                 "http.route": endpoint, "http.response.status_code": status}
        if error_type:
            attrs["error.type"] = error_type
        self._request_children[key] = (child, attrs)
        return child, attrs

    @contextmanager
    def track_request(self, endpoint: str, *, method: str = "GET") -> Iterator[_Outcome]:
        """Time a block as one request; an exception records a 500 with its class name.

        >>> exporter = Exporter("api")
        >>> with exporter.track_request("/links/{id}") as outcome:
        ...     outcome.status = 404
        """
        outcome = _Outcome()
        start = time.perf_counter()
        try:
            yield outcome
        except BaseException as exc:
            self.request(endpoint, method=method, status=500, error=type(exc).__name__,
                         seconds=time.perf_counter() - start)
            raise
        self.request(endpoint, method=method, status=outcome.status, error=outcome.error,
                     seconds=time.perf_counter() - start)

    def user_report(self, kind: str, *, endpoint: str = "") -> None:
        """Count one problem a user reported (through support, a form, a status page).

        >>> Exporter("api").user_report("cannot_open_link", endpoint="/l/{slug}")
        """
        if not kind:
            raise ValueError("user_report() needs a kind, e.g. user_report('cannot_login')")
        self._reports.labels(self.service, kind, endpoint).inc()
        if self._otel is not None:
            self._otel.reports.add(1, {"service": self.service, "kind": kind,
                                       "endpoint": endpoint})

    def deploy(self, release: str, *, fix: str = "", at: float | None = None) -> None:
        """Mark ``release`` as live (deployed ``at`` Unix seconds, default now). ``fix``
        names what it fixes (an incident key such as ``INC-12``), so Candor can verify it.

        >>> exporter = Exporter("api", release="1.4.2")
        >>> exporter.deploy("1.4.3", fix="INC-12")
        >>> exporter.registry.get_sample_value("candor_app_release_info",
        ...     {"service": "api", "release": "1.4.3", "fix": "INC-12"})
        1.0
        """
        if not release:
            raise ValueError("deploy() needs a release name, e.g. deploy('1.4.3')")
        if self._live is not None:
            self._release.remove(self.service, *self._live)
        self._live = (release, fix)
        self._deployed_at = self._clock() if at is None else at
        self._release.labels(self.service, release, fix).set(1)
        self._deployed.labels(self.service).set(self._deployed_at)

    # ---- exposition and push -------------------------------------------------

    def metrics_text(self) -> bytes:
        """The registry in the Prometheus text format, for the app's own ``/metrics``."""
        return generate_latest(self.registry)

    def push_to(self, url: str, *, token: str | None = None, interval: float = 10.0,
                **options: Any) -> Pusher:
        """Start pushing this registry to Candor (``url`` like ``http://candor:8080``) every
        ``interval`` seconds from a background thread. See :class:`exporters.Pusher`.

        >>> pusher = Exporter("api").push_to("http://127.0.0.1:9", interval=60)
        >>> pusher.close(timeout=0)
        """
        pusher = Pusher(url, registry=self.registry, token=token, interval=interval, **options)
        pusher.start()
        self._pushers.append(pusher)
        return pusher

    def close(self, timeout: float = 5.0) -> None:
        """Flush and stop every pusher started with :meth:`push_to`."""
        for pusher in self._pushers:
            pusher.close(timeout=timeout)
        self._pushers.clear()


class _Outcome:
    """Set ``status`` (and ``error``) inside :meth:`Exporter.track_request`."""

    __slots__ = ("error", "status")

    def __init__(self) -> None:
        self.status = 200
        self.error = ""


class _OtelInstruments:
    def __init__(self, provider: MeterProvider, exporter: Exporter) -> None:
        meter = provider.get_meter("candor.exporters", _VERSION)
        self.errors = meter.create_counter(
            "candor.app.errors", unit="{error}", description="Errors the app hit.")
        self.requests = meter.create_histogram(
            "http.server.request.duration", unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=list(REQUEST_BUCKETS))
        self.reports = meter.create_counter(
            "candor.app.user_reports", unit="{report}", description="Problems users reported.")
        self._exporter = exporter
        meter.create_observable_gauge(
            "candor.app.release.info", callbacks=[self._release],
            description="The live release (value 1) and the fix it carries.")
        meter.create_observable_gauge(
            "candor.app.deploy.timestamp", unit="s", callbacks=[self._deployed],
            description="When the live release was deployed.")

    def _release(self, options: CallbackOptions) -> Iterator[Observation]:
        from opentelemetry.metrics import Observation

        live = self._exporter._live
        if live is not None:
            yield Observation(1, {"service": self._exporter.service, "release": live[0],
                                  "fix": live[1]})

    def _deployed(self, options: CallbackOptions) -> Iterator[Observation]:
        from opentelemetry.metrics import Observation

        if self._exporter._deployed_at is not None:
            yield Observation(self._exporter._deployed_at, {"service": self._exporter.service})


def multiprocess_registry() -> CollectorRegistry:
    """A registry that reads every worker's metrics in multiprocess mode (gunicorn).

    Set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the workers
    start, record with ``Exporter(..., registry=<any registry>)`` in the workers,
    and serve ``generate_latest(multiprocess_registry())`` on ``/metrics``. Call
    ``prometheus_client.multiprocess.mark_process_dead(pid)`` from gunicorn's
    ``child_exit`` hook.
    """
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
    return registry
