"""Recording rules and multiwindow, multi-burn-rate alerts for SLOs (Google SRE workbook,
chapter 5, "Alerting on SLOs"), as Prometheus rule-file groups.

    groups = generate(settings.slo)            # [{"name": "slo-redirects", "rules": [...]}]
    yaml_text = render(settings.slo)           # a rule file promtool accepts
    rule_groups = slo_groups(settings)         # monitor.rules.manager: parsed, for the engine / export

Per SLO, one group (recording rules first, so the alerts in the same group read this
evaluation's values):

==========================================  =============================================
``slo:sli_error:ratio_rate<w>``             error ratio over w = 5m, 30m, 1h, 2h, 6h, 1d, 3d
``slo:objective:ratio``                     the objective, e.g. 0.999
``slo:error_budget:ratio``                  1 - objective, e.g. 0.001
``slo:sli_error:ratio_period``              mean of the 5m ratio over the SLO window
``slo:error_budget_remaining:ratio``        1 - period ratio / budget (1 = untouched,
                                            0 = spent, below 0 = overspent)
``ErrorBudgetBurn`` (4 alerting rules)      14.4x over 1h and 5m -> page; 6x over 6h and
                                            30m -> page; 3x over 1d and 2h -> ticket;
                                            1x over 3d and 6h -> ticket
==========================================  =============================================

Every series and alert carries ``slo``, ``service`` and the SLO's ``labels``; alerts add
``severity``, ``long_window`` and ``short_window``. The long window measures that enough
budget is being spent; the short one (1/12 of it) that it is still happening, so alerts
reset minutes after a burn stops. ``severity="page"`` maps to SEV2 in the default
``routing.severity_map``; ``"ticket"`` gets ``incidents.default_severity``.

The period ratio averages the 5-minute ratios (as Sloth does), so it is not weighted by
traffic, and it only sees as far back as ``signals.retention``. If the ``bad`` counter
does not exist yet (no error ever counted), the ratios are empty rather than 0: create
the counter at 0 when the app starts (the ``exporters`` library does).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import yaml

from monitor.config.slo import SLO, expand
from monitor.durations import format_duration, parse_duration

__all__ = ["ALERT", "BURN_RATES", "RATE_WINDOWS", "SOURCE", "BurnRate", "generate", "render"]

SOURCE = "candor-slo.yml"
"""The ``file`` the generated groups report, and the name ``candor rules export`` writes."""
ALERT = "ErrorBudgetBurn"
RATE_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


class BurnRate(NamedTuple):
    factor: str
    long: str
    short: str
    severity: str


BURN_RATES = (
    BurnRate("14.4", "1h", "5m", "page"),
    BurnRate("6", "6h", "30m", "page"),
    BurnRate("3", "1d", "2h", "ticket"),
    BurnRate("1", "3d", "6h", "ticket"),
)


def _decimal(value: float) -> str:
    return format(Decimal(repr(value)).normalize(), "f")


def _ratio(slo: SLO, window: str) -> str:
    total = expand(slo.sli.total, window)
    if slo.sli.bad is not None:
        return f"({expand(slo.sli.bad, window)}) / ({total})"
    assert slo.sli.good is not None
    return f"1 - (({expand(slo.sli.good, window)}) / ({total}))"


def _percent(value: Decimal) -> str:
    return f"{float(value * 100):.3g}%"


def _seconds(duration: timedelta) -> Decimal:
    return Decimal(int(duration.total_seconds()))


def _group(slo: SLO) -> dict[str, Any]:
    labels = {**slo.labels, "service": slo.service, "slo": slo.name}
    budget = Decimal(1) - Decimal(repr(slo.objective))
    window = slo.window
    period_s = _seconds(slo.period)
    sel = f'{{slo="{slo.name}"}}'
    what = slo.description or slo.name
    rules: list[dict[str, Any]] = [
        {"record": f"slo:sli_error:ratio_rate{w}", "expr": _ratio(slo, w), "labels": labels}
        for w in RATE_WINDOWS]
    rules += [
        {"record": "slo:objective:ratio", "expr": f"vector({_decimal(slo.objective)})",
         "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector({budget})", "labels": labels},
        {"record": "slo:sli_error:ratio_period",
         "expr": f"avg_over_time(slo:sli_error:ratio_rate5m{sel}[{window}])", "labels": labels},
        {"record": "slo:error_budget_remaining:ratio",
         "expr": f"1 - (slo:sli_error:ratio_period{sel} / {budget})", "labels": labels},
    ]
    for burn in BURN_RATES:
        threshold = f"({burn.factor} * {budget})"
        spent = Decimal(burn.factor) * _seconds(parse_duration(burn.long)) / period_s
        empty_in = format_duration(float(period_s / Decimal(burn.factor)))
        rules.append({
            "alert": ALERT,
            "expr": (f"slo:sli_error:ratio_rate{burn.long}{sel} > {threshold} and "
                     f"slo:sli_error:ratio_rate{burn.short}{sel} > {threshold}"),
            "labels": {**labels, "severity": burn.severity, "long_window": burn.long,
                       "short_window": burn.short},
            "annotations": {
                "summary": f"{{{{ $labels.service }}}}: {what} is burning its error budget "
                           f"{burn.factor}x too fast",
                "description": (
                    f"SLO {slo.name} ({_percent(Decimal(repr(slo.objective)))} over {window}): "
                    f"the error ratio over the last {burn.long} and {burn.short} is above "
                    f"{burn.factor} x the budget of {_percent(budget)}. The last {burn.long} "
                    f"spent at least {_percent(spent)} of the {window} error budget; at this "
                    f"rate all of it is gone in {empty_in}."),
            },
        })
    return {"name": f"slo-{slo.name}", "rules": rules}


def generate(slos: Iterable[SLO]) -> list[dict[str, Any]]:
    """One rule group per SLO, as the dicts of a Prometheus rule file's ``groups``."""
    return [_group(slo) for slo in slos]


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(slos: Iterable[SLO]) -> str:
    """The groups as rule-file YAML (``promtool check rules`` accepts it)."""
    return yaml.dump({"groups": generate(slos)}, Dumper=_NoAliases, sort_keys=False,
                     allow_unicode=True, width=100)

