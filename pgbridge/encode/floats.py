"""float8 / float4 text exactly as PostgreSQL 12+ prints them.

With extra_float_digits > 0 PostgreSQL prints the shortest digits that read back to the same
value (Ryu), in fixed notation when the decimal exponent is in [-4, 15) for float8 or
[-4, 6) for float4, else as d.ddde+XX with at least two exponent digits. Arrow's cast gives
the same shortest digits (double-conversion) but switches notation at other places and
writes one-digit exponents, so: take Arrow's text where both agree on the notation, fix
the exponent width where both use exponents, and render the few disagreeing values in
Python. With extra_float_digits <= 0 PostgreSQL uses printf %.{15+efd}g (6+efd for float4).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrowutil as au

_SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def float_text(arr: pa.Array, float4: bool, extra_float_digits: int) -> pa.Array:
    arr = arr.cast(pa.float32() if float4 else pa.float64())
    if extra_float_digits <= 0:
        digits = (6 if float4 else 15) + extra_float_digits
        return _per_value(arr, lambda x: _printf_g(x, digits))
    text = pc.cast(arr, pa.string())
    values = au.numbers(arr, "float32" if float4 else "float64")
    redo = _needs_python(values, text, float4) & au.validity(arr)
    widen = np.asarray(pc.match_substring_regex(text, r"e[+-]\d$").fill_null(False)) & ~redo
    if widen.any():
        # RE2 backreferences are one digit: \10 is group 1 then a literal 0.
        fixed = pc.replace_substring_regex(text.filter(pa.array(widen)), r"e([+-])(\d)$", r"e\10\2")
        text = pc.replace_with_mask(text, pa.array(widen), fixed)
    if redo.any():
        rendered = [pg_shortest(float(v), float4) for v in values[redo]]
        text = pc.replace_with_mask(text, pa.array(redo), pa.array(rendered, pa.string()))
    return text


def _needs_python(values: np.ndarray, text: pa.Array, float4: bool) -> np.ndarray:
    """Values whose Arrow notation (fixed vs exponent) differs from PostgreSQL's, and non-finite ones."""
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        # The shortest repr has exponent >= 15 exactly when |x| >= 1e15 (an exact double),
        # and < -4 exactly when |x| < the double nearest 1e-4: reading is monotonic.
        pg_fixed = (magnitude == 0) | (
            (magnitude >= values.dtype.type(1e-4)) & (magnitude < values.dtype.type(1e6 if float4 else 1e15))
        )
    arrow_exp = np.asarray(pc.match_substring(text, "e").fill_null(False))
    return ~np.isfinite(values) | (pg_fixed == arrow_exp) | _may_be_midpoint(magnitude, float4)


def _may_be_midpoint(magnitude: np.ndarray, float4: bool) -> np.ndarray:
    """Values whose shortest digits may sit exactly halfway to a neighbour.

    Ryu as PostgreSQL builds it never prints a decimal that lies exactly on the boundary
    between two floats (1e23 prints as 9.999999999999999e+22), while Arrow and Python do.
    A midpoint (2M+1) * 2^p has a short decimal form only as D * 10^p with D * 5^p = 2M+1,
    which needs p >= 0 and 5^p <= 2^54 (2^25 for float4): |x| in [2^53, 2^77) for float8 and
    [2^24, 2^35) for float4. Those go to the exact Python path.
    """
    low, high = (2.0**24, 2.0**35) if float4 else (2.0**53, 2.0**77)
    with np.errstate(invalid="ignore"):
        return (magnitude >= low) & (magnitude < high)


def pg_shortest(value: float, float4: bool) -> str:
    """One value the way float8out / float4out print it (Ryu shortest, PostgreSQL notation)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    digits, exponent = shortest_digits(abs(value), float4)
    if -4 <= exponent < (6 if float4 else 15):
        return sign + _fixed(digits, exponent)
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{head}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def shortest_digits(value: float, float4: bool) -> tuple[str, int]:
    """Shortest digits strictly inside the value's rounding interval, and the decimal exponent."""
    scalar = np.float32(value) if float4 else np.float64(value)
    mantissa, exponent_text = np.format_float_scientific(scalar, unique=True, trim="-").split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    exponent = int(exponent_text)
    with localcontext(prec=1200):  # exact: a double's decimal expansion has < 800 digits
        return _inside_interval(scalar, digits, exponent)


def _inside_interval(scalar: np.floating, digits: str, exponent: int) -> tuple[str, int]:
    low, high, exact = _interval(scalar)
    if low < _decimal(digits, exponent) < high:
        return digits, exponent
    # Exactly on a boundary: take the closest decimal strictly inside, one digit longer at a time.
    for count in range(len(digits), 18):
        candidates = []
        base = Decimal(f"{exact:.{count - 1}e}")
        unit = Decimal(1).scaleb(base.adjusted() - count + 1)
        for candidate in (base - unit, base, base + unit):
            if low < candidate < high:
                candidates.append(candidate)
        if candidates:
            best = min(candidates, key=lambda c: abs(c - exact))
            _, best_digits, best_exp = best.normalize().as_tuple()
            text = "".join(map(str, best_digits))
            return text, best_exp + len(text) - 1  # type: ignore[operator]
    return digits, exponent


def _interval(scalar: np.floating) -> tuple[Decimal, Decimal, Decimal]:
    exact = Decimal(float(scalar))
    up = Decimal(float(np.nextafter(scalar, scalar.dtype.type(np.inf))))
    down = Decimal(float(np.nextafter(scalar, scalar.dtype.type(-np.inf))))
    return (exact + down) / 2, (exact + up) / 2, exact


def _decimal(digits: str, exponent: int) -> Decimal:
    return Decimal(f"{digits[0]}.{digits[1:] or '0'}e{exponent}")


def _fixed(digits: str, exponent: int) -> str:
    if exponent < 0:
        return "0." + "0" * (-exponent - 1) + digits
    if exponent + 1 >= len(digits):
        return digits + "0" * (exponent + 1 - len(digits))
    return digits[: exponent + 1] + "." + digits[exponent + 1 :]


def _printf_g(value: float, digits: int) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return pg_shortest(value, False)
    return f"{value:.{max(digits, 1)}g}"  # same as C's %.*g


def _per_value(arr: pa.Array, render: object) -> pa.Array:
    assert callable(render)
    return pa.array([None if v is None else render(v) for v in arr.to_pylist()], pa.string())


def float_binary(arr: pa.Array, float4: bool) -> pa.Array:
    values = au.numbers(
        arr.cast(pa.float32() if float4 else pa.float64()), "float32" if float4 else "float64"
    )
    return au.from_matrix(au.big_endian(values, ">f4" if float4 else ">f8"), au.validity(arr))
