"""Instant queries in the shapes alert rules are usually made of, run without the general
evaluator's machinery (no :class:`~monitor.promql.engine.Evaluator`, no dispatch per
node): a group of 1,000 rules spends a good part of its time there otherwise.

Which queries qualify is decided once, in the query's plan
(:class:`~monitor.promql.plan.FastQuery`); they are run here only when the storage offers
window summaries (a :class:`~monitor.promql.storage.WindowStorage`); any other query goes
through the Evaluator. The steps are the evaluator's own functions (window rates,
aggregation, comparison, finishing the vector), so the two paths cannot drift apart; a
property test holds them equal.
"""

from __future__ import annotations

from monitor.promql.aggregation import reducer
from monitor.promql.errors import TOO_MANY_SAMPLES, EvalError
from monitor.promql.functions import window_rates
from monitor.promql.plan import FastQuery
from monitor.promql.storage import WindowStorage, window_samples
from monitor.promql.value import Sample, Vector, finish_vector

__all__ = ["run"]


def run(query: FastQuery, storage: WindowStorage, max_samples: int, t: int) -> Vector:
    """``query``'s finished instant vector at ``t`` (ms), read from ``storage``'s window
    summaries; more than ``max_samples`` samples in the windows fails as the evaluator
    would."""
    ref = t - query.offset_ms
    start = ref - query.range_ms
    windows = storage.select_windows(query.matchers, start + 1, ref)
    # A window holds at most one sample per millisecond: count only if that could pass
    # the limit.
    if (len(windows) * query.range_ms > max_samples
            and window_samples(windows) > max_samples):
        raise EvalError(TOO_MANY_SAMPLES)
    aggregation = query.aggregation
    groups = window_rates(windows, start, ref, query.range_ms, query.is_counter, query.is_rate,
                          aggregation.grouping() if aggregation is not None else None)
    compare, threshold = query.compare, query.threshold
    out = Vector()
    if aggregation is not None:
        reduce = reducer(aggregation.op)
        for key, vals in groups.items():
            v = reduce(vals)
            if compare is None or compare(v, threshold):
                out.append(Sample(key, v, t, True))
    else:
        for labels, (v,) in groups.items():
            if compare is None or compare(v, threshold):
                out.append(Sample(labels, v, t, True))
    return finish_vector(out, t) if out else out  # empty: the usual answer of an alert rule
