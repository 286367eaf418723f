"""Time zones and timestamp literals, the PostgreSQL way, for translation.

PostgreSQL computes everything calendar-like on timestamptz (date_trunc('day'), extract,
::date, + interval '1 day', current_date) in the session's TimeZone. BigQuery takes the zone
as an argument instead (DATE(ts, tz), TIMESTAMP_TRUNC(ts, DAY, tz), DATETIME(ts, tz)), so the
translator writes the session zone into the SQL as a literal. Only IANA names (and UTC/GMT)
pass: they mean the same in PostgreSQL, BigQuery and DuckDB's ICU, which all read the tz
database. Abbreviations ('CET', 'EST') are refused in AT TIME ZONE because PostgreSQL reads
them as fixed offsets there, while the tz database has zones of those names with DST.

Untyped literals compared with timestamptz are parsed here so that '2024-01-01',
'2024-01-01 10:00:00.000Z' and '2020-01-01+00' all become one canonical spelling that both
engines read the same way; a literal with no zone is interpreted in the session zone, as
PostgreSQL does.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from pgbridge.wire.errors import unsupported

_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")
_UTC_NAMES = {
    "utc": "UTC",
    "gmt": "GMT",
    "etc/utc": "Etc/UTC",
    "etc/gmt": "Etc/GMT",
    "z": "UTC",
    "zulu": "UTC",
}


@lru_cache(maxsize=256)
def _is_tz_database_name(name: str) -> bool:
    if not _ZONE_NAME.fullmatch(name):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def session_zone(name: str) -> str:
    """The session TimeZone as a zone name BigQuery and DuckDB read the same way."""
    text = name.strip()
    if text.lower() in _UTC_NAMES:
        return _UTC_NAMES[text.lower()]
    if _is_tz_database_name(text):
        return text
    raise unsupported(
        f'time-zone-dependent SQL with TimeZone "{name}"', hint="SET TimeZone to an IANA name such as UTC"
    )


def explicit_zone(name: str) -> str:
    """A zone written in AT TIME ZONE '...': IANA Area/Location names and UTC only."""
    text = name.strip()
    if text.lower() in _UTC_NAMES:
        return _UTC_NAMES[text.lower()]
    if "/" in text and _is_tz_database_name(text):
        return text
    raise unsupported(
        f"AT TIME ZONE '{name}'",
        hint="PostgreSQL reads abbreviations and offsets there as fixed offsets; use e.g. 'Europe/Berlin'",
    )


@dataclass(frozen=True)
class StampLiteral:
    canonical: str  # 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]'
    zoned: bool


_STAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[ T](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?"
    r"\s*(?P<zone>Z|UTC|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


def parse_stamp(text: str) -> StampLiteral | None:
    """A timestamp literal in one of the common ISO spellings, else None."""
    match = _STAMP.fullmatch(text.strip())
    if match is None:
        return None
    clock = match.group("time") or "00:00:00"
    if clock.count(":") == 1:
        clock += ":00"
    zone = match.group("zone")
    if zone is None:
        return StampLiteral(f"{match.group('date')} {clock}", False)
    return StampLiteral(f"{match.group('date')} {clock}{_offset(zone)}", True)


def _offset(zone: str) -> str:
    if zone.upper() in ("Z", "UTC"):
        return "+00:00"
    digits = zone[1:].replace(":", "")
    return f"{zone[0]}{digits[:2]}:{digits[2:4] or '00'}"
