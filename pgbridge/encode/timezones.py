"""The session TimeZone as a vectorised UTC -> local offset lookup.

PostgreSQL renders timestamptz in the session zone with the offset in force at that instant,
including local mean time before standard time existed (Europe/Amsterdam 1900 is +00:19:32).
Python's zoneinfo is exact but costs about a microsecond per call, so the transition table is
read from the same TZif file PostgreSQL reads (/usr/share/zoneinfo) and offsets are found with
numpy.searchsorted. After the file's last transition (2037 in "fat" files) the zone follows
the POSIX rule in the file's footer; zoneinfo applies it, one call per value, which is rare.
"""

from __future__ import annotations

import os
import re
import struct
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np

from pgbridge.wire.errors import PgError, SqlState

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$", re.IGNORECASE)
_UTC_NAMES = {"utc", "gmt", "z", "zulu", "etc/utc", "etc/gmt", "universal", "etc/universal", "uct"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_SAFE = 253402041600  # 9999-12-29 00:00:00 UTC


@dataclass(frozen=True, slots=True)
class Zone:
    """A resolved time zone: a fixed offset, or a TZif transition table plus its zoneinfo."""

    name: str
    fixed_offset: int | None  # seconds east of UTC, for fixed zones
    transitions: np.ndarray  # int64 UTC seconds, ascending
    offsets: np.ndarray  # int64 seconds east of UTC in force from transitions[i]
    before: int  # offset before the first transition
    info: zoneinfo.ZoneInfo | None

    @property
    def is_utc(self) -> bool:
        return self.fixed_offset == 0

    def offsets_for(self, utc_micros: np.ndarray) -> np.ndarray:
        """Seconds east of UTC in force at each UTC instant (microseconds since 1970)."""
        if self.fixed_offset is not None:
            return np.full(len(utc_micros), self.fixed_offset, dtype=np.int64)
        seconds = np.floor_divide(utc_micros, 1_000_000)
        index = np.searchsorted(self.transitions, seconds, side="right") - 1
        result = np.where(index >= 0, self.offsets[np.maximum(index, 0)], self.before)
        if len(self.transitions):
            late = np.nonzero(seconds > self.transitions[-1])[0]
            for i in late:  # past the table: the footer's POSIX rule, via zoneinfo
                result[i] = self._rule_offset(int(seconds[i]))
        return result

    def _rule_offset(self, seconds: int) -> int:
        assert self.info is not None
        # datetime stops at 9999-12-31; no zone changes offset in the last two days of a year.
        moment = _EPOCH + timedelta(seconds=min(seconds, _LAST_SAFE))
        offset = moment.astimezone(self.info).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=64)
def resolve_zone(name: str) -> Zone:
    """Parse a TimeZone setting: UTC, an IANA name, or a UTC offset like +05:30 (east positive)."""
    text = name.strip()
    if text.lower() in _UTC_NAMES:
        return _fixed(text, 0)
    match = _OFFSET.match(text)
    if match:
        sign, hours, minutes, secs = match.groups()
        total = int(hours) * 3600 + int(minutes or 0) * 60 + int(secs or 0)
        return _fixed(text, -total if sign == "-" else total)
    return _from_tzif(text)


def _fixed(name: str, offset: int) -> Zone:
    empty = np.zeros(0, dtype=np.int64)
    return Zone(name, offset, empty, empty, offset, None)


def _from_tzif(name: str) -> Zone:
    path = _tzif_path(name)
    try:
        info = zoneinfo.ZoneInfo(name)
        with open(path, "rb") as handle:
            transitions, offsets, before = _parse_tzif(handle.read())
    except (OSError, ValueError, zoneinfo.ZoneInfoNotFoundError) as exc:
        raise _bad_zone(name) from exc
    return Zone(name, None, transitions, offsets, before, info)


def _tzif_path(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name):
        raise _bad_zone(name)
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            return path
    raise _bad_zone(name)


def _bad_zone(name: str) -> PgError:
    return PgError(
        SqlState.INVALID_PARAMETER_VALUE,
        f'invalid value for parameter "TimeZone": "{name}"',
        hint="Use an IANA zone name such as Europe/Berlin, or an offset such as +05:30.",
    )


def _parse_tzif(data: bytes) -> tuple[np.ndarray, np.ndarray, int]:
    """Transitions (64-bit section of a v2+ TZif file, RFC 8536) and the offset in force at each."""
    if data[:4] != b"TZif":
        raise ValueError("not a TZif file")
    counts = struct.unpack(">6l", data[20:44])
    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = counts
    if data[4:5] == b"\x00":  # version 1: only 32-bit data
        return _tzif_body(data[44:], counts, 4)
    skip = 44 + timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt
    header = data[skip : skip + 44]
    counts = struct.unpack(">6l", header[20:44])
    return _tzif_body(data[skip + 44 :], counts, 8)


def _tzif_body(body: bytes, counts: tuple[int, ...], width: int) -> tuple[np.ndarray, np.ndarray, int]:
    _, _, _, timecnt, typecnt, _ = counts
    times = np.frombuffer(body, dtype=">i8" if width == 8 else ">i4", count=timecnt).astype(np.int64)
    pos = timecnt * width
    type_index = np.frombuffer(body, dtype=np.uint8, count=timecnt, offset=pos)
    pos += timecnt
    utoffs = [struct.unpack(">l", body[pos + 6 * i : pos + 6 * i + 4])[0] for i in range(typecnt)]
    offsets = np.array([utoffs[i] for i in type_index], dtype=np.int64)
    # RFC 8536 3.2: local time before the first transition is given by time type 0.
    return times, offsets, utoffs[0]
