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
        pg_fixed = (magnitude == 0) | ((magnitude >= values.dtype.type(1e-4))
                                        & (magnitude < values.dtype.type(1e6 if float4 else 1e15)))
    arrow_exp = np.asarray(pc.match_substring(text, "e").fill_null(False))
    return ~np.isfinite(values) | (pg_fixed == arrow_exp)


def pg_shortest(value: float, float4: bool) -> str:
    """One value the way float8out / float4out print it (Ryu shortest, PostgreSQL notation)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    scalar = np.float32(value) if float4 else np.float64(value)
    mantissa, exponent_text = np.format_float_scientific(scalar, unique=True, trim="-").split("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    exponent = int(exponent_text)
    if digits == "0":
        return sign + "0"
    if -4 <= exponent < (6 if float4 else 15):
        return sign + _fixed(digits, exponent)
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{head}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _fixed(digits: str, exponent: int) -> str:
    if exponent < 0:
        return "0." + "0" * (-exponent - 1) + digits
    if exponent + 1 >= len(digits):
        return digits + "0" * (exponent + 1 - len(digits))
    return digits[: exponent + 1] + "." + digits[exponent + 1 :]


def _printf_g(value: float, digits: int) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return pg_shortest(value, False)
    return "%.*g" % (max(digits, 1), value)


def _per_value(arr: pa.Array, render: object) -> pa.Array:
    assert callable(render)
    return pa.array([None if v is None else render(v) for v in arr.to_pylist()], pa.string())


def float_binary(arr: pa.Array, float4: bool) -> pa.Array:
    values = au.numbers(arr.cast(pa.float32() if float4 else pa.float64()), "float32" if float4 else "float64")
    return au.from_matrix(au.big_endian(values, ">f4" if float4 else ">f8"), au.validity(arr))
