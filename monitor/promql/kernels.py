"""Numeric kernels of PromQL: element-wise math, ``*_over_time``, rate extrapolation,
quantiles, classic-histogram quantiles, Kahan sums, natural sort keys and the label-set
hash. Pure functions over plain floats and lists; the PromQL functions in
:mod:`monitor.promql.functions` and the aggregations apply them to series.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

NAN = math.nan
INF = math.inf


def kahan_inc(inc: float, s: float, c: float) -> tuple[float, float]:
    """Neumaier-compensated addition, as Prometheus's ``kahansum.Inc``."""
    t = s + inc
    if math.isinf(t):
        c = 0.0
    elif abs(s) >= abs(inc):
        c += (s - t) + inc
    else:
        c += (inc - t) + s
    return t, c


def kahan_sum(values: Sequence[float]) -> float:
    """Neumaier-compensated sum: :func:`kahan_inc` over ``values``, inlined (hot path).

    :func:`kahan_inc` zeroes the compensation once the sum overflows; here that step is
    left out: an infinite running sum stays infinite or turns NaN, and then the result
    is that sum whatever the compensation holds."""
    s = c = 0.0
    for v in values:
        t = s + v
        if abs(s) >= abs(v):
            c += (s - t) + v
        else:
            c += (v - t) + s
        s = t
    return s if math.isinf(s) else s + c


# -- binary operators ------------------------------------------------------

def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return NAN
        neg = (a < 0) != (math.copysign(1.0, b) < 0)
        return -INF if neg else INF


def _mod(a: float, b: float) -> float:
    try:
        return math.fmod(a, b)
    except ValueError:
        return NAN


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        if a < 0 and b == int(b) and int(b) % 2 == 1:
            return -INF
        return INF
    except ValueError:
        if a == 0 and b < 0:
            # Go's math.Pow: ±0 to an odd negative integer is ±Inf, else +Inf.
            odd = b == int(b) and int(b) % 2 == 1
            return math.copysign(INF, a) if odd else INF
        return NAN


def _atan2(a: float, b: float) -> float:
    return math.atan2(a, b)


ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "%": _mod,
    "^": _pow,
    "atan2": _atan2,
}
COMPARISON: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


# -- element-wise functions -------------------------------------------------

def _safe(fn: Callable[[float], float], on_domain: float = NAN) -> Callable[[float], float]:
    def wrapped(v: float) -> float:
        try:
            return fn(v)
        except OverflowError:
            return INF
        except ValueError:
            return on_domain

    return wrapped


def _log(fn: Callable[[float], float]) -> Callable[[float], float]:
    def wrapped(v: float) -> float:
        if v == 0:
            return -INF
        if v < 0 or v != v:
            return NAN
        return fn(v)

    return wrapped


def _sgn(v: float) -> float:
    if v < 0:
        return -1.0
    if v > 0:
        return 1.0
    return v


def _floor(v: float) -> float:
    """Go's ``math.Floor``: a zero result keeps the sign of ``v`` (``floor(-0) = -0``)."""
    if not math.isfinite(v):
        return v
    r = float(math.floor(v))
    return math.copysign(r, v) if r == 0 else r


def _ceil(v: float) -> float:
    """Go's ``math.Ceil``: ``ceil(-0.5) = -0``."""
    if not math.isfinite(v):
        return v
    r = float(math.ceil(v))
    return math.copysign(r, v) if r == 0 else r


def go_max(x: float, y: float) -> float:
    """Go's ``math.Max``: +Inf wins even over NaN, then NaN wins; ``max(-0, +0) = +0``."""
    if x == INF or y == INF:
        return INF
    if x != x or y != y:
        return NAN
    if x == 0 and y == 0:
        return x if math.copysign(1.0, x) > 0 else y
    return x if x > y else y


def go_min(x: float, y: float) -> float:
    """Go's ``math.Min``: -Inf wins even over NaN, then NaN wins; ``min(-0, +0) = -0``."""
    if x == -INF or y == -INF:
        return -INF
    if x != x or y != y:
        return NAN
    if x == 0 and y == 0:
        return x if math.copysign(1.0, x) < 0 else y
    return x if x < y else y


