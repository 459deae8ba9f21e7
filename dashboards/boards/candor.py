"""Candor itself: its rule engine, ingest, outbox, HTTP API and replicas (as the
kubernetes-mixin shows the control plane and the Alertmanager mixin its integrations)."""

from dashboards.boards.common import RATE
from dashboards.query import Query
from dashboards.spec import Board, Link, Panel, Row, Threshold

OUTBOX = Link("Outbox", "${candor_url}/api/v1/outbox")


def _p95(metric: str, by: str) -> str:
    return f"histogram_quantile(0.95, sum by ({by}, le) (rate({metric}_bucket[{RATE}])))"


BOARD = Board(
    slug="self",
    title="Candor / Candor itself",
    description="Is Candor healthy: rule groups evaluated on time, samples ingested, "
                "notifications delivered per receiver, the HTTP API, replicas.",
    rows=(
        Row("Rule engine", (
            Panel("Rule group duration vs interval",
                  "Last evaluation time of each group against its interval: a group slower "
                  "than its interval misses evaluations.", "s",
                  (Query("max by (rule_group) (candor_rule_group_last_duration_seconds)",
                         "{{rule_group}} duration"),
                   Query("max by (rule_group) (candor_rule_group_interval_seconds)",
                         "{{rule_group}} interval"))),
            Panel("Missed evaluations and failures",
                  "Group iterations skipped (the previous one ran late) and rules whose "
                  "evaluation failed, per rate interval.", "short",
                  (Query(f"sum by (rule_group) (increase(candor_rule_group_iterations_missed_total[{RATE}]))",
                         "{{rule_group}} missed"),
                   Query(f"sum by (rule_group) (increase(candor_rule_evaluation_failures_total[{RATE}]))",
                         "{{rule_group}} failed")),
                  thresholds=(Threshold(None, "green"), Threshold(1, "red"))),
        )),
        Row("Ingest", (
            Panel("Samples ingested by source",
                  "Samples stored per second: pushed (signals API), OTLP, scraped.", "cps",
                  (Query(f"sum by (source) (rate(candor_ingest_samples_total[{RATE}]))", "{{source}}"),),
                  width=8),
            Panel("Samples rejected by reason",
                  "Samples refused per second (limits, parse errors, failed scrapes).", "cps",
                  (Query(f"sum by (reason) (rate(candor_ingest_rejected_total[{RATE}]))", "{{reason}}"),),
                  width=8, thresholds=(Threshold(None, "green"), Threshold(1, "red"))),
            Panel("Series in the store", "Series Candor's store holds (cardinality).", "short",
                  (Query("max(candor_series_store_series)", "series"),), width=8),
        )),
        Row("Notifications", (
            Panel("Outbox depth",
                  "Messages waiting to be delivered (all receivers; 0 when the outbox is empty).",
                  "short",
                  (Query("sum(candor_notification_queue_depth) or vector(0)", "pending"),), width=8,
                  links=(OUTBOX,)),
            Panel("Oldest pending notification",
                  "Age of the oldest undelivered message (0 when the outbox is empty).", "s",
                  (Query("max(candor_notification_oldest_pending_seconds)", "oldest"),), width=8,
                  thresholds=(Threshold(None, "green"), Threshold(300, "red")), links=(OUTBOX,)),
            Panel("Deliveries per receiver",
                  "Messages delivered per second, by receiver.", "cps",
                  (Query(f"sum by (receiver) (rate(candor_notifications_sent_total[{RATE}]))", "{{receiver}}"),),
                  width=8),
            Panel("Delivery latency p95 per receiver",
                  "95th percentile of one delivery attempt, by receiver.", "s",
                  (Query(_p95("candor_notification_delivery_seconds", "receiver"), "{{receiver}}"),)),
            Panel("Delivery failures per receiver",
                  "Failed attempts, retries and dead letters per second, by receiver "
                  "(as the Alertmanager mixin shows per integration).", "cps",
                  (Query(f"sum by (receiver) (rate(candor_notifications_failed_total[{RATE}]))",
                         "{{receiver}} failed"),
                   Query(f"sum by (receiver) (rate(candor_notifications_dead_lettered_total[{RATE}]))",
                         "{{receiver}} dead-lettered")),
                  thresholds=(Threshold(None, "green"), Threshold(0.01, "red")), links=(OUTBOX,)),
        )),
        Row("HTTP API", (
            Panel("Requests by route and status", "Requests per second Candor answered.", "reqps",
                  (Query(f"sum by (route, status) (rate(candor_http_request_duration_seconds_count[{RATE}]))",
                         "{{route}} {{status}}"),), width=8),
            Panel("HTTP error ratio", "Share of requests answered 5xx.", "percentunit",
                  (Query(f'sum by (route) (rate(candor_http_request_duration_seconds_count{{status=~"5.."}}[{RATE}]))'
                         f" / ignoring(route) group_left sum(rate(candor_http_request_duration_seconds_count[{RATE}]))",
                         "{{route}}"),),
                  width=8, thresholds=(Threshold(None, "green"), Threshold(0.01, "red"))),
            Panel("Request latency p95 by route", "95th percentile of request duration.", "s",
                  (Query(_p95("candor_http_request_duration_seconds", "route"), "{{route}}"),), width=8),
        )),
        Row("Replicas", (
            Panel("Replicas up", "Candor processes whose /metrics answers (job=\"candor\").", "short",
                  (Query('sum(up{job="candor"})', "up"),), kind="stat", width=6,
                  thresholds=(Threshold(None, "red"), Threshold(1, "green"))),
            Panel("Leaders", "Replicas holding the leader lease: exactly 1 is healthy (0: no rule "
                  "is evaluated and nothing delivered; CandorNoLeader fires).", "short",
                  (Query("sum(candor_leader)", "leaders"),), kind="stat", width=6,
                  thresholds=(Threshold(None, "red"), Threshold(1, "green"), Threshold(2, "red"))),
            Panel("Leader by replica", "1 on the replica that holds the lease; a handover shows as "
                  "one line falling and another rising.", "short",
                  (Query("max by (instance) (candor_leader)", "{{instance}}"),), width=6, min=0, max=1),
            Panel("Leader epoch", "The newest leader epoch each replica has seen: one more at every "
                  "takeover.", "short",
                  (Query("max by (instance) (candor_leader_epoch)", "{{instance}}"),), width=6),
        )),
    ),
)
