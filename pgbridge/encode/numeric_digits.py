"""numeric columns whose PostgreSQL digits the gateway finishes itself (exact translations).

A BigQuery NUMERIC has no display scale, so the decimal encoder (numeric.py) trims trailing
zeros. Where PostgreSQL's answer has a scale of its own (7.0 / 2 = 3.5000000000000000, avg of
integers, a sum of numerics) the translator (pgbridge/sql/translate/constructs/numeric_exact.py)
declares the column numeric but returns a STRING holding the exact inputs, and this module
finishes the value the way PostgreSQL would. A string array in a numeric column is that
marker. Values:

- `-12.50`: PostgreSQL's digits already (passed through);
- `d:<value>:<scale>`: value printed with exactly `scale` decimals (sum(numeric): the largest
  display scale of its inputs), which must not cut a digit;
- `q:<a>:<b>:<scale a>:<scale b>`: numeric_div(a, b): select_div_scale's result scale,
  max(16 - 4 * qweight, display scales), the quotient rounded half away from zero to it.
  A display scale is the larger of the one given and the value's own significant decimals
  (a BigQuery NUMERIC column shows 5.00 as 5, so its scale is that of its digits).

Arithmetic is exact (Fraction); anything malformed is an error, never passed on as a number.
Binary is numeric_send of the same digits. One Python call per value: these columns are
averages and quotients, not bulk data.
"""

from __future__ import annotations

import re
import struct
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import pyarrow as pa

from pgbridge.wire.errors import PgError, SqlState

_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"  # as either engine prints a NUMERIC
_ROUND = r"(?::r(-?[0-9]+))?"  # then round(x, n), as PostgreSQL's round(numeric, int)
_DISPLAY = re.compile(rf"d:{_NUMBER}:([0-9]+){_ROUND}")
_QUOTIENT = re.compile(rf"q:{_NUMBER}:{_NUMBER}:([0-9]+):([0-9]+){_ROUND}")
_NEG = 0x4000
_MIN_SIG_DIGITS = 16  # NUMERIC_MIN_SIG_DIGITS
_MAX_SCALE = 1000  # NUMERIC_MAX_DISPLAY_SCALE


def is_digits_column(arr: pa.Array) -> bool:
    return pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)


def digits_text(arr: pa.Array) -> pa.Array:
    """PostgreSQL's text form of each value."""
    return pa.array([None if v is None else finish(v).encode() for v in arr.to_pylist()], pa.binary())


def digits_shown(arr: pa.Array) -> pa.Array:
    """The same digits as strings: what the client was shown, for the audit's recording."""
    return pa.array([None if v is None else finish(v) for v in arr.to_pylist()], pa.string())


def digits_binary(arr: pa.Array) -> pa.Array:
    """numeric_send of each value."""
    return pa.array([None if v is None else numeric_send(finish(v)) for v in arr.to_pylist()], pa.binary())


def finish(value: str) -> str:
    """PostgreSQL's digits for one marked value."""
    if _PLAIN.fullmatch(value):
        return value
    quick = _FIXED.fullmatch(value)
    if quick:
        padded = _padded(quick.group(1), quick.group(2), quick.group(3) or "", int(quick.group(4)))
        if padded is not None:
            return padded
    display = _DISPLAY.fullmatch(value)
    if display:
        digits = _with_scale(Fraction(Decimal(display.group(1))), int(display.group(2)), exact=True)
        return _rounded(digits, display.group(3))
    quotient = _QUOTIENT.fullmatch(value)
    if quotient:
        a, b = Decimal(quotient.group(1)), Decimal(quotient.group(2))
        return _rounded(divide(a, b, int(quotient.group(3)), int(quotient.group(4))), quotient.group(5))
    raise PgError(SqlState.INTERNAL_ERROR, "pgbridge produced a numeric value that is not a number")


# d:<plain digits>:<scale>, the common case (a column's or a product's value): padded as text.
_FIXED = re.compile(r"d:(-?)([0-9]+)(?:\.([0-9]*))?:([0-9]+)")