def _exp_half(a: float) -> float:
    """Go's ``Exp(a) * 0.5``: ``Exp`` overflows to +Inf above ~709.78, before the halving
    would bring the value back into range."""
    try:
        return math.exp(a) * 0.5
    except OverflowError:
        return INF


def _sinh(v: float) -> float:
    """Go's ``math.Sinh``: ``Exp(|v|) * 0.5`` with ``v``'s sign beyond 21, so it is ±Inf
    from ~709.78 on (where ``math.sinh`` is still finite up to ~710.47, and raises past
    it whatever the sign)."""
    if abs(v) > 21:
        return math.copysign(_exp_half(abs(v)), v)
    return math.sinh(v)


def _cosh(v: float) -> float:
    """Go's ``math.Cosh``: ``Exp(|v|) * 0.5`` beyond 21 (+Inf from ~709.78 on)."""
    if abs(v) > 21:
        return _exp_half(abs(v))
    return math.cosh(v)


def _acosh(v: float) -> float:
    return math.acosh(v) if v >= 1 else NAN


def _atanh(v: float) -> float:
    if v == 1:
        return INF
    if v == -1:
        return -INF
    return math.atanh(v) if -1 < v < 1 else NAN


SIMPLE: dict[str, Callable[[float], float]] = {
    "abs": abs,
    "ceil": _ceil,
    "floor": _floor,
    "exp": _safe(math.exp),
    "sqrt": _safe(math.sqrt),
    "ln": _log(math.log),
    "log2": _log(math.log2),
    "log10": _log(math.log10),
    "sin": _safe(math.sin),
    "cos": _safe(math.cos),
    "tan": _safe(math.tan),
    "asin": _safe(math.asin),
    "acos": _safe(math.acos),
    "atan": _safe(math.atan),
    "sinh": _sinh,
    "cosh": _cosh,
    "tanh": _safe(math.tanh),
    "asinh": _safe(math.asinh),
    "acosh": _acosh,
    "atanh": _atanh,
    "deg": lambda v: v * 180 / math.pi,
    "rad": lambda v: v * math.pi / 180,
    "sgn": _sgn,
}


def round_to(v: float, to_nearest: float) -> float:
    inv = _div(1.0, to_nearest)
    x = v * inv + 0.5
    return _div(float(math.floor(x)) if math.isfinite(x) else x, inv)


# Go's time arithmetic (time.Unix(int64(v), 0).UTC(), as Prometheus's date functions do),
# so any value has a date, as in Prometheus: the proleptic Gregorian calendar over all of
# int64, and Go's float-to-int64 conversion on amd64 (NaN and out-of-range values become
# -2**63). Python's datetime stops at year 9999.
_UNIX_TO_ABSOLUTE = 9_223_372_028_715_321_600  # Go: unixToInternal + internalToAbsolute
_ABSOLUTE_ZERO_YEAR = -292_277_022_399
_DAYS_BEFORE = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365)
_DAYS_PER_400Y, _DAYS_PER_100Y, _DAYS_PER_4Y = 365 * 400 + 97, 365 * 100 + 24, 365 * 4 + 1


def go_int64(v: float) -> int:
    """Go's ``int64(v)`` on amd64: truncation; NaN and values out of range are -2**63."""
    if v != v or v >= 2.0**63 or v < -(2.0**63):
        return -(2**63)
    return int(v)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class GoDate:
    """The UTC calendar fields Go's ``time`` gives ``time.Unix(sec, 0)``."""

    __slots__ = ("day", "hour", "minute", "month", "weekday", "year", "yday")

    def __init__(self, sec: int) -> None:
        ab = (sec + _UNIX_TO_ABSOLUTE) % 2**64  # Go's Time.abs(): int64 wraps, then uint64
        d = ab // 86400
        n = d // _DAYS_PER_400Y
        y = 400 * n
        d -= _DAYS_PER_400Y * n
        n = d // _DAYS_PER_100Y
        n -= n >> 2
        y += 100 * n
        d -= _DAYS_PER_100Y * n
        n = d // _DAYS_PER_4Y
        y += 4 * n
        d -= _DAYS_PER_4Y * n
        n = d // 365
        n -= n >> 2
        y += n
        d -= 365 * n
        self.year = y + _ABSOLUTE_ZERO_YEAR
        self.yday = d  # 0-based
        day = d
        self.month = 0
        if _is_leap(self.year):
            if day == 31 + 29 - 1:
                self.month, self.day = 2, 29
            elif day > 31 + 29 - 1:
                day -= 1
        if self.month == 0:
            month = day // 31
            end = _DAYS_BEFORE[month + 1]
            if day >= end:
                month += 1
                begin = end
            else:
                begin = _DAYS_BEFORE[month]
            self.month, self.day = month + 1, day - begin + 1
        self.hour = (ab % 86400) // 3600
        self.minute = (ab % 3600) // 60
        self.weekday = ((ab + 86400) % 604800) // 86400  # Sunday = 0

    def days_in_month(self) -> int:
        if self.month == 2:
            return 29 if _is_leap(self.year) else 28
        return _DAYS_BEFORE[self.month] - _DAYS_BEFORE[self.month - 1]


