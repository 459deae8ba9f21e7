"""Random, valid PromQL over the synthetic data (:mod:`.data`), from a seed.

    gen = Generator(random.Random(7))
    gen.expression()      # 'sum by (job) (rate(http_requests_total{code!="500"}[5m] offset 1m))'

Every expression is well typed (an instant vector or a scalar at the top) and uses only
syntax both Prometheus 2.42 and Candor parse, except the functions and aggregations that
came after 2.42 (drawn rarely; see :mod:`.justified`). Nesting is 1 to 3 levels of
functions, aggregations, binary and set operators and subqueries around selectors with
every matcher, offsets and ``@``.
"""

from __future__ import annotations

import random

from tests.monitor.promql.differential.data import ODD_PATHS, T0

METRICS = {  # name -> (label -> values) its selectors may match on
    "http_requests_total": {"job": ["api", "web"], "instance": ["a:80", "b:80"],
                            "code": ["200", "500"]},
    "temperature": {"sensor": ["x", "y", "z", "w"], "room": ["lab", "hall"]},
    "odd_value": {"path": ODD_PATHS[:5], "kind": ["odd", "even"]},
    "up": {"job": ["api", "web"], "instance": ["a:80", "b:80"]},
    "request_seconds_bucket": {"job": ["api", "web"], "le": ["0.1", "1", "+Inf"]},
    "request_seconds_sum": {"job": ["api", "web"]},
    "request_seconds_count": {"job": ["api", "web"]},
    "broken_seconds_bucket": {"job": ["api", "web"], "le": ["0.5", "5", "+Inf"]},
    "job:requests:rate5m": {"job": ["api"]},
    "missing_metric": {"job": ["api"]},
}
REGEXES = ["a.*", ".*", ".+", "", "api|web", "(?i)API", "b.*|x", "new.line", ".*slash",
           "2..", "[ab]:80", "ü.*", "[^a].*"]
LABELS = ["job", "instance", "code", "le", "sensor", "room", "path", "kind", "__name__",
          "nope"]
RANGES = ["10s", "30s", "1m", "90s", "5m", "10m", "1h"]
OFFSETS = ["30s", "1m", "5m", "-1m", "90s"]
SUBQUERY_STEPS = ["", "10s", "30s", "1m", "45s", "2m"]
NUMBERS = ["0", "1", "2", "-1", "0.5", "10", "100", "-2.5", "1e3", "NaN", "Inf", "-Inf",
           "0.001", "3"]
QUANTILES = ["0", "0.5", "0.9", "0.99", "1", "-1", "2", "NaN", "0.25"]

SIMPLE_FUNCS = ["abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn",
                "timestamp", "sort", "sort_desc", "deg", "rad", "sin", "cos", "tan", "asin",
                "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "absent"]
DATE_FUNCS = ["hour", "minute", "month", "year", "day_of_month", "day_of_week",
              "day_of_year", "days_in_month"]
RANGE_FUNCS = ["rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets",
               "avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
               "count_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
               "present_over_time", "absent_over_time"]
#: Functions Prometheus added after 2.42 (Candor has them): drawn rarely.
NEWER_RANGE_FUNCS = ["mad_over_time", "first_over_time", "ts_of_max_over_time",
                     "ts_of_min_over_time", "ts_of_last_over_time", "ts_of_first_over_time"]
NEWER_VECTOR_FUNCS = ["histogram_avg", "histogram_count", "histogram_sum",
                      "histogram_stddev", "histogram_stdvar"]
AGGREGATIONS = ["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar"]
PARAM_AGGREGATIONS = ["topk", "bottomk", "quantile", "count_values"]
ARITHMETIC = ["+", "-", "*", "/", "%", "^"]
COMPARISON = ["==", "!=", ">", "<", ">=", "<="]
SET_OPS = ["and", "or", "unless"]


def quote_meta(text: str) -> str:
    """Go's ``regexp.QuoteMeta``: ``text`` as a regex matching itself."""
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in text)


