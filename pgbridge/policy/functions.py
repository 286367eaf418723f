"""The default function allow-list, and how a call in the AST is named.

A name is sqlglot's canonical one for functions it knows (so `char_length`, `length` and
`character_length` are all LENGTH, `now()` is CURRENT_TIMESTAMP) and the upper-cased call
name for the rest; a dotted call (`ml.predict(...)`, `shop.my_udf(...)`) is named with its
prefix, so persistent, remote and ML functions never match a bare default name. The list was
derived by parsing ordinary PostgreSQL calls with sqlglot 30.30 and recording the names it
produced (tests/policy/test_functions.py keeps that honest). Anything not listed is refused
unless a role grants it: sqlglot knows every dialect's functions (READ_CSV, EXTERNAL_QUERY ...)
and would happily translate them, so an allow-list is the only safe default.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from sqlglot import exp

_AGGREGATES = """COUNT SUM AVG MIN MAX STDDEV STDDEV_POP STDDEV_SAMP VARIANCE VARIANCE_POP
LOGICAL_AND LOGICAL_OR EVERY GROUP_CONCAT ARRAY_AGG CORR COVAR_POP COVAR_SAMP PERCENTILE_CONT
PERCENTILE_DISC MODE APPROX_DISTINCT COUNT_IF ANY_VALUE BITWISE_AND_AGG BITWISE_OR_AGG BITWISE_XOR_AGG"""
_CONDITIONAL = "COALESCE NULLIF GREATEST LEAST CASE IF CAST TRY_CAST EXISTS ALL ANY"
_MATH = """ABS CEIL FLOOR ROUND TRUNC SIGN SQRT CBRT EXP LN LOG POWER RAND PI DEGREES RADIANS SIN
COS TAN ASIN ACOS ATAN ATAN2 WIDTH_BUCKET SAFE_DIVIDE"""
_STRING = """LOWER UPPER LENGTH OCTET_LENGTH BIT_LENGTH SUBSTRING STR_POSITION TRIM PAD REPLACE
TRANSLATE CONCAT CONCAT_WS LEFT RIGHT REPEAT REVERSE INITCAP SPLIT_PART STARTS_WITH
REGEXP_REPLACE REGEXP_MATCH REGEXP_MATCHES REGEXP_LIKE REGEXP_EXTRACT REGEXP_SPLIT_TO_ARRAY
REGEXP_I_LIKE REGEXP_COUNT REGEXP_SUBSTR REGEXP_INSTR
FORMAT MD5 S_H_A2_DIGEST SHA2 ENCODE DECODE ASCII CHR HEX STRING_TO_ARRAY ARRAY_TO_STRING"""
_DATETIME = """CURRENT_TIMESTAMP CURRENT_DATE CURRENT_TIME LOCALTIMESTAMP TIMESTAMP_TRUNC DATE_TRUNC
EXTRACT AGE MAKE_DATE TIMESTAMP_FROM_PARTS MAKE_TIMESTAMPTZ TIME_TO_STR STR_TO_DATE UNIX_TO_TIME STR_TO_TIME
TO_NUMBER DATE JUSTIFY_DAYS JUSTIFY_HOURS ISFINITE TIMEZONE DATE_ADD DATE_SUB DATE_DIFF"""
_ARRAY_JSON = """ARRAY_SIZE CARDINALITY ARRAY_POSITION ARRAY_CONCAT ARRAY_APPEND ARRAY_PREPEND
ARRAY_REMOVE EXPLODE ARRAY ARRAY_CONTAINS_ALL JSON_BUILD_OBJECT JSONB_BUILD_OBJECT
J_S_O_N_ARRAY_AGG JSONB_AGG J_S_O_N_OBJECT_AGG TO_JSON TO_JSONB ROW_TO_JSON JSON_EXTRACT
JSON_EXTRACT_SCALAR JSONB_EXTRACT JSONB_EXTRACT_SCALAR JSONB_EXTRACT_PATH JSONB_ARRAY_LENGTH
JSON_TYPEOF JSONB_TYPEOF ROW STRUCT"""
_WINDOW = """ROW_NUMBER RANK DENSE_RANK PERCENT_RANK CUME_DIST NTILE LAG LEAD FIRST_VALUE LAST_VALUE
NTH_VALUE"""
_SESSION = "CURRENT_USER SESSION_USER CURRENT_SCHEMA CURRENT_VERSION UUID"
# GROUPING() of ROLLUP / CUBE is an ordinary scalar. Set-returning calls (unnest,
# generate_series) are table-valued: the issue has them refused unless a role grants them.
_SET_HELPERS = "GROUPING"

DEFAULT_FUNCTIONS: frozenset[str] = frozenset(
    " ".join(
        (_AGGREGATES, _CONDITIONAL, _MATH, _STRING, _DATETIME, _ARRAY_JSON, _WINDOW, _SESSION, _SET_HELPERS)
    ).split()
)
# Set-returning calls that may stand in FROM without a grant: they read no table.
DEFAULT_TABLE_FUNCTIONS: frozenset[str] = frozenset({"EXPLODE", "UNNEST", "EXPLODING_GENERATE_SERIES"})


def function_name(node: exp.Func) -> str:
    """The name a rule matches: canonical or called name, with any dotted prefix kept."""
    base = node.name.upper() if isinstance(node, exp.Anonymous) else node.sql_name().upper()
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        return f"{parent.this.sql(dialect='postgres').upper()}.{base}"
    return base


def function_allowed(name: str, grants: tuple[str, ...], defaults: frozenset[str] | None) -> bool:
    """True when `name` is a default (if defaults apply) or matches a role's grant glob."""
    if defaults is not None and name in defaults:
        return True
    return any(fnmatchcase(name, grant) for grant in grants)
