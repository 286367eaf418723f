"""What a masked value may flow through: the allow-list lineage holds every expression to.

Masking redacts an output derived from a masked column, but the warehouse still computes on
the clear value. So a masked value may reach only computations whose cost and outcome cannot
depend on it: a function that could fail on some values, or return more or fewer rows, would
answer a question about the value (`ntile(strpos(ssn, '8') - 8)` fails or not). Where a value
is not allowed to flow it is a *use* (walker: ColumnUse), which the masking guard refuses for
masked columns. Everything below fails closed:

- a function in VALUE_NODES passes its value arguments into its result; the arguments it
  names are control arguments (a length, a pattern, a path, a format, a zone): uses;
- a function not listed: every argument is a use;
- a node in SYNTAX is not a function: its value is its operands', combined without failing;
- any other node: LineageError, the statement cannot be traced and is refused.

The walker applies the rest: aggregates, window PARTITION BY / ORDER BY, CASE conditions,
casts other than to text, divisors, ARITHMETIC operands (overflow fails) and the arguments
of SET_RETURNING functions (they decide the row count) are uses.
"""

from __future__ import annotations

from sqlglot import exp

# Functions whose value a masked input may flow into, with the arguments that steer them.
# Control arguments can make the function fail on some values (a negative length, part 0,
# ntile(0), an unknown time zone, ln(0), an invalid regular expression or LIKE pattern, a JSON
# path, an array subscript): whether the query fails would answer a question about them.
VALUE_NODES: dict[type[exp.Expression], tuple[str, ...]] = {
    exp.Substring: ("start", "length"),
    exp.Left: ("expression",),
    exp.Right: ("expression",),
    exp.Repeat: ("times",),
    exp.Pad: ("expression", "fill_pattern"),
    exp.SplitPart: ("delimiter", "part_index"),
    exp.Round: ("decimals",),
    exp.Lag: ("offset", "default"),
    exp.Lead: ("offset", "default"),
    exp.NthValue: ("offset",),
    exp.FirstValue: (),
    exp.LastValue: (),
    exp.Ntile: ("this",),
    exp.AtTimeZone: ("zone",),
    exp.Sqrt: ("this",),
    exp.Exp: ("this",),
    exp.Ln: ("this",),
    exp.Log: ("this", "expression"),
    # patterns and paths
    exp.Like: ("expression",),
    exp.Escape: ("expression",),
    exp.ILike: ("expression",),
    exp.SimilarTo: ("expression",),
    exp.RegexpLike: ("expression", "flag"),
    exp.RegexpILike: ("expression", "flag"),
    exp.JSONExtract: ("expression", "expressions"),
    exp.JSONExtractScalar: ("expression", "expressions"),
    exp.JSONBExtract: ("expression",),
    exp.JSONBExtractScalar: ("expression",),
    exp.JSONKeyValue: ("this",),  # a NULL or repeated key fails
    exp.Bracket: ("expressions",),
    exp.ArraySize: ("expression",),
    # formats and units of the session-time-zone functions
    exp.TimeToStr: ("format", "zone", "culture"),
    exp.ToChar: ("format", "nlsparam"),
    exp.DateTrunc: ("unit", "zone"),
    exp.TimestampTrunc: ("unit", "zone"),
    exp.Extract: ("this",),
    exp.Interval: ("this", "unit"),  # parsing the text of an interval fails on some values
    exp.StrPosition: ("position", "occurrence"),
    exp.SHA2: ("length",),
    # total: no value of the right type makes them fail
    exp.Lower: (),
    exp.Upper: (),
    exp.Length: (),
    exp.BitLength: (),
    exp.Concat: (),
    exp.ConcatWs: (),
    exp.Reverse: (),
    exp.Initcap: (),
    exp.Trim: (),
    exp.Replace: (),
    exp.Translate: (),
    exp.MD5: (),
    exp.SHA: (),
    exp.StartsWith: (),
    exp.Ascii: (),
    exp.Coalesce: (),
    exp.Nullif: (),
    exp.Greatest: (),
    exp.Least: (),
    exp.Array: (),
    exp.ArrayConcat: (),
    exp.ArrayToString: (),
    exp.ArrayContains: (),
    exp.JSONBContains: (),
    exp.JSONObject: (),
    exp.Struct: (),
}

# Functions sqlglot leaves as Anonymous, by upper-case name. Total: whole-row and
# value-to-JSON conversions never fail. Keyed: json_build_object(key, value, ...) fails on a
# NULL key, so keys are uses and values flow.
TOTAL_ANONYMOUS = {"ROW_TO_JSON", "TO_JSON", "TO_JSONB", "TO_JSON_STRING", "CARDINALITY"}
KEYED_ANONYMOUS = {"JSON_BUILD_OBJECT", "JSONB_BUILD_OBJECT"}

# Syntax, not functions: the value is the operands' values, compared or combined without
# failing. Comparisons and logic are uses where they decide something (WHERE, ON, CASE WHEN).
SYNTAX: tuple[type[exp.Expression], ...] = (
    exp.Literal, exp.Null, exp.Boolean, exp.Placeholder, exp.Parameter, exp.Var,  # constants
    exp.DataType, exp.DataTypeParam, exp.Tuple, exp.Distinct, exp.Ordered, exp.WindowSpec,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
    exp.Is, exp.In, exp.Between, exp.Any, exp.All, exp.Exists,  # predicates
    exp.And, exp.Or, exp.Not, exp.Xor, exp.DPipe,
    exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseNot,
    exp.JSONPath, exp.JSONPathPart, exp.Slice,
    exp.WithinGroup, exp.IgnoreNulls, exp.RespectNulls,  # aggregate modifiers
    exp.Limit, exp.Offset, exp.Fetch, exp.LimitOptions,
)  # fmt: skip

# Casts to these types are total (any value has a text form); every other cast is a use.
# Not JSON: parsing text as JSON fails on some values.
TEXT_TYPES = {
    exp.DataType.Type.TEXT,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.CHAR,
    exp.DataType.Type.NCHAR,
    exp.DataType.Type.NVARCHAR,
    exp.DataType.Type.NAME,
}
# Window functions that return a row's value as is (redacted downstream), not aggregates.
NAVIGATION = (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)
# Operators whose overflow error (or success) answers a comparison: their operands are uses.
ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Pow, exp.BitwiseLeftShift, exp.BitwiseRightShift)
# Equality compares a value without computing on it: an equality use, which masking may allow.
EQUALITY_OPS = (exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.NullSafeNEQ)
# Set-returning functions in the select list: how many rows come back depends on their
# arguments (an ARRAY[...] constructor has as many rows as items, whatever their values).
SET_RETURNING = (exp.Explode, exp.GenerateSeries, exp.Unnest)


def is_total_anonymous(node: exp.Expression) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.upper() in TOTAL_ANONYMOUS


def is_text_cast(node: exp.Cast) -> bool:
    to = node.args.get("to")
    return isinstance(to, exp.DataType) and to.this in TEXT_TYPES
