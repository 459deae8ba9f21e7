"""Candor's exporters: the small library apps embed to record their error signals.

Record errors, request outcomes, user reports and deploys; expose them on the
app's own ``/metrics`` (Prometheus), through an OpenTelemetry ``MeterProvider``
(OTLP), and optionally push them to Candor in the background::

    from exporters import Exporter

    signals = Exporter("links-api", release="1.4.2")
    signals.error("timeout", endpoint="/links/{id}", user_visible=True, severity="error")
    signals.request("/links/{id}", method="GET", status=200, seconds=0.042)
    signals.user_report("cannot_open_link", endpoint="/l/{slug}")
    signals.deploy("1.4.3", fix="INC-12")
    signals.push_to("http://candor:8080", token=os.environ["CANDOR_TOKEN"])

``exporters.ingest`` holds the JSON models of ``POST /api/v1/signals`` that
Candor and this library share. This package never imports ``monitor`` or
``postmortem``.
"""

from exporters._exporter import REQUEST_BUCKETS, SEVERITIES, Exporter, multiprocess_registry
from exporters._push import Pusher
from exporters.ingest import IngestResult, Sample, SignalBatch

__all__ = [
    "REQUEST_BUCKETS",
    "SEVERITIES",
    "Exporter",
    "IngestResult",
    "Pusher",
    "Sample",
    "SignalBatch",
    "multiprocess_registry",
]
