"""date, time, timestamp and timestamptz values.

Text output is PostgreSQL's DateStyle "ISO, MDY": `2024-01-02 03:04:05.5`, fractional
seconds trimmed of trailing zeros, timestamptz shown in UTC with `+00` (the gateway's
session TimeZone is UTC, and BigQuery TIMESTAMPs are UTC instants). Binary values count
days (date) or microseconds (the rest) from 2000-01-01, Postgres's epoch.

Input accepts the ISO forms clients actually send: `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]]` with an
optional zone (`Z`, `UTC`, `+02`, `+05:30`, `-0800`, `+05:30:15`, or an IANA name), and
`epoch`. Values outside Python's and BigQuery's years 1..9999, BC dates and PostgreSQL's
'infinity' have no BigQuery counterpart, so they are refused with 22008 rather than clamped.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import TypeVar

from pgbridge.wire.errors import PgError, SqlState

PG_EPOCH = datetime(2000, 1, 1)
PG_EPOCH_DATE = date(2000, 1, 1)
_ONE_US = timedelta(microseconds=1)
_Moment = TypeVar("_Moment", date, datetime)

_DATETIME_RE = re.compile(
    r"""\s*(?P<year>\d{4,})-(?P<month>\d{1,2})-(?P<day>\d{1,2})
    (?:(?:\s+|T)(?P<time>\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?))?
    \s*(?P<bc>BC|AD)?
    \s*(?P<zone>Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?|[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+)?
    \s*(?P<bc2>BC|AD)?\s*""",
    re.X | re.I | re.ASCII,
)
_OFFSET_RE = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?", re.ASCII)
_TIME_RE = re.compile(r"\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?\s*", re.ASCII)


def overflow(message: str) -> PgError:
    return PgError(SqlState.DATETIME_FIELD_OVERFLOW, message)


def out_of_range(what: str) -> PgError:
    return overflow(f"{what} is out of the range pgbridge supports (years 1 to 9999)")


def infinite(what: str) -> PgError:
    return overflow(f"infinite {what} values are not supported: BigQuery has no infinity")


def _special(text: str, what: str) -> str | None:
    word = text.strip().lower()
    if word in ("infinity", "+infinity", "-infinity"):
        raise infinite(what)
    return word if word == "epoch" else None


# --- parsing ---------------------------------------------------------------------------------


def _time_parts(text: str) -> tuple[int, int, int, int]:
    """(hours, minutes, seconds, microseconds); seconds may be 60 and hours 24, as in PG."""
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise ValueError
    hours, minutes = int(match.group(1)), int(match.group(2))
    seconds = int(match.group(3) or 0)
    # Postgres rounds the fraction with rint() on a double; round() on the same double matches.
    micros = round(float("0." + match.group(4)) * 1_000_000) if match.group(4) else 0
    if minutes > 59 or seconds > 60 or hours > 24 or (hours == 24 and (minutes or seconds or micros)):
        raise overflow(f'time field value out of range: "{text.strip()}"')
    return hours, minutes, seconds, micros


def _time_delta(parts: tuple[int, int, int, int]) -> timedelta:
    hours, minutes, seconds, micros = parts
    return timedelta(hours=hours, minutes=minutes, seconds=seconds, microseconds=micros)


def _zone(spec: str) -> tzinfo:
    upper = spec.upper()
    if upper in ("Z", "UTC", "GMT"):
        return UTC
    offset_match = _OFFSET_RE.fullmatch(spec)
    if offset_match is not None:
        sign, hours, minutes, seconds = offset_match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
        if offset >= timedelta(hours=16) or int(minutes or 0) > 59 or int(seconds or 0) > 59:
            raise overflow(f'time zone displacement out of range: "{spec}"')
        return timezone(-offset if sign == "-" else offset)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # stdlib; only loaded for named zones

    try:
        return ZoneInfo(spec)
    except (ZoneInfoNotFoundError, ValueError):
        raise PgError(SqlState.INVALID_PARAMETER_VALUE, f'time zone "{spec}" not recognized') from None


def _parse_datetime(text: str, what: str) -> tuple[datetime, tzinfo | None]:
    if _special(text, what) == "epoch":
        return datetime(1970, 1, 1), None
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        raise ValueError
    if "BC" in ((match.group("bc") or "") + (match.group("bc2") or "")).upper():
        raise out_of_range(f"{what} {text.strip()!r}")
    year, month, day = int(match.group("year")), int(match.group("month")), int(match.group("day"))
    try:
        day_start = datetime(year, month, day)
    except ValueError:
        if 1 <= year <= 9999:
            raise overflow(f'date/time field value out of range: "{text}"') from None
        raise out_of_range(f"{what} {text.strip()!r}") from None
    clock = match.group("time")
    moment = day_start + (_time_delta(_time_parts(clock)) if clock else timedelta())
    zone = _zone(match.group("zone")) if match.group("zone") else None
    return moment, zone


def parse_date(text: str) -> date:
    return _parse_datetime(text, "date")[0].date()


def parse_time(text: str) -> time:
    parts = _time_parts(text.split("+")[0].split("-")[0])  # time ignores a zone suffix
    if parts[0] == 24:
        raise overflow("time 24:00:00 is not supported: BigQuery TIME ends at 23:59:59.999999")
    moment = datetime(2000, 1, 1) + _time_delta(parts)
    return moment.time()


def parse_timestamp(text: str) -> datetime:
    return _parse_datetime(text, "timestamp")[0]  # a zone is ignored, as Postgres does


def parse_timestamptz(text: str) -> datetime:
    moment, zone = _parse_datetime(text, "timestamp")
    return moment.replace(tzinfo=zone or UTC).astimezone(UTC)


# --- formatting ------------------------------------------------------------------------------


def _fraction(micros: int) -> str:
    return "." + f"{micros:06d}".rstrip("0") if micros else ""


def format_time(value: object) -> str:
    if not isinstance(value, time):
        raise TypeError(f"time needs a datetime.time, not {type(value).__name__}")
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{_fraction(value.microsecond)}"


def as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"date needs a datetime.date, not {type(value).__name__}")
    return value


def format_date(value: object) -> str:
    return as_date(value).isoformat()


def as_naive(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"timestamp needs a datetime.datetime, not {type(value).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def as_utc_naive(value: object) -> datetime:
    """A timestamptz as naive UTC (a naive input is taken to be UTC, the session zone)."""
    return as_naive(value)


def format_timestamp(value: object) -> str:
    moment = as_naive(value)
    return f"{moment.date().isoformat()} {format_time(moment.time())}"


def format_timestamptz(value: object) -> str:
    return format_timestamp(as_utc_naive(value)) + "+00"


# --- binary ----------------------------------------------------------------------------------

_I32 = struct.Struct("!i")
_I64 = struct.Struct("!q")


def date_binary(value: object) -> bytes:
    return _I32.pack((as_date(value) - PG_EPOCH_DATE).days)


def _since_epoch(data: bytes, count: struct.Struct, epoch: _Moment, unit: timedelta, what: str) -> _Moment:
    """A binary date or timestamp: a signed count of `unit`s since `epoch`. PostgreSQL sends
    -infinity and infinity as the count's smallest and largest values."""
    (units,) = count.unpack(data)
    largest = 2 ** (8 * count.size - 1) - 1
    if units in (largest, -largest - 1):
        raise infinite(what)
    try:
        return epoch + units * unit
    except OverflowError:
        raise out_of_range(what) from None


def parse_date_binary(data: bytes) -> date:
    return _since_epoch(data, _I32, PG_EPOCH_DATE, timedelta(days=1), "date")


def time_binary(value: object) -> bytes:
    if not isinstance(value, time):
        raise TypeError(f"time needs a datetime.time, not {type(value).__name__}")
    micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    return _I64.pack(micros)


def parse_time_binary(data: bytes) -> time:
    (micros,) = _I64.unpack(data)
    if micros == 86_400_000_000:
        raise overflow("time 24:00:00 is not supported")
    if not 0 <= micros < 86_400_000_000:
        raise ValueError
    return (PG_EPOCH + timedelta(microseconds=micros)).time()


def timestamp_binary(value: object) -> bytes:
    return _I64.pack((as_naive(value) - PG_EPOCH) // _ONE_US)


def parse_timestamp_binary(data: bytes) -> datetime:
    return _since_epoch(data, _I64, PG_EPOCH, _ONE_US, "timestamp")


def parse_timestamptz_binary(data: bytes) -> datetime:
    return parse_timestamp_binary(data).replace(tzinfo=UTC)
