"""The type mapping between BigQuery and PostgreSQL (DESIGN.md, "Types").

BigQuery types travel through pgbridge as their standard SQL spelling ("INT64",
"ARRAY<STRING>", "STRUCT<a INT64, b STRING>"). This module parses those spellings and maps
them to the PostgreSQL type a client sees in RowDescription, and maps the parameter type a
client declares in Parse back to the BigQuery query-parameter type. Stdlib only.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PgType:
    oid: int
    name: str
    typlen: int  # -1 for variable length
    array_oid: int  # 0 when the type is itself an array
    element_oid: int = 0  # for array types


def _t(oid: int, name: str, typlen: int, array_oid: int) -> PgType:
    return PgType(oid, name, typlen, array_oid)


PG_TYPES: dict[str, PgType] = {
    t.name: t
    for t in (
        _t(16, "bool", 1, 1000),
        _t(17, "bytea", -1, 1001),
        _t(18, "char", 1, 1002),
        _t(19, "name", 64, 1003),
        _t(20, "int8", 8, 1016),
        _t(21, "int2", 2, 1005),
        _t(23, "int4", 4, 1007),
        _t(25, "text", -1, 1009),
        _t(26, "oid", 4, 1028),
        _t(114, "json", -1, 199),
        _t(700, "float4", 4, 1021),
        _t(701, "float8", 8, 1022),
        _t(705, "unknown", -2, 0),
        _t(1042, "bpchar", -1, 1014),
        _t(1043, "varchar", -1, 1015),
        _t(1082, "date", 4, 1182),
        _t(1083, "time", 8, 1183),
        _t(1114, "timestamp", 8, 1115),
        _t(1184, "timestamptz", 8, 1185),
        _t(1186, "interval", 16, 1187),
        _t(1700, "numeric", -1, 1231),
        _t(2950, "uuid", 16, 2951),
        _t(3802, "jsonb", -1, 3807),
        _t(3908, "tsrange", -1, 3909),
        _t(3910, "tstzrange", -1, 3911),
        _t(3912, "daterange", -1, 3913),
        # Catalog types: what pg_catalog columns and reg* casts return to clients.
        _t(22, "int2vector", -1, 1006),
        _t(24, "regproc", 4, 1008),
        _t(28, "xid", 4, 1011),
        _t(30, "oidvector", -1, 1013),
        _t(194, "pg_node_tree", -1, 0),
        _t(1033, "aclitem", 12, 1034),
        _t(2202, "regprocedure", 4, 2207),
        _t(2205, "regclass", 4, 2210),
        _t(2206, "regtype", 4, 2211),
        _t(4089, "regnamespace", 4, 4090),
        _t(4096, "regrole", 4, 4097),
        _t(2249, "record", -1, 2287),
        _t(2278, "void", 4, 0),
    )
}
PG_TYPES_BY_OID: dict[int, PgType] = {t.oid: t for t in PG_TYPES.values()}
for _elem in list(PG_TYPES.values()):
    if _elem.array_oid:
        _arr = PgType(_elem.array_oid, "_" + _elem.name, -1, 0, _elem.oid)
        PG_TYPES_BY_OID[_arr.oid] = _arr
        PG_TYPES[_arr.name] = _arr


@dataclass(frozen=True, slots=True)
class OutputColumn:
    """One column of a result as the client sees it in RowDescription."""

    name: str
    type: PgType
    type_modifier: int = -1
    table_oid: int = 0
    column_attnum: int = 0


@dataclass(frozen=True, slots=True)
class BqType:
    """A parsed BigQuery type: a base name plus element / struct fields / range element."""

    name: str  # INT64, STRING, ARRAY, STRUCT, RANGE, ...
    element: BqType | None = None  # ARRAY<element>, RANGE<element>
    fields: tuple[tuple[str, BqType], ...] = ()  # STRUCT<name type, ...>

    def __str__(self) -> str:
        if self.name in ("ARRAY", "RANGE") and self.element is not None:
            return f"{self.name}<{self.element}>"
        if self.name == "STRUCT":
            return "STRUCT<" + ", ".join(f"{n} {t}" for n, t in self.fields) + ">"
        return self.name


# Legacy and alias spellings BigQuery's APIs return (tables API uses INTEGER, FLOAT, ...).
_ALIASES = {
    "INTEGER": "INT64",
    "INT": "INT64",
    "SMALLINT": "INT64",
    "BIGINT": "INT64",
    "TINYINT": "INT64",
    "BYTEINT": "INT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "DECIMAL": "NUMERIC",
    "BIGDECIMAL": "BIGNUMERIC",
    "RECORD": "STRUCT",
}


def parse_bq_type(spelling: str) -> BqType:
    """Parse 'ARRAY<STRUCT<a INT64, b STRING>>' into a BqType. Raises ValueError."""
    parser = _TypeParser(spelling)
    result = parser.parse_type()
    parser.expect_end()
    return result


class _TypeParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _word(self) -> str:
        self._skip_ws()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_`"):
            self.pos += 1
        if start == self.pos:
            raise ValueError(f"bad BigQuery type {self.text!r} at {self.pos}")
        return self.text[start : self.pos].strip("`")

    def _peek(self) -> str:
        self._skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _eat(self, char: str) -> None:
        if self._peek() != char:
            raise ValueError(f"bad BigQuery type {self.text!r}: expected {char!r} at {self.pos}")
        self.pos += 1

    def _skip_parameters(self) -> None:
        # NUMERIC(10, 2), STRING(20): parameterised types keep their base mapping.
        if self._peek() == "(":
            end = self.text.index(")", self.pos)
            self.pos = end + 1

    def parse_type(self) -> BqType:
        name = self._word().upper()
        name = _ALIASES.get(name, name)
        if name in ("ARRAY", "RANGE"):
            self._eat("<")
            element = self.parse_type()
            self._eat(">")
            return BqType(name, element=element)
        if name == "STRUCT":
            fields: list[tuple[str, BqType]] = []
            if self._peek() != "<":
                return BqType("STRUCT")
            self._eat("<")
            while self._peek() != ">":
                field_name = self._word()
                fields.append((field_name, self.parse_type()))
                if self._peek() == ",":
                    self._eat(",")
            self._eat(">")
            return BqType("STRUCT", fields=tuple(fields))
        self._skip_parameters()
        return BqType(name)

    def expect_end(self) -> None:
        if self._peek():
            raise ValueError(f"bad BigQuery type {self.text!r}: trailing text at {self.pos}")


_SCALAR_TO_PG = {
    "INT64": "int8",
    "FLOAT64": "float8",
    "NUMERIC": "numeric",
    "BIGNUMERIC": "numeric",
    "BOOL": "bool",
    "STRING": "text",
    "BYTES": "bytea",
    "DATE": "date",
    "DATETIME": "timestamp",
    "TIME": "time",
    "TIMESTAMP": "timestamptz",
    "JSON": "jsonb",
    "INTERVAL": "interval",
    "GEOGRAPHY": "text",
    "STRUCT": "json",
}
_RANGE_TO_PG = {"DATE": "daterange", "DATETIME": "tsrange", "TIMESTAMP": "tstzrange"}


_DECLARED_NUMERIC = re.compile(r"\s*(?:BIG)?NUMERIC\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)\s*", re.IGNORECASE)


def numeric_typmod(precision: int | None, scale: int | None) -> int:
    """PostgreSQL's typmod of numeric(P, S): ((P << 16) | S) + VARHDRSZ; -1 when undeclared."""
    if precision is None:
        return -1
    return ((precision << 16) | (scale or 0)) + 4


