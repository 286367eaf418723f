"""date, time, timestamp and timestamptz: text (DateStyle ISO) and binary.

Text is built from Arrow's own ISO cast, whose output is fixed-width for years 1..9999
(BigQuery's range): every value is exactly 26 bytes, so the cast's data buffer *is* an
(n, 26) byte matrix. PostgreSQL drops trailing fractional zeros (and the point when the
fraction is zero) and appends the zone offset to timestamptz; both are done by keeping a
per-row prefix of the matrix plus a per-row suffix, in one numpy compaction. Binary is the
PostgreSQL integer form: days / microseconds since 2000-01-01.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrowutil as au
from pgbridge.encode.timezones import Zone
from pgbridge.wire.errors import PgError

PG_EPOCH_DAYS = 10957  # 2000-01-01 - 1970-01-01
PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400_000_000
_TS_WIDTH = 26  # "YYYY-MM-DD HH:MM:SS.ffffff"
_TIME_WIDTH = 15  # "HH:MM:SS.ffffff"
_DATETIME_OVERFLOW = "22008"
_MIN_MICROS = -62135596800000000  # 0001-01-01 00:00:00
_MAX_MICROS = 253402300800000000  # 10000-01-01 00:00:00


def _fixed_width_text(arr: pa.Array, width: int, what: str) -> np.ndarray:
    """Arrow's ISO cast of a NULL-free array as an (n, width) matrix; refuses other widths."""
    text = pc.cast(arr, pa.string())
    n = len(text)
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * text.offset)
    start, end = int(offsets[0]), int(offsets[-1])
    # Years outside 1..9999 print wider (five digits or a sign), never narrower.
    if end - start != n * width:
        raise PgError(_DATETIME_OVERFLOW, f"{what} out of range: pgbridge renders years 1 to 9999 only")
    return np.frombuffer(text.buffers()[2], dtype=np.uint8, count=n * width, offset=start).reshape(n, width)


def _fraction_length(micros: np.ndarray) -> np.ndarray:
    """Characters for '.ffffff' with trailing zeros dropped: 0 when the fraction is zero."""
    frac = np.mod(micros, 1_000_000)
    zeros = np.zeros(len(frac), dtype=np.int64)
    for power in (10, 100, 1000, 10000, 100000):
        zeros += frac % power == 0
    return np.where(frac == 0, 0, 7 - zeros)


def date_text(arr: pa.Array) -> pa.Array:
    days = arr.cast(pa.date32())
    valid = au.validity(days)
    matrix = _fixed_width_text(days.fill_null(0) if days.null_count else days, 10, "date")
    return au.from_matrix(matrix, valid)


def time_text(arr: pa.Array) -> pa.Array:
    micros = time_micros(arr)
    valid = au.validity(arr)
    matrix = _fixed_width_text(pa.array(micros, pa.time64("us")), _TIME_WIDTH, "time")
    return au.from_matrix_prefix(matrix, 8 + _fraction_length(micros), valid)


def timestamp_text(
    utc_micros: np.ndarray, valid: np.ndarray, zone: Zone | None, xsd: bool = False
) -> pa.Array:
    """ISO text of naive timestamps (zone None) or of instants shown in `zone` with its offset."""
    offsets = zone.offsets_for(utc_micros) if zone is not None else None
    local = utc_micros if offsets is None else utc_micros + offsets * 1_000_000
    # A zone can move 0001-01-01 UTC into 1 BC or 9999-12-31 into 10000: rare, done in Python.
    outside = ((local < _MIN_MICROS) | (local >= _MAX_MICROS)) & valid
    if outside.any():
        local = np.where(outside, 0, local)
    matrix = _fixed_width_text(pa.array(local, pa.timestamp("us")), _TS_WIDTH, "timestamp")
    # Three pieces joined by Arrow: the fixed 19 characters, the trimmed fraction, the offset.
    # Cheaper than compacting the whole 26-byte rows, as only the 7-byte fraction varies.
    pieces = [
        au.from_matrix(np.ascontiguousarray(matrix[:, :19]), valid),
        au.from_matrix_prefix(np.ascontiguousarray(matrix[:, 19:]), _fraction_length(local)),
    ]
    if offsets is not None:
        pieces.append(offset_texts(offsets, xsd))
    text = pc.binary_join_element_wise(*pieces, b"")
    if outside.any():
        rows = np.nonzero(outside)[0]
        local_out = (utc_micros if offsets is None else utc_micros + offsets * 1_000_000)[rows]
        patches = [
            _far_timestamp(int(m), None if offsets is None else int(offsets[r]), xsd)
            for m, r in zip(local_out, rows, strict=True)
        ]
        text = pc.replace_with_mask(text, pa.array(outside), pa.array(patches, pa.binary()))
    return text


