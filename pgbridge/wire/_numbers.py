"""Number and boolean values: int2/int4/int8/oid, float4/float8, numeric, bool.

Text output follows PostgreSQL 15 with extra_float_digits = 1: floats print the shortest
digits that read back to the same value (Ryu in Postgres; Python's repr gives the same
digits for doubles, a short search gives them for float4), switching to exponent form when
the decimal exponent is below -4 or at least 15 (float8) / 6 (float4). Numeric binary is
Postgres's base-10000 form: ndigits, weight, sign, dscale, then the digits, with leading and
trailing zero groups stripped exactly as numeric_send does.

Syntax problems raise ValueError (values.py turns them into 22P02/22P03 naming the type and
parameter); range problems raise PgError 22003 directly.
"""

from __future__ import annotations

import decimal
import math
import re
import struct
from collections.abc import Callable
from decimal import Decimal

from pgbridge.wire.errors import PgError, SqlState

_INT_RE = re.compile(r"\s*([+-]?[0-9]+)\s*", re.ASCII)
_FLOAT_RE = re.compile(
    r"\s*([+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity|nan))\s*", re.ASCII | re.I
)
_NUMERIC_RE = re.compile(
    r"\s*([+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity)|nan)\s*", re.ASCII | re.I
)
_F4 = struct.Struct("!f")
_F8 = struct.Struct("!d")

# PostgreSQL numeric limits (numeric.c): digits before the point, digits after it.
_NUMERIC_MAX_WEIGHT_DIGITS = 131072
_NUMERIC_MAX_DSCALE = 16383
_BIG = decimal.Context(prec=_NUMERIC_MAX_WEIGHT_DIGITS + _NUMERIC_MAX_DSCALE + 8, Emax=10**9, Emin=-(10**9))


def out_of_range(text: str, type_name: str) -> PgError:
    message = f'value "{text}" is out of range for type {type_name}'
    return PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, message)


# --- integers ------------------------------------------------------------------------------


def int_parser(bits: int, type_name: str) -> Callable[[str], int]:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def parse(text: str) -> int:
        match = _INT_RE.fullmatch(text)
        if match is None:
            raise ValueError
        value = int(match.group(1))
        if not low <= value <= high:
            raise out_of_range(text, type_name)
        return value

    return parse


def checked_int(bits: int, type_name: str) -> Callable[[object], int]:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def check(value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{type_name} needs an int, not {type(value).__name__}")
        if not low <= value <= high:
            raise out_of_range(str(value), type_name)
        return value

    return check


def parse_oid(text: str) -> int:
    # oidin reads with strtoul, so "-1" is 4294967295; we mirror it.
    match = _INT_RE.fullmatch(text)
    if match is None:
        raise ValueError
    value = int(match.group(1))
    if not -(1 << 31) <= value < (1 << 32):
        raise out_of_range(text, "oid")
    return value % (1 << 32)


# --- floats --------------------------------------------------------------------------------


def parse_float(text: str, type_name: str, float4: bool) -> float:
    match = _FLOAT_RE.fullmatch(text)
    if match is None:
        raise ValueError
    literal = match.group(1)
    value = float(literal)
    if float4 and math.isfinite(value):
        try:
            value = _F4.unpack(_F4.pack(value))[0]
        except OverflowError:
            raise out_of_range(literal, type_name) from None
    if math.isinf(value) and "n" not in literal.lower():
        raise out_of_range(literal, type_name)
    if value == 0 and re.search("[1-9]", literal.lower().split("e")[0]):
        raise out_of_range(literal, type_name)  # underflow to zero, as strtod's ERANGE
    return value


def _shortest_float4(value: float) -> str:
    for digits in range(1, 10):
        text = f"{value:.{digits - 1}e}"
        try:
            if _F4.unpack(_F4.pack(float(text)))[0] == value:
                return text
        except OverflowError:  # rounded past the largest float4
            continue
    return f"{value:.8e}"


def format_float(value: float, float4: bool) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if not float4 and 1e-4 <= abs(value) < 1e15:
        text = repr(value)  # plain notation here in both Python and Postgres; drop Python's ".0"
        return text[:-2] if text.endswith(".0") else text
    sign, digit_tuple, exponent = Decimal(_shortest_float4(value) if float4 else repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)
    exponent += len(digit_tuple) - len(digits)
    point = exponent + len(digits) - 1  # scientific exponent
    prefix = "-" if sign else ""
    if point < -4 or point >= (6 if float4 else 15):
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"
    if point < 0:
        return f"{prefix}0.{'0' * (-point - 1)}{digits}"
    if len(digits) <= point + 1:
        return prefix + digits + "0" * (point + 1 - len(digits))
    return f"{prefix}{digits[: point + 1]}.{digits[point + 1 :]}"


def as_float4(value: float) -> float:
    """The float4 nearest to `value`, so its text shows float4's digits, not the double's."""
    try:
        return float(_F4.unpack(_F4.pack(value))[0])
    except OverflowError:
        raise out_of_range(repr(value), "real") from None


def float4_binary(value: float) -> bytes:
    return _F4.pack(as_float4(value))


# --- numeric -------------------------------------------------------------------------------


def parse_numeric(text: str) -> Decimal:
    match = _NUMERIC_RE.fullmatch(text)
    if match is None:
        raise ValueError
    value = Decimal(match.group(1))
    _check_numeric_range(value, text)
    if value.is_zero():
        value = value.copy_abs()  # numeric has no negative zero
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        value = value.quantize(Decimal(1), context=_BIG)  # '1e3' is 1000 with scale 0, as in Postgres
    return value


def _check_numeric_range(value: Decimal, text: str) -> None:
    if not value.is_finite() or value.is_zero():
        return
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if value.adjusted() >= _NUMERIC_MAX_WEIGHT_DIGITS or -exponent > _NUMERIC_MAX_DSCALE:
        raise PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, f'value "{text}" overflows numeric format')


