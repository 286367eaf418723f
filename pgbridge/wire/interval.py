"""The interval value: months, days and microseconds kept apart, as PostgreSQL does.

A month is not a fixed number of days and a day is not always 24 hours, so the three parts
never fold into each other (BigQuery's INTERVAL keeps them apart too). Text output is
IntervalStyle "postgres" (`1 year 2 mons 3 days 04:05:06.7`), reproducing EncodeInterval's
sign rules: a "+" appears on a field only when the field before it was negative. Input
accepts that style (with `@` and `ago`), unit words with fractions that spill down the way
DecodeInterval spills them, SQL-standard `Y-M` and `D H:M:S`, and ISO 8601 `P1Y2M3DT4H5M6S`.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import timedelta

from pgbridge.wire.errors import PgError, SqlState

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
_BINARY = struct.Struct("!qii")


@dataclass(frozen=True, slots=True)
class Interval:
    months: int = 0
    days: int = 0
    microseconds: int = 0


def as_interval(value: object) -> Interval:
    if isinstance(value, Interval):
        return value
    if isinstance(value, timedelta):
        return Interval(0, value.days, (value.seconds * _US_PER_SECOND) + value.microseconds)
    raise TypeError(f"interval needs an Interval or timedelta, not {type(value).__name__}")


# --- output ----------------------------------------------------------------------------------


def _trunc_divmod(value: int, divisor: int) -> tuple[int, int]:
    """C-style division: quotient towards zero, remainder with the dividend's sign."""
    quotient = abs(value) // divisor * (1 if value >= 0 else -1)
    return quotient, value - quotient * divisor


def format_interval(value: object) -> str:
    iv = as_interval(value)
    years, months = _trunc_divmod(iv.months, 12)
    parts: list[str] = []
    before_negative = False
    for amount, unit in ((years, "year"), (months, "mon"), (iv.days, "day")):
        if amount:
            plus = "+" if before_negative and amount > 0 else ""
            parts.append(f"{plus}{amount} {unit}{'' if amount == 1 else 's'}")
            before_negative = amount < 0
    if iv.microseconds or not parts:
        parts.append(_clock(iv.microseconds, before_negative))
    return " ".join(parts)


def _clock(micros: int, before_negative: bool) -> str:
    sign = "-" if micros < 0 else ("+" if before_negative else "")
    hours, rest = divmod(abs(micros), 3600 * _US_PER_SECOND)
    minutes, rest = divmod(rest, 60 * _US_PER_SECOND)
    seconds, fraction = divmod(rest, _US_PER_SECOND)
    text = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return text + ("." + f"{fraction:06d}".rstrip("0") if fraction else "")


def interval_binary(value: object) -> bytes:
    iv = as_interval(value)
    return _BINARY.pack(iv.microseconds, iv.days, iv.months)


def parse_interval_binary(data: bytes) -> Interval:
    micros, days, months = _BINARY.unpack(data)
    return Interval(months, days, micros)


# --- input -----------------------------------------------------------------------------------

# unit -> (months, days, microseconds) per one unit
_UNITS: dict[str, tuple[int, int, int]] = {}
for _names, _scale in (
    (("microsecond", "microseconds", "us", "usec", "usecs", "useconds"), (0, 0, 1)),
    (("millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds"), (0, 0, 1000)),
    (("second", "seconds", "s", "sec", "secs"), (0, 0, _US_PER_SECOND)),
    (("minute", "minutes", "m", "min", "mins"), (0, 0, 60 * _US_PER_SECOND)),
    (("hour", "hours", "h", "hr", "hrs"), (0, 0, 3600 * _US_PER_SECOND)),
    (("day", "days", "d"), (0, 1, 0)),
    (("week", "weeks", "w"), (0, 7, 0)),
    (("month", "months", "mon", "mons"), (1, 0, 0)),
    (("year", "years", "y", "yr", "yrs"), (12, 0, 0)),
    (("decade", "decades"), (120, 0, 0)),
    (("century", "centuries", "c"), (1200, 0, 0)),
    (("millennium", "millennia", "millenniums"), (12000, 0, 0)),
):
    for _name in _names:
        _UNITS[_name] = _scale

