"""The ``[[slo]]`` config entries: one service-level objective each.

```toml
[[slo]]
name = "redirects-available"        # unique; the `slo` label of every generated series
service = "redirector"              # the `service` label (incidents group by it)
objective = 0.999                   # share of good events, 0 < objective < 1
window = "28d"                      # the error-budget period (at least 3d)
description = "Short links redirect"  # optional, shown in alert annotations
labels = { team = "links" }         # optional, added to every generated rule
[slo.sli]                           # bad + total, or good + total
bad = 'http_requests_total{job="redirector", code=~"5.."}'
total = 'http_requests_total{job="redirector"}'
```

An SLI expression is either a counter selector, which Candor wraps as
``sum(rate(<selector>[<window>]))``, or a full expression that uses ``$window`` where the
range goes, e.g. ``sum(rate(http_request_duration_seconds_bucket{le="0.3"}[$window]))``.
Each is parsed when the config loads, so a typo fails there, not at evaluation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, PrivateAttr, model_validator

from monitor.config.types import LabelName, Section, config_duration
from monitor.promql import ast
from monitor.promql.errors import ParseError
from monitor.promql.parser import parse_expr

__all__ = ["SLI", "SLO", "SLOList", "WINDOW_PLACEHOLDER", "expand"]

WINDOW_PLACEHOLDER = "$window"
RESERVED_LABELS = frozenset({"slo", "service", "severity", "long_window", "short_window",
                             "burn_rate", "__name__"})


def expand(expr: str, window: str) -> str:
    """The SLI expression over ``window``: ``$window`` replaced, or a selector wrapped."""
    if WINDOW_PLACEHOLDER in expr:
        return expr.replace(WINDOW_PLACEHOLDER, window)
    return f"sum(rate({expr.strip()}[{window}]))"


def _sli_expr(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty: write a counter selector such as "
                         "'http_requests_total{job=\"api\"}' or an expression with $window")
    checked = text if WINDOW_PLACEHOLDER not in text else expand(text, "5m")
    try:
        node = parse_expr(checked)
    except ParseError as exc:
        shown = "" if checked == text else f" once $window is replaced ({checked!r})"
        raise ValueError(f"{text!r} is not valid PromQL{shown}: {exc}") from None
    if WINDOW_PLACEHOLDER not in text:
        if not isinstance(node, ast.VectorSelector) or node.offset_ms or node.at:
            raise ValueError(f"{text!r} is neither a counter selector nor an expression using "
                             "$window for its range; write e.g. "
                             "'http_requests_total{code=~\"5..\"}' or "
                             "'sum(rate(http_requests_total{code=~\"5..\"}[$window]))'")
        return text
    if node.type != ast.VECTOR:
        raise ValueError(f"{text!r} must give an instant vector (like sum(rate(...))), "
                         f"not a {ast.TYPE_NAMES[node.type]}")
    return text


SLIExpr = Annotated[str, AfterValidator(_sli_expr)]


class SLI(Section):
    bad: SLIExpr | None = None
    good: SLIExpr | None = None
    total: SLIExpr

    @model_validator(mode="after")
    def _one_of_bad_or_good(self) -> SLI:
        if (self.bad is None) == (self.good is None):
            raise ValueError("set exactly one of `bad` or `good` (with `total`): the error "
                             "ratio is bad/total or 1 - good/total")
        return self


def _window(value: str) -> str:
    if config_duration(value) < timedelta(days=3):
        raise ValueError(f"{value!r} is shorter than 3d, the longest burn-rate alert window; "
                         "use the budget period you report on, typically '28d' or '30d'")
    return value


def _labels(value: dict[str, str]) -> dict[str, str]:
    clash = sorted(set(value) & RESERVED_LABELS)
    if clash:
        raise ValueError(f"label {clash[0]!r} is set by Candor on every generated rule; "
                         "choose another name")
    return value


class SLO(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    service: str = Field(min_length=1, max_length=200)
    objective: float = Field(gt=0, lt=1)
    window: Annotated[str, AfterValidator(_window)] = "28d"
    """The error-budget period as written: the generated rules say ``[28d]`` and "over 28d"
    in the user's own words, so the text is kept; ``period`` is its length."""
    description: str = ""
    labels: Annotated[dict[LabelName, str], AfterValidator(_labels)] = {}
    sli: SLI
    _period: timedelta = PrivateAttr(default=timedelta(days=28))

    @model_validator(mode="after")
    def _measure(self) -> SLO:
        self._period = config_duration(self.window)
        return self

    @property
    def period(self) -> timedelta:
        """``window`` as a ``timedelta``, parsed once at load."""
        return self._period


def _unique(slos: list[SLO]) -> list[SLO]:
    seen: set[str] = set()
    for slo in slos:
        if slo.name in seen:
            raise ValueError(f"SLO name {slo.name!r} is used twice; names must be unique")
        seen.add(slo.name)
    return slos


SLOList = Annotated[list[SLO], AfterValidator(_unique)]
"""The type of ``Settings.slo``: the entries, with unique names."""