def _padded(sign: str, whole: str, fraction: str, scale: int) -> str | None:
    """The digits with exactly `scale` decimals, when only zeros are cut (else None: the exact
    path decides)."""
    if len(fraction) > scale:
        if fraction[scale:].strip("0"):
            return None
        fraction = fraction[:scale]
    else:
        fraction = fraction.ljust(scale, "0")
    whole = whole.lstrip("0") or "0"
    if whole == "0" and not fraction.strip("0"):
        sign = ""  # numeric has no negative zero
    return f"{sign}{whole}.{fraction}" if scale else f"{sign}{whole}"


def _rounded(digits: str, places: str | None) -> str:
    """round(x, n): half away from zero at n places (n < 0: left of the point), scale max(n, 0)."""
    if places is None:
        return digits
    n = int(places)
    value = Fraction(Decimal(digits))
    if n >= 0:
        return _with_scale(value, n, exact=False)
    unit = Fraction(10) ** -n
    return _with_scale(Fraction(round_half_away(value / unit)) * unit, 0, exact=True)


def round_half_away(value: Fraction) -> int:
    magnitude = int(abs(value))
    if abs(value) - magnitude >= Fraction(1, 2):
        magnitude += 1
    return -magnitude if value < 0 else magnitude


def _own_scale(x: Decimal) -> int:
    """Significant decimals (Decimal.normalize would round to the context's 28 digits)."""
    return len(format(x, "f").partition(".")[2].rstrip("0"))


def _weight_and_first(x: Decimal) -> tuple[int, int]:
    """PostgreSQL's weight (base 10000 digit position) and first base-10000 digit of |x|."""
    if x == 0:
        return 0, 0
    x = abs(x)
    weight = x.adjusted() // 4
    first = int(Fraction(x) / Fraction(10) ** (4 * weight))
    return weight, first


def select_div_scale(a: Decimal, b: Decimal, scale_a: int, scale_b: int) -> int:
    weight_a, first_a = _weight_and_first(a)
    weight_b, first_b = _weight_and_first(b)
    qweight = weight_a - weight_b - (1 if first_a <= first_b else 0)
    scale = max(_MIN_SIG_DIGITS - qweight * 4, scale_a, scale_b, 0)
    return min(scale, _MAX_SCALE)


def divide(a: Decimal, b: Decimal, scale_a: int, scale_b: int) -> str:
    if b == 0:
        raise PgError(SqlState.DIVISION_BY_ZERO, "division by zero")
    scale_a, scale_b = max(scale_a, _own_scale(a)), max(scale_b, _own_scale(b))
    scale = select_div_scale(a, b, scale_a, scale_b)
    return _with_scale(Fraction(a) / Fraction(b), scale, exact=False)


def _with_scale(value: Fraction, scale: int, exact: bool) -> str:
    scaled = abs(value) * 10**scale
    magnitude = int(scaled)
    if exact and magnitude != scaled:
        raise PgError(SqlState.INTERNAL_ERROR, "pgbridge would cut digits off a numeric value")
    if scaled - magnitude >= Fraction(1, 2):  # half away from zero, as round_var does
        magnitude += 1
    digits = str(magnitude).rjust(scale + 1, "0")
    whole, fraction = digits[: len(digits) - scale], digits[len(digits) - scale :]
    sign = "-" if value < 0 and magnitude else ""
    return f"{sign}{whole}.{fraction}" if scale else f"{sign}{whole}"


def numeric_send(text: str) -> bytes:
    try:
        Decimal(text)
    except InvalidOperation:
        raise PgError(
            SqlState.INTERNAL_ERROR, "pgbridge produced a numeric value that is not a number"
        ) from None
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    dscale = len(fraction)
    whole = whole.lstrip("0")
    # Groups of four digits aligned on the decimal point.
    whole = whole.rjust((len(whole) + 3) // 4 * 4, "0")
    fraction = fraction.ljust((len(fraction) + 3) // 4 * 4, "0")
    groups = [int(whole[i : i + 4]) for i in range(0, len(whole), 4)]
    groups += [int(fraction[i : i + 4]) for i in range(0, len(fraction), 4)]
    weight = len(whole) // 4 - 1
    while groups and groups[0] == 0:  # leading zero groups move the weight down
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        return struct.pack("!hhhH", 0, 0, 0, dscale)
    sign = _NEG if negative else 0
    return struct.pack(f"!hhhH{len(groups)}h", len(groups), weight, sign, dscale, *groups)