_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<clock>[+-]?\d+:\d+(?::\d+(?:\.\d*)?)?)
    | (?P<ym>[+-]?\d+-\d+)
    | (?P<num>[+-]?(?:\d+\.?\d*|\.\d+))\s*(?P<unit>[a-z]+)?
    | (?P<ago>ago)
    | (?P<at>@)
    )\s*""",
    re.X | re.I | re.ASCII,
)
_ISO_RE = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))([YMWDHS])", re.ASCII)


class _Accumulator:
    """Adds up fields the way DecodeInterval does, fractions spilling to smaller units."""

    def __init__(self) -> None:
        self.months = 0
        self.days = 0
        self.micros = 0

    def add(self, amount: float, months: int, days: int, micros: int) -> None:
        whole = int(amount)
        fraction = amount - whole
        if months:
            self.months += whole * months
            spill_months = fraction * months
            if months >= 12:  # years and up round the fraction to whole months
                self.months += round(spill_months)
                return
            self._spill_days(spill_months * 30)
        elif days:
            self.days += whole * days
            self._spill_days(fraction * days)
        else:
            self.micros += whole * micros + round(fraction * micros)

    def _spill_days(self, days: float) -> None:
        whole = int(days)
        self.days += whole
        self.micros += round((days - whole) * _US_PER_DAY)

    def clock(self, text: str) -> None:
        negative = text.startswith("-")
        fields = text.lstrip("+-").split(":")
        hours, minutes = int(fields[0]), int(fields[1])
        seconds = float(fields[2]) if len(fields) > 2 else 0.0
        if minutes > 59 or seconds >= 60:
            raise ValueError
        total = (hours * 3600 + minutes * 60) * _US_PER_SECOND + round(seconds * _US_PER_SECOND)
        self.micros += -total if negative else total

    def result(self, negate: bool) -> Interval:
        sign = -1 if negate else 1
        iv = Interval(sign * self.months, sign * self.days, sign * self.micros)
        fits = -(2**31) <= iv.months < 2**31 and -(2**31) <= iv.days < 2**31
        if not (fits and -(2**63) <= iv.microseconds < 2**63):
            raise PgError(SqlState.DATETIME_FIELD_OVERFLOW, "interval out of range")
        return iv


def parse_interval(text: str) -> Interval:
    stripped = text.strip()
    if stripped[:1].upper() == "P":
        return _parse_iso(stripped[1:])
    acc = _Accumulator()
    tokens = _tokens(stripped)
    negate = False
    for index, token in enumerate(tokens):
        if token.group("ago"):
            if index != len(tokens) - 1:
                raise ValueError
            negate = True
        elif token.group("clock"):
            acc.clock(token.group("clock"))
        elif token.group("ym"):
            years, months = token.group("ym").lstrip("+-").split("-")
            total = int(years) * 12 + int(months)
            acc.months += -total if token.group("ym").startswith("-") else total
        elif token.group("num"):
            _add_number(acc, token, tokens[index + 1 : index + 2])
    return acc.result(negate)


def _tokens(text: str) -> list[re.Match[str]]:
    tokens = []
    pos = 0
    while pos < len(text):
        token = _TOKEN_RE.match(text, pos)
        if token is None or token.end() == pos:
            raise ValueError
        if not token.group("at") or pos:
            tokens.append(token)
        pos = token.end()
    if not tokens:
        raise ValueError
    return tokens


def _add_number(acc: _Accumulator, token: re.Match[str], following: list[re.Match[str]]) -> None:
    amount = float(token.group("num"))
    unit = (token.group("unit") or "").lower()
    if not unit:
        # A bare number before a clock is days ("3 04:05:06"); otherwise it is seconds.
        unit = "day" if following and following[0].group("clock") else "second"
    if unit not in _UNITS:
        raise ValueError
    acc.add(amount, *_UNITS[unit])


def _parse_iso(text: str) -> Interval:
    date_part, _, time_part = text.upper().partition("T")
    acc = _Accumulator()
    for part, units in ((date_part, {"Y": "year", "M": "month", "W": "week", "D": "day"}),
                        (time_part, {"H": "hour", "M": "minute", "S": "second"})):
        pos = 0
        for match in _ISO_RE.finditer(part):
            if match.start() != pos or match.group(2) not in units:
                raise ValueError
            acc.add(float(match.group(1)), *_UNITS[units[match.group(2)]])
            pos = match.end()
        if pos != len(part):
            raise ValueError
    if not date_part and not time_part:
        raise ValueError
    return acc.result(False)
