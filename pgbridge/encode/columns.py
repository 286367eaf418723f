"""Result columns: BigQuery fields -> PostgreSQL columns, format codes, RowDescription.

RowDescription tells the client, per column, the type OID, typlen and typmod it will decode
with; psql, JDBC and asyncpg all pick their decoders from it, so it must match what a real
PostgreSQL would say for the same column types.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from pgbridge.backends.base import Field
from pgbridge.typemap import OutputColumn, PgType, parse_bq_type, pg_type_for
from pgbridge.wire.errors import PgError, SqlState

TEXT, BINARY = 0, 1


def output_columns(fields: Sequence[Field]) -> list[OutputColumn]:
    """The PostgreSQL column each BigQuery result field is shown as."""
    return [OutputColumn(f.name, _pg_type(f)) for f in fields]


def _pg_type(f: Field) -> PgType:
    spelling = f.type
    if f.mode == "REPEATED" and not spelling.upper().startswith("ARRAY"):
        spelling = f"ARRAY<{spelling}>"  # legacy schemas mark arrays by mode
    try:
        return pg_type_for(parse_bq_type(spelling))
    except ValueError as exc:
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED,
            f'column "{f.name}" has BigQuery type {f.type}, which pgbridge cannot return',
            hint="Cast the column to a supported type, e.g. TO_JSON_STRING(x) or CAST(x AS STRING).",
        ) from exc


def resolve_formats(format_codes: Sequence[int], ncols: int) -> list[int]:
    """Bind's result-format codes: none = all text, one = applies to all, else one per column."""
    if len(format_codes) == 0:
        return [TEXT] * ncols
    if len(format_codes) == 1:
        codes = [format_codes[0]] * ncols
    elif len(format_codes) == ncols:
        codes = list(format_codes)
    else:
        raise PgError(
            SqlState.PROTOCOL_VIOLATION,
            f"bind message has {len(format_codes)} result formats but query has {ncols} columns",
        )
    for code in codes:
        if code not in (TEXT, BINARY):
            raise PgError(SqlState.PROTOCOL_VIOLATION, f"unsupported format code: {code}")
    return codes


def row_description(columns: Sequence[OutputColumn], formats: Sequence[int]) -> bytes:
    """A complete RowDescription ('T') message."""
    parts = [struct.pack("!h", len(columns))]
    for column, code in zip(columns, formats, strict=True):
        name = column.name.encode()
        if b"\x00" in name:
            raise PgError(SqlState.PROTOCOL_VIOLATION, f"column name {column.name!r} contains a NUL byte")
        parts.append(name + b"\x00")
        parts.append(
            struct.pack(
                "!ihihih",
                column.table_oid,
                column.column_attnum,
                column.type.oid,
                column.type.typlen,
                column.type_modifier,
                code,
            )
        )
    body = b"".join(parts)
    return b"T" + struct.pack("!i", len(body) + 4) + body