def _date(fn: Callable[[GoDate], float]) -> Callable[[float], float]:
    def wrapped(v: float) -> float:
        return float(fn(GoDate(go_int64(v))))

    return wrapped


DATE: dict[str, Callable[[float], float]] = {
    "day_of_month": _date(lambda d: d.day),
    "day_of_week": _date(lambda d: d.weekday),
    "day_of_year": _date(lambda d: d.yday + 1),
    "days_in_month": _date(lambda d: d.days_in_month()),
    "hour": _date(lambda d: d.hour),
    "minute": _date(lambda d: d.minute),
    "month": _date(lambda d: d.month),
    "year": _date(lambda d: d.year),
}


# -- quantiles ------------------------------------------------------------

def _nan_first_key(v: float) -> tuple[int, float]:
    return (0, 0.0) if v != v else (1, v)


def quantile(q: float, values: list[float]) -> float:
    """Prometheus ``quantile``: linear interpolation, NaN sorts first."""
    if not values or q != q:
        return NAN
    if q < 0:
        return -INF
    if q > 1:
        return INF
    vals = sorted(values, key=_nan_first_key)
    n = len(vals)
    rank = q * (n - 1)
    lower = max(0, math.floor(rank))
    upper = min(n - 1, lower + 1)
    weight = rank - math.floor(rank)
    return vals[lower] * (1 - weight) + vals[upper] * weight


def almost_equal(a: float, b: float, eps: float) -> bool:
    min_normal = 2.2250738585072014e-308
    if a != a and b != b:
        return True
    if a == b:
        return True
    abs_sum = abs(a) + abs(b)
    diff = abs(a - b)
    if a == 0 or b == 0 or abs_sum < min_normal:
        return diff < eps * min_normal
    return diff / min(abs_sum, 1.7976931348623157e308) < eps


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> tuple[float, bool]:
    """Quantile over classic ``le`` buckets ``[(upper_bound, count)]``.
    Returns ``(value, forced_monotonicity)``."""
    if q != q:
        return NAN, False
    if q < 0:
        return -INF, False
    if q > 1:
        return INF, False
    bs = sorted(buckets, key=lambda b: b[0])
    if not math.isinf(bs[-1][0]) or bs[-1][0] < 0:
        return NAN, False
    coalesced: list[list[float]] = []
    for ub, c in bs:
        if coalesced and coalesced[-1][0] == ub:
            coalesced[-1][1] += c
        else:
            coalesced.append([ub, c])
    forced = False
    prev = coalesced[0][1]
    for bucket in coalesced[1:]:
        cur = bucket[1]
        if cur == prev:
            continue
        if almost_equal(prev, cur, 1e-12):
            bucket[1] = prev
            continue
        if cur < prev:
            bucket[1] = prev
            forced = True
            continue
        prev = cur
    if len(coalesced) < 2:
        return NAN, forced
    observations = coalesced[-1][1]
    if observations == 0:
        return NAN, forced
    rank = q * observations
    b = len(coalesced) - 1
    for i in range(len(coalesced) - 1):
        if coalesced[i][1] >= rank:
            b = i
            break
    if b == len(coalesced) - 1:
        return coalesced[-2][0], forced
    if b == 0 and coalesced[0][0] <= 0:
        return coalesced[0][0], forced
    start = 0.0
    end = coalesced[b][0]
    count = coalesced[b][1]
    if b > 0:
        start = coalesced[b - 1][0]
        count -= coalesced[b - 1][1]
        rank -= coalesced[b - 1][1]
    # Go divides 0 by 0 into NaN: q = 0 with an empty lowest bucket (rank 0, count 0).
    return start + (end - start) * _div(rank, count), forced


