"""SLOs and error budgets, over the recording rules Candor generates from ``[[slo]]``
(``monitor.slo.rules``): SLI against objective, budget remaining, the four burn-rate
windows of the multiwindow, multi-burn-rate alerts (as Sloth and Pyrra show them)."""

from dashboards.boards.common import EVENTS, INCIDENTS, SERVICE, SLO
from dashboards.query import Query
from dashboards.spec import Board, Panel, Row, Threshold
from monitor.slo.rules import BURN_RATES

SEL = 'slo=~"$slo", service=~"$service"'


def _burn(window: str) -> str:
    return (f"sum by (slo) (slo:sli_error:ratio_rate{window}{{{SEL}}})"
            f" / sum by (slo) (slo:error_budget:ratio{{{SEL}}})")


BURN_PANELS = tuple(
    Panel(f"Burn rate {burn.factor}x: {burn.long} and {burn.short} ({burn.severity})",
          f"How many times faster than allowed the error budget burns over {burn.long} and "
          f"{burn.short}; ErrorBudgetBurn ({burn.severity}) fires when both are above "
          f"{burn.factor}.", "none",
          (Query(_burn(burn.long), "{{slo}} " + burn.long), Query(_burn(burn.short), "{{slo}} " + burn.short)),
          thresholds=(Threshold(None, "green"), Threshold(float(burn.factor), "red")), min=0, width=6)
    for burn in BURN_RATES)

BOARD = Board(
    slug="slos",
    title="Candor / SLOs and error budgets",
    description="Per SLO of Candor's config: the SLI against its objective, the error budget "
                "left over the SLO window, and the four burn-rate windows its alerts use.",
    variables=(SERVICE, SLO),
    annotations=EVENTS,
    rows=(
        Row("Objective", (
            Panel("SLI vs objective",
                  "Success ratio over 5 minutes (1 - slo:sli_error:ratio_rate5m) against the "
                  "objective.", "percentunit",
                  (Query(f"1 - max by (slo) (slo:sli_error:ratio_rate5m{{{SEL}}})", "{{slo}} SLI"),
                   Query(f"max by (slo) (slo:objective:ratio{{{SEL}}})", "{{slo}} objective")),
                  max=1, links=(INCIDENTS,)),
            Panel("Error budget remaining",
                  "Share of the window's error budget left (1 = untouched, 0 = spent, "
                  "below 0 = overspent).", "percentunit",
                  (Query(f"max by (slo) (slo:error_budget_remaining:ratio{{{SEL}}})", "{{slo}}",
                         instant=True),),
                  kind="stat", width=6,
                  thresholds=(Threshold(None, "red"), Threshold(0, "orange"), Threshold(0.25, "green"))),
            Panel("Error budget remaining over time",
                  "The same, as it moves: a steep fall is a fast burn.", "percentunit",
                  (Query(f"max by (slo) (slo:error_budget_remaining:ratio{{{SEL}}})", "{{slo}}"),),
                  width=6, thresholds=(Threshold(None, "red"), Threshold(0, "green"))),
        )),
        Row("Burn rates", BURN_PANELS),
    ),
)
