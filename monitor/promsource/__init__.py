"""Where Candor reads series from: the embedded store or a real Prometheus.

    from monitor.promsource import signal_source

    source = signal_source(settings.engine, hub.store)   # embedded engine, or Prometheus
    source.query("up", t=now)                 # -> [InstantSample(labels, value)]
    source.query_range("up", t0, t1, step=15) # -> [RangeSeries(labels, points)]

In ``[engine] mode = "prometheus"`` rules are evaluated by an external Prometheus (feed it
``candor rules export``), alerts arrive through Alertmanager's webhook
(``/api/v1/alertmanager``), Candor's own rule job does not run, and data readers go
through :class:`PrometheusClient` for ``[engine] prometheus_url``.
"""

from monitor.promsource.client import PrometheusClient
from monitor.promsource.queryable import InstantSample, Queryable, RangeSeries
from monitor.promsource.source import EmbeddedSource, signal_source

__all__ = ["EmbeddedSource", "InstantSample", "PrometheusClient", "Queryable", "RangeSeries",
           "signal_source"]