def bucket_fraction(lower: float, upper: float, buckets: list[tuple[float, float]]) -> float:
    """Estimated fraction of observations in ``[lower, upper]`` from classic buckets."""
    bs = sorted(buckets, key=lambda b: b[0])
    if not math.isinf(bs[-1][0]) or bs[-1][0] < 0:
        return NAN
    coalesced: list[list[float]] = []
    for ub, c in bs:
        if coalesced and coalesced[-1][0] == ub:
            coalesced[-1][1] += c
        else:
            coalesced.append([ub, c])
    count = coalesced[-1][1]
    if count == 0 or lower != lower or upper != upper:
        return NAN
    if lower >= upper:
        return 0.0
    rank = lower_rank = upper_rank = 0.0
    lower_set = upper_set = False
    lower_bound = -INF if coalesced[0][0] <= 0 else 0.0
    for i, (upper_bound, bcount) in enumerate(coalesced):
        if i > 0:
            lower_bound = coalesced[i - 1][0]

        def interpolate(v: float, lb: float = lower_bound, ub: float = upper_bound,
                        bc: float = bcount, r: float = rank) -> float:
            if lb == -INF:
                return bc
            return r + (bc - r) * (v - lb) / (ub - lb)

        if not lower_set and lower_bound >= lower:
            lower_rank, lower_set = rank, True
        if not upper_set and lower_bound >= upper:
            upper_rank, upper_set = rank, True
        if lower_set and upper_set:
            break
        if not lower_set and lower_bound < lower < upper_bound:
            lower_rank, lower_set = interpolate(lower), True
        if not upper_set and lower_bound < upper < upper_bound:
            upper_rank, upper_set = interpolate(upper), True
        if lower_set and upper_set:
            break
        rank = bcount
    if not lower_set or lower_rank > count:
        lower_rank = count
    if not upper_set or upper_rank > count:
        upper_rank = count
    return (upper_rank - lower_rank) / count


# -- range functions ---------------------------------------------------------

def extrapolated_rate(ts: list[int], vs: list[float], range_start: int, range_end: int,
                      range_ms: int, is_counter: bool, is_rate: bool) -> float | None:
    """rate/increase/delta with Prometheus's extrapolation to the range boundaries."""
    n1 = len(vs) - 1
    if n1 < 1:
        return None
    result = vs[-1] - vs[0]
    # Counter resets: none if the values are already in order (checked at C speed; with a
    # NaN, `sorted` is unreliable, so the loop decides).
    if is_counter and ((total := sum(vs)) != total or sorted(vs) != vs):
        prev = vs[0]
        for v in vs[1:]:
            if v < prev:
                result += prev
            prev = v
    return extrapolate(result, n1, ts[0], ts[-1], vs[0], range_start, range_end, range_ms,
                       is_counter, is_rate)


def extrapolate(result: float, n1: int, first_t: int, last_t: int, first_v: float,
                range_start: int, range_end: int, range_ms: int, is_counter: bool,
                is_rate: bool) -> float:
    """The last step of :func:`extrapolated_rate`: ``result`` (the change over ``n1 + 1``
    samples from ``first_t`` to ``last_t``, resets corrected) extrapolated to the range."""
    to_start = (first_t - range_start) / 1000
    to_end = (range_end - last_t) / 1000
    sampled = (last_t - first_t) / 1000
    avg = sampled / n1
    threshold = avg * 1.1
    if to_start >= threshold:
        to_start = avg / 2
    if is_counter:
        to_zero = to_start
        if result > 0 and first_v >= 0:
            to_zero = sampled * (first_v / result)
        if to_zero < to_start:
            to_start = to_zero
    if to_end >= threshold:
        to_end = avg / 2
    factor = (sampled + to_start + to_end) / sampled if sampled != 0 else 1.0
    if is_rate:
        factor /= range_ms / 1000
    return result * factor


