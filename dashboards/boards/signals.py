"""Error signals: what apps record with the exporters library."""

from dashboards.boards.common import EVENTS, INCIDENTS, RATE, SERVICE
from dashboards.query import Query
from dashboards.spec import Board, Panel, Row, Threshold

SEL = 'service=~"$service"'
REQUESTS = "http_server_request_duration_seconds"

BOARD = Board(
    slug="error-signals",
    title="Candor / Error signals",
    description="Errors, error ratio and user reports the apps record with Candor's exporters "
                "library, by service, endpoint and kind, against the SLO error budgets.",
    variables=(SERVICE,),
    annotations=EVENTS,
    rows=(
        Row("Errors", (
            Panel("Error ratio by service",
                  "Share of requests answered 5xx over the rate interval; the dashed lines are "
                  "each SLO's error budget (1 - objective), the threshold alerts page on.",
                  "percentunit",
                  (Query(f'sum by (service) (rate({REQUESTS}_count{{{SEL}, http_response_status_code=~"5.."}}[{RATE}]))'
                         f" / sum by (service) (rate({REQUESTS}_count{{{SEL}}}[{RATE}]))", "{{service}}"),
                   Query(f"max by (service) (slo:error_budget:ratio{{{SEL}}})", "{{service}} SLO budget")),
                  thresholds=(Threshold(None, "green"), Threshold(0.05, "red")), min=0,
                  links=(INCIDENTS,)),
            Panel("Error rate by service",
                  "Errors recorded per second (candor_app_errors_total), by service.", "cps",
                  (Query(f"sum by (service) (rate(candor_app_errors_total{{{SEL}}}[{RATE}]))", "{{service}}"),)),
            Panel("Errors by endpoint",
                  "Errors per second by service and endpoint (route template).", "cps",
                  (Query(f"sum by (service, endpoint) (rate(candor_app_errors_total{{{SEL}}}[{RATE}]))",
                         "{{service}} {{endpoint}}"),)),
            Panel("Errors by kind",
                  "Errors per second by service and kind (timeout, cache_unavailable, …).", "cps",
                  (Query(f"sum by (service, kind) (rate(candor_app_errors_total{{{SEL}}}[{RATE}]))",
                         "{{service}} {{kind}}"),)),
        )),
        Row("Users", (
            Panel("User-visible errors",
                  "Errors the user saw (user_visible=\"true\"), per second by service and kind.", "cps",
                  (Query("sum by (service, kind) (rate(candor_app_errors_total"
                         f'{{{SEL}, user_visible="true"}}[{RATE}]))',
                         "{{service}} {{kind}}"),)),
            Panel("User reports",
                  "Problems users reported: recorded by the app (candor_app_user_reports_total) "
                  "and filed with Candor by support (candor_user_reports_total).", "cps",
                  (Query(f"sum by (service, kind) (rate(candor_app_user_reports_total{{{SEL}}}[{RATE}]))",
                         "app: {{service}} {{kind}}"),
                   Query(f"sum by (service) (rate(candor_user_reports_total{{{SEL}}}[{RATE}]))",
                         "filed: {{service}}")),
                  links=(INCIDENTS,)),
            Panel("Requests by service",
                  "Requests served per second, the denominator of the error ratio.", "reqps",
                  (Query(f"sum by (service) (rate({REQUESTS}_count{{{SEL}}}[{RATE}]))", "{{service}}"),)),
            Panel("Request latency p95 by service",
                  "95th percentile of request duration over the rate interval.", "s",
                  (Query(f"histogram_quantile(0.95, sum by (service, le) (rate({REQUESTS}_bucket{{{SEL}}}[{RATE}])))",
                         "{{service}}"),)),
        )),
    ),
)