def _far_timestamp(local_micros: int, offset: int | None, xsd: bool) -> bytes:
    """PostgreSQL's text for a local time outside years 1..9999 (BC years, five-digit years)."""
    days, micros = divmod(local_micros, 86_400_000_000)
    year, month, day = civil_from_days(days)
    seconds, frac = divmod(micros, 1_000_000)
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if frac:
        clock += "." + f"{frac:06d}".rstrip("0")
    shown_year = year if year > 0 else 1 - year
    text = f"{shown_year:04d}-{month:02d}-{day:02d}{'T' if xsd else ' '}{clock}"
    if offset is not None:
        text += offset_text(offset, xsd)
    return (text + (" BC" if year <= 0 else "")).encode()


def civil_from_days(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian (year, month, day) for days since 1970-01-01; year 0 is 1 BC."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if month <= 2 else 0), month, day


def offset_text(seconds_east: int, xsd: bool = False) -> str:
    """PostgreSQL's zone suffix: +HH, +HH:MM or +HH:MM:SS (XSD/json always shows minutes)."""
    sign = "-" if seconds_east < 0 else "+"
    hours, rest = divmod(abs(seconds_east), 3600)
    minutes, secs = divmod(rest, 60)
    if secs:
        return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"
    if minutes or xsd:
        return f"{sign}{hours:02d}:{minutes:02d}"
    return f"{sign}{hours:02d}"


def offset_texts(offsets: np.ndarray, xsd: bool) -> pa.Array:
    """The zone suffix for each row; a zone has few distinct offsets, so render those and take."""
    if len(offsets) and (offsets == offsets[0]).all():
        return au.const_binary(offset_text(int(offsets[0]), xsd).encode(), len(offsets))
    distinct, index = np.unique(offsets, return_inverse=True)
    texts = pa.array([offset_text(int(o), xsd).encode() for o in distinct], pa.binary())
    return texts.take(pa.array(index.reshape(-1).astype(np.int32)))


def timestamp_micros(arr: pa.Array) -> np.ndarray:
    """Microseconds since 1970 (UTC for timestamptz), NULLs as 0; finer units are truncated."""
    typ = arr.type
    if pa.types.is_timestamp(typ) and typ.unit == "ns":
        return np.floor_divide(au.numbers(arr.cast(pa.int64()), "int64"), 1000)
    if pa.types.is_timestamp(typ):
        arr = arr.cast(pa.timestamp("us", tz=typ.tz))
    elif pa.types.is_date(typ):
        arr = arr.cast(pa.date32()).cast(pa.timestamp("us"))
    else:
        raise TypeError(f"expected timestamp data, got {typ}")
    return au.numbers(arr.cast(pa.int64()), "int64")


def date_binary(arr: pa.Array) -> pa.Array:
    days = au.numbers(arr.cast(pa.date32()).cast(pa.int32()), "int64") - PG_EPOCH_DAYS
    return au.from_matrix(au.big_endian(days, ">i4"), au.validity(arr))


def time_micros(arr: pa.Array) -> np.ndarray:
    typ = arr.type
    if pa.types.is_time64(typ) and typ.unit == "ns":
        return np.floor_divide(au.numbers(arr.cast(pa.int64()), "int64"), 1000)
    return au.numbers(arr.cast(pa.time64("us")).cast(pa.int64()), "int64")


def time_binary(arr: pa.Array) -> pa.Array:
    return au.from_matrix(au.big_endian(time_micros(arr), ">i8"), au.validity(arr))


def timestamp_binary(arr: pa.Array) -> pa.Array:
    micros = timestamp_micros(arr) - PG_EPOCH_MICROS
    return au.from_matrix(au.big_endian(micros, ">i8"), au.validity(arr))