def as_decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    raise TypeError(f"numeric needs a Decimal, int or float, not {type(value).__name__}")


def format_numeric(value: object) -> str:
    number = as_decimal(value)
    if number.is_nan():
        return "NaN"
    if number.is_infinite():
        return "-Infinity" if number.is_signed() else "Infinity"
    if number.is_zero():
        number = number.copy_abs()  # Postgres numeric has no negative zero
    return format(number, "f")


_NUMERIC_POS, _NUMERIC_NEG, _NUMERIC_NAN = 0x0000, 0x4000, 0xC000
_NUMERIC_PINF, _NUMERIC_NINF = 0xD000, 0xF000
_NUMERIC_HEADER = struct.Struct("!hhHH")


def numeric_binary(value: object) -> bytes:
    number = as_decimal(value)
    if number.is_nan():
        return _NUMERIC_HEADER.pack(0, 0, _NUMERIC_NAN, 0)
    if number.is_infinite():
        # numeric_send shows 32 in the dscale field of the infinities (what the header bits
        # read as); clients ignore it, but we match the bytes.
        return _NUMERIC_HEADER.pack(0, 0, _NUMERIC_NINF if number.is_signed() else _NUMERIC_PINF, 32)
    sign, digit_tuple, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    dscale = max(0, -exponent)
    digits = "".join(map(str, digit_tuple))
    if exponent >= 0:
        whole, frac = digits + "0" * exponent, ""
    else:
        split = len(digits) + exponent
        whole, frac = (digits[:split], digits[split:]) if split > 0 else ("", "0" * -split + digits)
    whole = whole.zfill(-(-len(whole) // 4) * 4)
    frac = frac.ljust(-(-len(frac) // 4) * 4, "0")
    groups = [int(whole[i : i + 4]) for i in range(0, len(whole), 4)]
    weight = len(groups) - 1
    groups += [int(frac[i : i + 4]) for i in range(0, len(frac), 4)]
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        return _NUMERIC_HEADER.pack(0, 0, _NUMERIC_POS, dscale)
    header = _NUMERIC_HEADER.pack(len(groups), weight, _NUMERIC_NEG if sign else _NUMERIC_POS, dscale)
    return header + struct.pack(f"!{len(groups)}h", *groups)


def parse_numeric_binary(data: bytes) -> Decimal:
    ndigits, weight, sign, dscale = _NUMERIC_HEADER.unpack_from(data)
    if len(data) != 8 + 2 * ndigits or ndigits < 0:
        raise ValueError
    if sign == _NUMERIC_NAN:
        return Decimal("NaN")
    if sign in (_NUMERIC_PINF, _NUMERIC_NINF):
        return Decimal("-Infinity" if sign == _NUMERIC_NINF else "Infinity")
    if sign not in (_NUMERIC_POS, _NUMERIC_NEG) or dscale > _NUMERIC_MAX_DSCALE:
        raise ValueError
    groups = struct.unpack_from(f"!{ndigits}h", data, 8)
    if any(not 0 <= g <= 9999 for g in groups):
        raise ValueError
    if not groups:
        return Decimal(0).scaleb(-dscale, _BIG)
    digits = tuple(int(c) for c in "".join(f"{g:04d}" for g in groups))
    exact = Decimal((1 if sign == _NUMERIC_NEG else 0, digits, (weight - ndigits + 1) * 4))
    # numeric_recv truncates digits hidden by dscale rather than rejecting them.
    return exact.quantize(Decimal(1).scaleb(-dscale), rounding=decimal.ROUND_DOWN, context=_BIG)


# --- bool ----------------------------------------------------------------------------------


def _prefixes(word: str, shortest: int) -> set[str]:
    return {word[:n] for n in range(shortest, len(word) + 1)}


_TRUE = _prefixes("true", 1) | _prefixes("yes", 1) | {"on", "1"}
_FALSE = _prefixes("false", 1) | _prefixes("no", 1) | _prefixes("off", 2) | {"0"}


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError


def check_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"boolean needs a bool, not {type(value).__name__}")
    return value
