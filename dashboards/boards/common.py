"""What several boards share: variables, Candor's events as annotations, links."""

from dashboards.spec import Annotation, Link, Threshold, Variable

RATE = "$__rate_interval"

SERVICE = Variable("service", "Service", "http_server_request_duration_seconds_count",
                   "The app's service label (exporters' Exporter(service))")
SEVERITY = Variable("severity", "Severity", "candor_incidents_open",
                    "Candor's incident severity (SEV1 … SEV4)")
SLO = Variable("slo", "SLO", "slo:objective:ratio", "An [[slo]] of Candor's config")

OPENED = Annotation("Incident opened", f'sum(increase(candor_alerts_received_total{{outcome="new"}}[{RATE}])) > 0',
                    "red", "incident opened")
RESOLVED = Annotation("Incident resolved",
                      f'sum(increase(candor_incident_transitions_total{{to="resolved"}}[{RATE}])) > 0',
                      "green", "incident resolved")
NOTICE = Annotation("Notice published",
                    f"sum(increase(candor_time_to_first_notice_seconds_count[{RATE}])) > 0",
                    "blue", "first notice published")
FIX = Annotation("Fix deployed",
                 f'sum by (service) (changes(candor_app_deploy_timestamp_seconds{{service=~"$service"}}[{RATE}])) > 0',
                 "purple", "release deployed")
VERDICT = Annotation("Verdict", f"sum by (outcome) (increase(candor_fix_verifications_total[{RATE}])) > 0",
                     "orange", "verification verdict")
EVENTS = (OPENED, NOTICE, FIX, VERDICT, RESOLVED)

INCIDENTS = Link("Candor incidents", "${candor_url}/api/v1/incidents")
STATUS = Link("Status page", "${candor_url}/status")
INCIDENT_PAGE = Link("Incident page", "${candor_url}/status/incidents/${__field.labels.fix}",
                     per_series=True)

OK_BAD = (Threshold(None, "green"), Threshold(1, "red"))


def mean_time(name: str, window: str) -> str:
    """Mean of ``candor_time_to_<name>_seconds`` over the incidents resolved in ``window``."""
    return (f"sum(increase(candor_time_to_{name}_seconds_sum[{window}]))"
            f" / sum(increase(candor_time_to_{name}_seconds_count[{window}]))")
