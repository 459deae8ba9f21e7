"""Incidents: what is open, what the alert intake did, how fast Candor's users respond."""

from dashboards.boards.common import EVENTS, INCIDENTS, OK_BAD, RATE, SEVERITY, STATUS, mean_time
from dashboards.query import Query
from dashboards.spec import Board, Link, Panel, Row, Threshold

SEL = 'severity=~"$severity"'
MILESTONES = (("detect", "detect (MTTD)"), ("acknowledge", "acknowledge (MTTA)"),
              ("fix", "fix"), ("resolve", "resolve (MTTR)"))
NOTICES = (("first_notice", "first notice"), ("correction", "correction"))


BOARD = Board(
    slug="incidents",
    title="Candor / Incidents",
    description="Open incidents by severity and state, what the alert intake did with each "
                "alert, response times (detect, acknowledge, resolve, first notice, correction) "
                "and notices past their deadline.",
    variables=(SEVERITY,),
    annotations=EVENTS,
    rows=(
        Row("Now", (
            Panel("Open incidents",
                  "Incidents not resolved or retracted, of the selected severities.", "short",
                  (Query(f"sum(candor_incidents_open{{{SEL}}})", "open"),), kind="stat", width=6,
                  thresholds=OK_BAD, links=(INCIDENTS, STATUS)),
            Panel("Incidents verifying",
                  "Incidents whose fix Candor is verifying from the signal now.", "short",
                  (Query("sum(candor_incidents_verifying)", "verifying"),), kind="stat", width=6,
                  links=(INCIDENTS,)),
            Panel("Notices overdue",
                  "Open incidents past a [comms.cadence] deadline: the first notice or the next "
                  "update is late (CandorNoticeOverdue fires on it).", "short",
                  (Query(f"sum by (severity, due) (candor_notices_overdue{{{SEL}}})",
                         "{{severity}} {{due}}"),), kind="stat", width=12,
                  thresholds=OK_BAD, links=(INCIDENTS,)),
            Panel("Open incidents by severity and state",
                  "Each line is one severity and lifecycle state; click a series for the list.",
                  "short",
                  (Query(f"sum by (severity, state) (candor_incidents_open{{{SEL}}}) > 0",
                         "{{severity}} {{state}}"),),
                  stacked=True, min=0,
                  links=(Link("Incidents in this state",
                              "${candor_url}/api/v1/incidents?state=${__field.labels.state}"
                              "&severity=${__field.labels.severity}", per_series=True),)),
            Panel("Transitions by target state",
                  "Lifecycle transitions per rate interval (acknowledged, fixing, verifying, "
                  "resolved, reopened …).", "short",
                  (Query(f"sum by (to) (increase(candor_incident_transitions_total[{RATE}]))", "{{to}}"),)),
        )),
        Row("Alert intake", (
            Panel("Alerts received by outcome",
                  "Alerts per second by source (engine, alertmanager …) and what the intake did: "
                  "new incident, grouped into an open one, deduplicated, silenced, resolved.",
                  "cps",
                  (Query(f"sum by (source, outcome) (rate(candor_alerts_received_total[{RATE}]))",
                         "{{source}} {{outcome}}"),), width=24),
        )),
        Row("Response times", (
            Panel("Mean time to detect, acknowledge, fix, resolve",
                  "Means over the incidents resolved in the dashboard's time range.", "s",
                  tuple(Query(mean_time(name, "$__range"), label, instant=True) for name, label in MILESTONES),
                  kind="stat", width=12),
            Panel("Mean time to first notice and to correction",
                  "Detected → first published notice, and → the first correction, over the "
                  "incidents resolved in the dashboard's time range.", "s",
                  tuple(Query(mean_time(name, "$__range"), label, instant=True) for name, label in NOTICES),
                  kind="stat", width=12, thresholds=(Threshold(None, "green"), Threshold(1800, "red"))),
            Panel("Response time trends (1-day rolling mean)",
                  "Mean time to each milestone over the incidents resolved in the last day.", "s",
                  tuple(Query(mean_time(name, "1d"), label, fixed_window="a daily rolling mean")
                        for name, label in MILESTONES + NOTICES), width=24),
        )),
    ),
)