class Generator:
    """Draws expressions from ``rng``; ``at_times`` are the numeric ``@`` timestamps
    it may use (seconds)."""

    def __init__(self, rng: random.Random, at_times: list[str] | None = None) -> None:
        self.rng = rng
        self.at_times = at_times or [f"{T0 + 1800}", f"{T0 + 1234}.567", f"{T0 + 3599}.5",
                                     f"{T0 + 600}"]

    # ---- helpers -------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options: list[str]) -> str:
        return self.rng.choice(options)

    @staticmethod
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    # ---- entry point -----------------------------------------------------------------
    def expression(self) -> str:
        """An instant vector (mostly) or a scalar, nested 1 to 3 deep."""
        depth = self.rng.randint(1, 3)
        if self.chance(0.08):
            return self.scalar(depth)
        return self.vector(depth)

    # ---- selectors -------------------------------------------------------------------
    def matchers(self, metric: str) -> list[str]:
        labels = METRICS[metric]
        out = []
        for _ in range(self.rng.choice([0, 0, 1, 1, 2])):
            name = self.pick(list(labels))
            op = self.pick(["=", "!=", "=~", "!~"])
            if op in ("=~", "!~"):
                value = self.pick(REGEXES + [quote_meta(v) for v in labels[name]])
            else:
                value = self.pick([*labels[name], "", "other"])
            out.append(f"{name}{op}{self.quote(value)}")
        return out

    def selector(self) -> str:
        metric = self.pick(list(METRICS))
        matchers = self.matchers(metric)
        if self.chance(0.1):  # the name as a matcher
            op, value = self.rng.choice([("=", metric), ("=~", "http_.*|up"),
                                         ("=~", ".*_seconds_.*"), ("=~", "temp.*|odd_value")])
            return "{" + ", ".join([f"__name__{op}{self.quote(value)}", *matchers]) + "}"
        return metric + ("{" + ", ".join(matchers) + "}" if matchers or self.chance(0.05)
                         else "")

    def modifiers(self, allow_at: bool = True) -> str:
        out = ""
        if self.chance(0.15):
            out += " offset " + self.pick(OFFSETS)
        if allow_at and self.chance(0.12):
            out += " @ " + self.pick([*self.at_times, "start()", "end()"])
        return out

    def instant_selector(self) -> str:
        return self.selector() + self.modifiers()

    def range_vector(self, depth: int) -> str:
        """A range selector or, below the top, sometimes a subquery."""
        if depth > 0 and self.chance(0.2):
            inner = self.vector(depth - 1)
            step = self.pick(SUBQUERY_STEPS)
            return f"({inner})[{self.pick(RANGES[2:6])}:{step}]" + self.modifiers()
        rng = self.pick(RANGES)
        if self.chance(0.08):  # `@ start()`/`@ end()` may come before the range
            return f"{self.selector()} @ {self.pick(['start()', 'end()'])}[{rng}]"
        return f"{self.selector()}[{rng}]{self.modifiers()}"

    # ---- scalars ---------------------------------------------------------------------
    def number(self) -> str:
        return self.pick(NUMBERS)

    def scalar(self, depth: int) -> str:
        if depth <= 0:
            return self.number() if self.chance(0.85) else self.pick(["time()", "pi()"])
        kind = self.rng.random()
        if kind < 0.35:
            return f"scalar({self.vector(depth - 1)})"
        if kind < 0.6:
            op = self.pick(ARITHMETIC + COMPARISON[:0])
            return f"({self.scalar(depth - 1)} {op} {self.scalar(depth - 1)})"
        if kind < 0.7:
            return f"-{self.scalar(depth - 1)}"
        if kind < 0.8:
            return f"{self.scalar(depth - 1)} {self.pick(COMPARISON)} bool {self.number()}"
        return self.scalar(0)

    # ---- instant vectors ----------------------------------------------------------------
    def vector(self, depth: int) -> str:
        if depth <= 0:
            return self.instant_selector() if self.chance(0.9) else f"vector({self.scalar(0)})"
        kind = self.rng.random()
        if kind < 0.22:
            return self.range_call(depth)
        if kind < 0.36:
            return self.instant_call(depth)
        if kind < 0.56:
            return self.aggregation(depth)
        if kind < 0.74:
            return self.binary(depth)
        if kind < 0.82:
            return self.set_operation(depth)
        if kind < 0.87:
            return self.histogram(depth)
        if kind < 0.9:
            return f"-{self.vector(depth - 1)}"
        if kind < 0.93:
            return f"({self.vector(depth - 1)})"
        return self.vector(depth - 1)

    def range_call(self, depth: int) -> str:
        arg = self.range_vector(depth - 1)
        roll = self.rng.random()
        if roll < 0.04:
            return f"{self.pick(NEWER_RANGE_FUNCS)}({arg})"
        if roll < 0.1:
            return f"quantile_over_time({self.pick(QUANTILES)}, {arg})"
        if roll < 0.15:
            return f"predict_linear({arg}, {self.pick(['0', '60', '-300', '3600'])})"
        return f"{self.pick(RANGE_FUNCS)}({arg})"

    def instant_call(self, depth: int) -> str:
        arg = self.vector(depth - 1)
        roll = self.rng.random()
        if roll < 0.35:
            return f"{self.pick(SIMPLE_FUNCS)}({arg})"
        if roll < 0.45:
            fn = self.pick(["clamp_min", "clamp_max"])
            return f"{fn}({arg}, {self.scalar(0)})"
        if roll < 0.5:
            return f"clamp({arg}, {self.scalar(0)}, {self.scalar(0)})"
        if roll < 0.56:
            to = f", {self.pick(['1', '0.5', '10', '-2', '0.3'])}" if self.chance(0.6) else ""
            return f"round({arg}{to})"
        if roll < 0.66:
            dst = self.pick(["dst", "job", "le", "__name__", "path"])
            src = self.pick(LABELS)
            regex = self.pick(["(.*)", "(.+):80", "", "a(.*)", "(.)(.)?.*", "new.line",
                               "x|(y)", ".*(i).*"])
            repl = self.pick(["$1", "${1}x", "static", "", "$2-$1"])
            return (f"label_replace({arg}, {self.quote(dst)}, {self.quote(repl)}, "
                    f"{self.quote(src)}, {self.quote(regex)})")
        if roll < 0.72:
            dst = self.pick(["dst", "job", "le", "__name__"])
            srcs = ", ".join(self.quote(self.pick(LABELS)) for _ in range(self.rng.randint(0, 3)))
            sep = self.pick(["-", "", ",", "__"])
            return (f"label_join({arg}, {self.quote(dst)}, {self.quote(sep)}"
                    + (f", {srcs})" if srcs else ")"))
        if roll < 0.8:
            fn = self.pick(DATE_FUNCS)
            return f"{fn}({arg})" if self.chance(0.7) else f"{fn}()"
        if roll < 0.84:
            return f"{self.pick(NEWER_VECTOR_FUNCS)}({arg})"
        if roll < 0.9:
            return f"vector({self.scalar(depth - 1)})"
        if roll < 0.94:
            return f"histogram_fraction({self.scalar(0)}, {self.scalar(0)}, {arg})"
        return f"{self.pick(SIMPLE_FUNCS[:10])}({arg})"

    def grouping(self) -> str:
        if self.chance(0.35):
            return ""
        names = ", ".join(self.rng.sample(LABELS, self.rng.randint(0, 3)))
        return f" {self.pick(['by', 'without'])} ({names})"

    def aggregation(self, depth: int) -> str:
        arg = self.vector(depth - 1)
        grouping = self.grouping()
        roll = self.rng.random()
        if roll < 0.05:
            op = self.pick(["limitk", "limit_ratio"])
            param = self.pick(["1", "2", "0.5", "-0.5"])
        elif roll < 0.35:
            op = self.pick(PARAM_AGGREGATIONS)
            if op == "count_values":
                param = self.quote(self.pick(["value", "le", "job", "v"]))
            elif op == "quantile":
                param = self.pick(QUANTILES)
            else:
                param = self.pick(["1", "2", "3", "0", "-1", "1.5", "scalar(up)"])
        else:
            op, param = self.pick(AGGREGATIONS), ""
        args = f"{param}, {arg}" if param else arg
        if grouping and self.chance(0.5):
            return f"{op}{grouping} ({args})"
        return f"{op}({args}){grouping}"

    def matching(self) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return ""
        names = ", ".join(self.rng.sample(["job", "instance", "code", "le", "sensor", "path"],
                                          self.rng.randint(0, 2)))
        mod = f" {self.pick(['on', 'ignoring'])}({names})"
        if roll > 0.75:
            extra = ", ".join(self.rng.sample(["job", "instance", "code", "le"],
                                              self.rng.randint(0, 1)))
            mod += f" {self.pick(['group_left', 'group_right'])}({extra})"
        return mod

    def binary(self, depth: int) -> str:
        roll = self.rng.random()
        op = self.pick(ARITHMETIC + COMPARISON)
        bool_ = " bool" if op in COMPARISON and self.chance(0.4) else ""
        if roll < 0.45:  # vector op scalar (or scalar op vector)
            vec, sc = self.vector(depth - 1), self.scalar(max(0, depth - 2))
            return f"{vec} {op}{bool_} {sc}" if self.chance(0.7) else f"{sc} {op}{bool_} {vec}"
        if roll < 0.7:  # the same series on both sides, transformed
            plain = self.selector()
            base = plain + self.modifiers()
            lhs = self.pick([f"rate({plain}[5m])", base, f"abs({base})",
                             f"sum by (job) ({base})"])
            rhs = self.pick([base, f"{plain} offset 1m", f"sum by (job) ({base})",
                             f"count by (job, instance) ({base})"])
            return f"{lhs} {op}{bool_}{self.matching()} {rhs}"
        lhs, rhs = self.vector(depth - 1), self.vector(depth - 1)
        return f"({lhs}) {op}{bool_}{self.matching()} ({rhs})"

    def set_operation(self, depth: int) -> str:
        lhs, rhs = self.vector(depth - 1), self.vector(depth - 1)
        mod = ""
        if self.chance(0.5):
            names = ", ".join(self.rng.sample(["job", "instance", "code", "le", "sensor"],
                                              self.rng.randint(0, 2)))
            mod = f" {self.pick(['on', 'ignoring'])}({names})"
        return f"({lhs}) {self.pick(SET_OPS)}{mod} ({rhs})"

    def histogram(self, depth: int) -> str:
        name = self.pick(["request_seconds_bucket", "request_seconds_bucket",
                          "broken_seconds_bucket"])
        q = self.pick(QUANTILES)
        window = self.pick(["1m", "5m", "10m"])
        inner = self.pick([
            f"rate({name}[{window}])",
            f"sum by (le) (rate({name}[{window}]))",
            f"sum by (le, job) (increase({name}[{window}]))",
            name,
            f"{name}{{job=\"api\"}} offset 5m",
            self.vector(depth - 1),
        ])
        return f"histogram_quantile({q}, {inner})"
