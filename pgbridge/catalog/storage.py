"""How catalog columns are stored: the Arrow (hence DuckDB) type of each PostgreSQL type.

A leaf module: the catalog database (database.py), the information_schema views
(info_schema.py), the rewriter and the engine all need these answers, and none of them needs
the others to get them.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from pgbridge.catalog.facts import load_facts
from pgbridge.typemap import PgType

_SCALAR = {
    "bool": pa.bool_(),
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "numeric": pa.float64(),
    "oid": pa.uint32(),
    "regproc": pa.uint32(),
    "regclass": pa.uint32(),
    "regtype": pa.uint32(),
    "regnamespace": pa.uint32(),
    "regrole": pa.uint32(),
    "regprocedure": pa.uint32(),
    "xid": pa.uint32(),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "interval": pa.month_day_nano_interval(),
    "int2vector": pa.list_(pa.int16()),
    "oidvector": pa.list_(pa.uint32()),
}


def arrow_type(pg: PgType) -> pa.DataType:
    """The Arrow (hence DuckDB) storage type of a PostgreSQL catalog type."""
    if pg.element_oid:
        return pa.list_(arrow_type(load_facts().types_by_oid[pg.element_oid]))
    return _SCALAR.get(pg.name, pa.string())


# DuckDB's name for the Arrow storage types of catalog columns (arrow_type), tested in order;
# any other storage is VARCHAR.
_DUCK_NAMES: tuple[tuple[Callable[[pa.DataType], bool], str], ...] = (
    (pa.types.is_int32, "INTEGER"),
    (pa.types.is_int16, "SMALLINT"),
    (pa.types.is_int64, "BIGINT"),
    (pa.types.is_uint32, "UINTEGER"),
    (pa.types.is_boolean, "BOOLEAN"),
    (pa.types.is_timestamp, "TIMESTAMPTZ"),
)


def duck_type(arrow: pa.DataType) -> str:
    """The DuckDB type that holds a catalog column of Arrow storage type `arrow`."""
    return next((name for test, name in _DUCK_NAMES if test(arrow)), "VARCHAR")