@functools.lru_cache(maxsize=1024)  # every column of every result: parsed once per spelling
def _pg_type_for_spelling(spelling: str) -> PgType:
    return pg_type_for(parse_bq_type(spelling))


def type_modifier_for(spelling: str | None) -> int:
    """The typmod of an output type the translator spelled NUMERIC(P, S) (a column that
    declares its scale), else -1."""
    match = _DECLARED_NUMERIC.fullmatch(spelling or "")
    if match is None:
        return -1
    return numeric_typmod(int(match.group(1)), int(match.group(2) or 0))


def pg_type_for(bq: BqType | str) -> PgType:
    """The PostgreSQL type a client sees for a BigQuery type."""
    if isinstance(bq, str):
        return _pg_type_for_spelling(bq)
    if bq.name == "ARRAY":
        assert bq.element is not None
        element = pg_type_for(bq.element)
        return PG_TYPES_BY_OID[element.array_oid]
    if bq.name == "RANGE":
        assert bq.element is not None
        return PG_TYPES[_RANGE_TO_PG[bq.element.name]]
    try:
        return PG_TYPES[_SCALAR_TO_PG[bq.name]]
    except KeyError:
        raise ValueError(f"BigQuery type {bq} has no PostgreSQL mapping") from None


_PG_TO_BQ = {
    "bool": "BOOL",
    "bytea": "BYTES",
    "char": "STRING",
    "name": "STRING",
    "int8": "INT64",
    "int2": "INT64",
    "int4": "INT64",
    "oid": "INT64",
    "text": "STRING",
    "json": "JSON",
    "float4": "FLOAT64",
    "float8": "FLOAT64",
    "bpchar": "STRING",
    "varchar": "STRING",
    "date": "DATE",
    "time": "TIME",
    "timestamp": "DATETIME",
    "timestamptz": "TIMESTAMP",
    "interval": "INTERVAL",
    "numeric": "NUMERIC",
    "uuid": "STRING",
    "jsonb": "JSON",
}


def bq_type_for_pg_oid(oid: int) -> BqType | None:
    """The BigQuery parameter type for a client-declared parameter OID (None: unspecified)."""
    if oid in (0, 705):
        return None
    pg = PG_TYPES_BY_OID.get(oid)
    if pg is None:
        raise ValueError(f"parameter type OID {oid} is not supported")
    if pg.element_oid:
        element = bq_type_for_pg_oid(pg.element_oid)
        return BqType("ARRAY", element=element) if element else None
    if pg.name not in _PG_TO_BQ:
        raise ValueError(f"parameter type {pg.name} is not supported")
    return BqType(_PG_TO_BQ[pg.name])