def instant_value(ts: list[int], vs: list[float], is_rate: bool) -> float | None:
    """irate / idelta from the last two samples."""
    if len(vs) < 2:
        return None
    interval = ts[-1] - ts[-2]
    if interval == 0:
        return None
    last, prev = vs[-1], vs[-2]
    result = last if is_rate and last < prev else last - prev
    if is_rate:
        result /= interval / 1000
    return result


def linear_regression(ts: list[int], vs: list[float], intercept_t: int) -> tuple[float, float]:
    n = 0.0
    sx = cx = sy = cy = sxy = cxy = sx2 = cx2 = 0.0
    init_y = vs[0]
    const_y = True
    for i, (t, v) in enumerate(zip(ts, vs, strict=True)):
        if const_y and i > 0 and v != init_y:
            const_y = False
        n += 1.0
        x = (t - intercept_t) / 1e3
        sx, cx = kahan_inc(x, sx, cx)
        sy, cy = kahan_inc(v, sy, cy)
        sxy, cxy = kahan_inc(x * v, sxy, cxy)
        sx2, cx2 = kahan_inc(x * x, sx2, cx2)
    if const_y:
        if math.isinf(init_y):
            return NAN, NAN
        return 0.0, init_y
    sx += cx
    sy += cy
    sxy += cxy
    sx2 += cx2
    cov = sxy - sx * sy / n
    var = sx2 - sx * sx / n
    slope = _div(cov, var)
    return slope, sy / n - slope * sx / n


def avg_over(vs: list[float]) -> float:
    s, c, count = vs[0], 0.0, 1.0
    mean = 0.0
    incremental = False
    for v in vs[1:]:
        count += 1
        if not incremental:
            ns, nc = kahan_inc(v, s, c)
            if not math.isinf(ns):
                s, c = ns, nc
                continue
            incremental = True
            mean = s / (count - 1)
            c /= count - 1
        q = (count - 1) / count
        mean, c = kahan_inc(v / count, q * mean, q * c)
    if incremental:
        return mean + c
    return s / count + c / count


def variance_over(vs: list[float]) -> float:
    count = mean = c_mean = aux = c_aux = 0.0
    for v in vs:
        count += 1
        delta = v - (mean + c_mean)
        mean, c_mean = kahan_inc(delta / count, mean, c_mean)
        aux, c_aux = kahan_inc(delta * (v - (mean + c_mean)), aux, c_aux)
    return (aux + c_aux) / count


def _max_over(vs: list[float]) -> float:
    m = vs[0]
    for v in vs:
        if v > m or m != m:
            m = v
    return m


def _min_over(vs: list[float]) -> float:
    m = vs[0]
    for v in vs:
        if v < m or m != m:
            m = v
    return m


def _ts_of(ts: list[int], vs: list[float], better: Callable[[float, float], bool]) -> float:
    m, mt = vs[0], ts[0]
    for t, v in zip(ts, vs, strict=True):
        if better(v, m):
            m, mt = v, t
    return mt / 1000


def _changes(vs: list[float]) -> float:
    n = 0
    prev = vs[0]
    for v in vs[1:]:
        if v != prev and not (v != v and prev != prev):
            n += 1
        prev = v
    return float(n)


def _resets(vs: list[float]) -> float:
    n = 0
    prev = vs[0]
    for v in vs[1:]:
        if v < prev:
            n += 1
        prev = v
    return float(n)


def _mad(vs: list[float]) -> float:
    if any(v != v for v in vs):
        return NAN
    med = quantile(0.5, vs)
    return quantile(0.5, [abs(v - med) for v in vs])


