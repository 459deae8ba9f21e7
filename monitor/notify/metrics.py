"""Delivery metrics, registered once by ``monitor.wiring`` on the service's registry.

Queue depth and the oldest undelivered age are read from the outbox at scrape time,
so they are right after a restart too::

    candor_notifications_sent_total{receiver}
    candor_notifications_failed_total{receiver}        every failed attempt
    candor_notifications_retried_total{receiver}       failed attempts that will be retried
    candor_notifications_dead_lettered_total{receiver}
    candor_notifications_redelivered_total{receiver}   sent again after an attempt ended
                                                       unrecorded (possible duplicates)
    candor_notification_delivery_seconds{receiver}     enqueue → delivered (histogram)
    candor_notification_queue_depth{receiver}          pending messages
    candor_notification_oldest_pending_seconds         age of the oldest pending message
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.clock import Clock
from monitor.notify.channels import DIRECT, FANOUT
from monitor.notify.service import queue_stats
from monitor.ops.metrics import FromStore


class QueueCollector(Collector):
    """Queue depth by receiver: every configured receiver (and per-message webhooks, and
    subscriber fan-outs) reads 0 when nothing is pending, so the series never disappears
    under an alert or a graph."""

    def __init__(self, engine: Engine, clock: Clock, receivers: Sequence[str] = ()) -> None:
        self.engine = engine
        self.clock = clock
        self.receivers = tuple(receivers)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with Session(self.engine) as session:
            depth, oldest = queue_stats(session, self.clock.now())
        gauge = GaugeMetricFamily("candor_notification_queue_depth",
                                  "Pending outbox messages, by receiver.", labels=["receiver"])
        depth = {**dict.fromkeys(self.receivers, 0), **depth}
        for receiver, count in sorted(depth.items()):
            gauge.add_metric([receiver], count)
        yield gauge
        yield GaugeMetricFamily("candor_notification_oldest_pending_seconds",
                                "Age of the oldest pending outbox message (0 when empty).",
                                value=oldest)


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry, engine: Engine, clock: Clock,
                 receivers: Sequence[str] = ()) -> None:
        self.sent = Counter("candor_notifications_sent", "Notifications delivered, by receiver.",
                            ["receiver"], registry=registry)
        self.failed = Counter("candor_notifications_failed",
                              "Failed delivery attempts, by receiver.", ["receiver"],
                              registry=registry)
        self.retried = Counter("candor_notifications_retried",
                               "Failed attempts scheduled for retry, by receiver.", ["receiver"],
                               registry=registry)
        self.dead = Counter("candor_notifications_dead_lettered",
                            "Messages dead-lettered after the last attempt, by receiver.",
                            ["receiver"], registry=registry)
        self.redelivered = Counter(
            "candor_notifications_redelivered",
            "Messages sent again because an earlier attempt ended unrecorded (its worker stopped "
            "or overran its lease between sending and recording): possible duplicates at the "
            "receiver, which sees the same webhook-id.", ["receiver"], registry=registry)
        self.latency = Histogram(
            "candor_notification_delivery_seconds",
            "Time from enqueue to successful delivery, by receiver.", ["receiver"],
            registry=registry, buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
        )
        registry.register(FromStore(QueueCollector(engine, clock, (*receivers, DIRECT, FANOUT))))
