"""Types with PostgreSQL semantics, spelled the BigQuery way.

Translation decides by type: `7 / 2` is integer division only when both sides are integers,
`sum(int8)` is numeric in PostgreSQL, a cast's output depends on where it comes from. The
types here are BigQuery spellings ("INT64", "NUMERIC", "ARRAY<STRING>") standing for the
PostgreSQL type a value would have: int2/int4/int8 are all INT64, timestamp is DATETIME and
timestamptz is TIMESTAMP. UNKNOWN is PostgreSQL's unknown (an untyped 'literal' or NULL).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.typemap import BqType, parse_bq_type

INT = "INT64"
FLOAT = "FLOAT64"
NUMERIC = "NUMERIC"
STRING = "STRING"
BOOL = "BOOL"
DATE = "DATE"
DATETIME = "DATETIME"
TIMESTAMP = "TIMESTAMP"
TIME = "TIME"
INTERVAL = "INTERVAL"
JSON = "JSON"
BYTES = "BYTES"
UNKNOWN = "UNKNOWN"  # an untyped literal: PostgreSQL resolves it from context, else text
ROW = "ROW"  # a whole-row reference
# PostgreSQL json (not jsonb): its text exactly as PostgreSQL prints it, carried in a STRING.
# Declared as BigQuery STRUCT, the type the gateway shows as json, whose encoder passes a
# STRING through verbatim.
PGJSON = "STRUCT"

NUMBERS = (INT, FLOAT, NUMERIC)
ORDERABLE = (INT, FLOAT, NUMERIC, STRING, BOOL, DATE, DATETIME, TIMESTAMP, TIME, UNKNOWN)

_SQLGLOT_SCALARS = {
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE PRECISION",
    "NUMERIC": "DECIMAL(38, 9)",
    "BIGNUMERIC": "DECIMAL(76, 38)",
    "STRING": "TEXT",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "DATETIME": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMPTZ",
    "TIME": "TIME",
    "JSON": "JSONB",
    "BYTES": "BYTEA",
    "INTERVAL": "INTERVAL",
    "GEOGRAPHY": "TEXT",
    "STRUCT": "JSON",
}


def _column_type(bq_spelling: str, mode: str) -> BqType:
    """A column's type, its mode included: a REPEATED column is an array."""
    bq = parse_bq_type(bq_spelling)
    return BqType("ARRAY", element=bq) if mode == "REPEATED" and bq.name != "ARRAY" else bq


def sqlglot_type_for(bq_spelling: str, mode: str = "NULLABLE") -> str:
    """A BigQuery column type as a sqlglot postgres type string (for MappingSchema)."""
    return _sqlglot_type(_column_type(bq_spelling, mode))


def _sqlglot_type(bq: BqType) -> str:
    if bq.name == "ARRAY" and bq.element is not None:
        return _sqlglot_type(bq.element) + "[]"
    return _SQLGLOT_SCALARS.get(bq.name, "TEXT")


def field_type(bq_spelling: str, mode: str = "NULLABLE") -> str:
    """A table column's type in this module's spelling (BigQuery's, normalised)."""
    return str(_column_type(bq_spelling, mode))


def array_of(element: str) -> str:
    return f"ARRAY<{element}>"


def element_of(array_type: str | None) -> str | None:
    if array_type and array_type.startswith("ARRAY<"):
        return array_type[6:-1]
    return None


# Cast targets PostgreSQL names (DataType.Type) -> (this module's type, the column name PG gives).
_CAST_TARGETS: dict[exp.DType, tuple[str, str]] = {
    exp.DType.BIGINT: (INT, "int8"),
    exp.DType.INT: (INT, "int4"),
    exp.DType.SMALLINT: (INT, "int2"),
    exp.DType.DOUBLE: (FLOAT, "float8"),
    exp.DType.DECIMAL: (NUMERIC, "numeric"),
    exp.DType.TEXT: (STRING, "text"),
    exp.DType.VARCHAR: (STRING, "varchar"),
    exp.DType.BOOLEAN: (BOOL, "bool"),
    exp.DType.DATE: (DATE, "date"),
    exp.DType.TIMESTAMP: (DATETIME, "timestamp"),
    exp.DType.TIMESTAMPTZ: (TIMESTAMP, "timestamptz"),
    exp.DType.TIME: (TIME, "time"),
    exp.DType.INTERVAL: (INTERVAL, "interval"),
    exp.DType.VARBINARY: (BYTES, "bytea"),
    exp.DType.JSONB: (JSON, "jsonb"),
    exp.DType.JSON: (PGJSON, "json"),
}

# Array cast targets: element DataType.Type -> (element type, PostgreSQL element name).
_ARRAY_ELEMENTS: dict[exp.DType, tuple[str, str]] = {
    exp.DType.BIGINT: (INT, "int8"),
    exp.DType.INT: (INT, "int4"),
    exp.DType.SMALLINT: (INT, "int2"),
    exp.DType.TEXT: (STRING, "text"),
}


def cast_target(to: exp.DataType) -> tuple[str, str] | None:
    """(type, PostgreSQL column name) of a cast target, None when not supported."""
    if to.this == exp.DType.ARRAY and len(to.expressions) == 1:
        element = _ARRAY_ELEMENTS.get(to.expressions[0].this)
        return (array_of(element[0]), element[1] + "[]") if element else None
    return _CAST_TARGETS.get(to.this)


def common_type(types: list[str | None]) -> str | None:
    """PostgreSQL's UNION/CASE/COALESCE type resolution over the types this module knows."""
    known = [t for t in types if t != UNKNOWN]
    if not known:
        return STRING if types else None
    if any(t is None for t in known):
        return None
    if all(t in NUMBERS for t in known):
        for candidate in (FLOAT, NUMERIC, INT):
            if candidate in known:
                return candidate
    first = known[0]
    return first if all(t == first for t in known) else None