#: ``name -> f(ts, vs)`` for range functions that only look at the samples.
OVER_TIME: dict[str, Callable[[list[int], list[float]], float]] = {
    "avg_over_time": lambda ts, vs: avg_over(vs),
    "sum_over_time": lambda ts, vs: kahan_sum(vs),
    "count_over_time": lambda ts, vs: float(len(vs)),
    "min_over_time": lambda ts, vs: _min_over(vs),
    "max_over_time": lambda ts, vs: _max_over(vs),
    "last_over_time": lambda ts, vs: vs[-1],
    "first_over_time": lambda ts, vs: vs[0],
    "present_over_time": lambda ts, vs: 1.0,
    "stddev_over_time": lambda ts, vs: math.sqrt(variance_over(vs)) if variance_over(vs) >= 0 else NAN,
    "stdvar_over_time": lambda ts, vs: variance_over(vs),
    "mad_over_time": lambda ts, vs: _mad(vs),
    "changes": lambda ts, vs: _changes(vs),
    "resets": lambda ts, vs: _resets(vs),
    "ts_of_last_over_time": lambda ts, vs: ts[-1] / 1000,
    "ts_of_first_over_time": lambda ts, vs: ts[0] / 1000,
    "ts_of_max_over_time": lambda ts, vs: _ts_of(ts, vs, lambda v, m: v > m or m != m),
    "ts_of_min_over_time": lambda ts, vs: _ts_of(ts, vs, lambda v, m: v < m or m != m),
}


def double_exponential_smoothing(vs: list[float], sf: float, tf: float) -> float | None:
    if len(vs) < 2:
        return None
    s0 = 0.0
    s1 = vs[0]
    b = vs[1] - vs[0]
    for i in range(1, len(vs)):
        x = sf * vs[i]
        if i - 1 != 0:
            b = tf * (s1 - s0) + (1 - tf) * b
        y = (1 - sf) * (s1 + b)
        s0, s1 = s1, x + y
    return s1


# -- sorting ---------------------------------------------------------------------

_NAT_RE = re.compile(r"(\d+)")


def natural_key(s: str) -> list[tuple[int, int | str]]:
    """Sort key comparing digit runs numerically (like Go's natsort)."""
    parts = _NAT_RE.split(s)
    key: list[tuple[int, int | str]] = []
    for i, p in enumerate(parts):
        if i % 2:
            key.append((0, int(p)))
        elif p:
            key.append((1, p))
    return key


# -- hashing ----------------------------------------------------------------------

_P1, _P2, _P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_P4, _P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
_M64 = (1 << 64) - 1


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _round(acc: int, lane: int) -> int:
    return (_rotl((acc + lane * _P2) & _M64, 31) * _P1) & _M64


def _merge(acc: int, val: int) -> int:
    return ((acc ^ _round(0, val)) * _P1 + _P4) & _M64


def xxhash64(data: bytes, seed: int = 0) -> int:
    """XXH64, as used by Prometheus's ``labels.Hash`` (pure Python, for ``limit_ratio``)."""
    n = len(data)
    i = 0
    if n >= 32:
        v1 = (seed + _P1 + _P2) & _M64
        v2 = (seed + _P2) & _M64
        v3 = seed
        v4 = (seed - _P1) & _M64
        while i + 32 <= n:
            v1 = _round(v1, int.from_bytes(data[i : i + 8], "little"))
            v2 = _round(v2, int.from_bytes(data[i + 8 : i + 16], "little"))
            v3 = _round(v3, int.from_bytes(data[i + 16 : i + 24], "little"))
            v4 = _round(v4, int.from_bytes(data[i + 24 : i + 32], "little"))
            i += 32
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _M64
        for v in (v1, v2, v3, v4):
            h = _merge(h, v)
    else:
        h = (seed + _P5) & _M64
    h = (h + n) & _M64
    while i + 8 <= n:
        k = _round(0, int.from_bytes(data[i : i + 8], "little"))
        h = (_rotl(h ^ k, 27) * _P1 + _P4) & _M64
        i += 8
    if i + 4 <= n:
        h = (_rotl(h ^ (int.from_bytes(data[i : i + 4], "little") * _P1 & _M64), 23) * _P2
             + _P3) & _M64
        i += 4
    while i < n:
        h = (_rotl(h ^ (data[i] * _P5 & _M64), 11) * _P1) & _M64
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    h ^= h >> 32
    return h


def labels_hash(labels: Sequence[tuple[str, str]]) -> int:
    """Prometheus ``labels.Labels.Hash()``: XXH64 of ``name\\xffvalue\\xff...``."""
    buf = bytearray()
    for k, v in labels:
        buf += k.encode("utf-8", "surrogateescape") + b"\xff"
        buf += v.encode("utf-8", "surrogateescape") + b"\xff"
    return xxhash64(bytes(buf))
