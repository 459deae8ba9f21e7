"""Numeric helpers shared by aggregations and functions."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from monitor.promql.kernels import kahan_inc, kahan_sum

_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([1e308, -1e308, 1e16, -1e16, 1.0, -0.0]))


@given(st.lists(_floats, min_size=1, max_size=12))
def test_kahan_sum_equals_kahan_inc_step_by_step(values: list[float]) -> None:
    """The inlined sum (the hot path of ``sum``) gives what Prometheus's kahanSumInc
    gives, overflow and NaN included."""
    s = c = 0.0
    for v in values:
        s, c = kahan_inc(v, s, c)
    reference = s if math.isinf(s) else s + c

    got = kahan_sum(values)
    assert repr(got) == repr(reference) or (math.isnan(got) and math.isnan(reference))
