"""Fix verification: fixes deployed, verdicts, time to verify, regressions."""

from dashboards.boards.common import EVENTS, INCIDENT_PAGE, INCIDENTS, RATE, SERVICE, mean_time
from dashboards.query import Query
from dashboards.spec import Board, Panel, Row, Threshold

SEL = 'service=~"$service"'

BOARD = Board(
    slug="fix-verification",
    title="Candor / Fix verification",
    description="Fixes deployed (from the exporters' release marker), Candor's verdicts on "
                "them from the signal, how long verification takes, and regressions.",
    variables=(SERVICE,),
    annotations=EVENTS,
    rows=(
        Row("Fixes", (
            Panel("Releases live, by fix",
                  "The live release of each service (candor_app_release_info); a fix label names "
                  "the incident it fixes: click the series for the incident page.", "short",
                  (Query(f"max by (service, release, fix) (candor_app_release_info{{{SEL}}})",
                         "{{service}} {{release}} {{fix}}"),), links=(INCIDENT_PAGE,)),
            Panel("Deploys",
                  "Releases deployed per rate interval (changes of "
                  "candor_app_deploy_timestamp_seconds).", "short",
                  (Query(f"sum by (service) (changes(candor_app_deploy_timestamp_seconds{{{SEL}}}[{RATE}]))",
                         "{{service}}"),)),
            Panel("Verdicts by outcome",
                  "Candor's verdicts on deployed fixes (verified, regressed, inconclusive, "
                  "error) per rate interval.", "short",
                  (Query(f"sum by (outcome) (increase(candor_fix_verifications_total[{RATE}]))",
                         "{{outcome}}"),), links=(INCIDENTS,)),
            Panel("Verdicts in range",
                  "Verdicts by outcome over the dashboard's time range.", "short",
                  (Query("sum by (outcome) (increase(candor_fix_verifications_total[$__range]))",
                         "{{outcome}}", instant=True),), kind="stat"),
        )),
        Row("Verification", (
            Panel("Incidents verifying", "Incidents in the verifying state now.", "short",
                  (Query("sum(candor_incidents_verifying)", "verifying"),), kind="stat", width=6),
            Panel("Mean time to verify", "First fix deployed → verified, over the incidents "
                  "resolved in the dashboard's time range.", "s",
                  (Query(mean_time("verify", "$__range"), "verify", instant=True),), kind="stat", width=6),
            Panel("Mean time to fix", "Detected → first fix deployed, over the incidents "
                  "resolved in the dashboard's time range.", "s",
                  (Query(mean_time("fix", "$__range"), "fix", instant=True),), kind="stat", width=6),
            Panel("Regressions by service",
                  "Fixes Candor judged regressed (the errors did not stop), over the range.", "short",
                  (Query(f"sum by (service) (increase(candor_regressions_total{{{SEL}}}[$__range]))",
                         "{{service}}", instant=True),), kind="stat", width=6,
                  thresholds=(Threshold(None, "green"), Threshold(1, "red"))),
        )),
    ),
)
