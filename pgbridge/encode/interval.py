"""interval from Arrow month_day_nano: IntervalStyle postgres text, and binary.

BigQuery INTERVAL keeps months, days and a time part separately, as PostgreSQL does, so the
three fields map one to one. PostgreSQL stores microseconds; nanoseconds are truncated
toward zero (BigQuery intervals have microsecond precision, so nothing is lost in practice).
Text follows EncodeInterval (INTSTYLE_POSTGRES), one Python call per value: intervals are
rare in bulk results and the rules (sign carrying, "mon"/"mons") are easier to get right.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pgbridge.encode import arrowutil as au


def _micros(nanos: int) -> int:
    return -((-nanos) // 1000) if nanos < 0 else nanos // 1000


def interval_text_value(months: int, days: int, micros: int) -> str:
    parts: list[str] = []
    is_before = False
    years, mons = int(months / 12), months - 12 * int(months / 12)  # C division truncates
    for value, unit in ((years, "year"), (mons, "mon"), (days, "day")):
        if value == 0:
            continue
        plus = "+" if is_before and value > 0 else ""
        parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
        is_before = value < 0
    if not parts or micros != 0:
        parts.append(_time_part(micros, is_before))
    return " ".join(parts)


def _time_part(micros: int, is_before: bool) -> str:
    sign = "-" if micros < 0 else ("+" if is_before else "")
    whole, frac = divmod(abs(micros), 1_000_000)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"
    if frac:
        text += "." + f"{frac:06d}".rstrip("0")
    return text


def _fields(arr: pa.Array) -> list[tuple[int, int, int] | None]:
    return [None if v is None else (v.months, v.days, _micros(v.nanoseconds)) for v in arr.to_pylist()]


def interval_text(arr: pa.Array) -> pa.Array:
    arr = arr.cast(pa.month_day_nano_interval())
    return pa.array([None if f is None else interval_text_value(*f) for f in _fields(arr)], pa.string())


def interval_binary(arr: pa.Array) -> pa.Array:
    """int64 microseconds, int32 days, int32 months (interval_send order)."""
    arr = arr.cast(pa.month_day_nano_interval())
    fields = [f or (0, 0, 0) for f in _fields(arr)]
    record = np.zeros(len(fields), dtype=[("us", ">i8"), ("days", ">i4"), ("months", ">i4")])
    if fields:
        months, days, micros = zip(*fields, strict=True)
        record["us"], record["days"], record["months"] = micros, days, months
    return au.from_matrix(record.view(np.uint8).reshape(len(fields), 16), au.validity(arr))
