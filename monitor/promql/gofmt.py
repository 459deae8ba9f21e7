"""Numbers and strings written the way Go writes them, so Candor's output matches
Prometheus's byte for byte (API sample values, PromQL messages, rule templates).

    go_f(1e-7)     # '0.0000001'   strconv.FormatFloat(v, 'f', -1, 64): API sample values
    go_e(15.0)     # '1.5e+01'     strconv.FormatFloat(v, 'e', -1, 64): alert values
    go_g(1e6)      # '1e+06'       strconv.FormatFloat(v, 'g', -1, 64), fmt's %g and %v
    go_g(0.5, 3)   # '0.5'         %.3g
    go_quote('a"') # '"a\\""'      %q
    format_openmetrics_float(1.0)  # '1.0'  Prometheus's labels.FormatOpenMetricsFloat

Every function is pure and imports nothing of Candor's.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

__all__ = ["format_openmetrics_float", "go_e", "go_exponent", "go_f", "go_g", "go_quote"]


def go_f(v: float) -> str:
    """``strconv.FormatFloat(v, 'f', -1, 64)``: shortest round-trip digits, never an
    exponent (``"0.0000001"``, ``"+Inf"``, ``"NaN"``)."""
    if v != v:
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    r = repr(v)
    if "e" in r or "E" in r:
        r = format(Decimal(r), "f")
    if r.endswith(".0"):
        r = r[:-2]
    return r


def go_e(v: float) -> str:
    """``strconv.FormatFloat(v, 'e', -1, 64)``: ``"1e+00"``, ``"1.5e+01"``."""
    if math.isnan(v) or math.isinf(v):
        return go_f(v)
    digits = len(Decimal(repr(v)).normalize().as_tuple().digits)
    return f"{v:.{max(digits - 1, 0)}e}"


def go_g(v: float, prec: int = -1) -> str:
    """Go's ``%g``; ``prec=-1`` (shortest round-trip digits) is also how ``%v`` and
    ``strconv.FormatFloat(v, 'g', -1, 64)`` print a float64: exponent form when the
    decimal exponent is < -4 or >= 6 (with ``prec``, >= ``prec``)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if prec >= 0:
        return go_exponent(f"{v:.{max(prec, 1)}g}")
    if v == 0:
        return "-0" if math.copysign(1, v) < 0 else "0"
    sign, digits_t, exponent = Decimal(repr(float(v))).normalize().as_tuple()
    digits = "".join(map(str, digits_t))
    assert isinstance(exponent, int)
    dp = len(digits) + exponent
    exp = dp - 1
    neg = "-" if sign else ""
    if exp < -4 or exp >= _EPREC:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{neg}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{neg}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return neg + digits + "0" * (dp - len(digits))
    return f"{neg}{digits[:dp]}.{digits[dp:]}"


_EPREC = 6  # shortest %g (and so %v) switches to exponent form from 1e6, as strconv does


def go_exponent(text: str) -> str:
    """``%e``/``%g`` output with the exponent written as Go writes it: sign and at
    least two digits (``1e+06``, ``2.5e-07``)."""
    m = re.match(r"^(.*)e([+-])(\d+)$", text)
    if not m:
        return text
    return f"{m.group(1)}e{m.group(2)}{int(m.group(3)):02d}"


def format_openmetrics_float(v: float) -> str:
    """Prometheus ``labels.FormatOpenMetricsFloat``: like :func:`go_g` but integral
    values get a ``.0`` suffix (``1.0``, ``0.25``, ``1e+06``)."""
    s = go_g(v)
    if v != v or math.isinf(v) or "." in s or "e" in s:
        return s
    return s + ".0"


def go_quote(s: str) -> str:
    """Go's ``%q`` / ``strconv.Quote`` for the characters label values hold: ``"`` and
    ``\\`` escaped, newline and tab as ``\\n`` and ``\\t``, invalid UTF-8 bytes (kept in
    Python as surrogate escapes) as ``\\xNN``."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
