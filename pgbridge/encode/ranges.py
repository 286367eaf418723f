"""daterange / tsrange / tstzrange from BigQuery RANGE<T> (Arrow struct<start, end>).

BigQuery ranges are always [start, end) with a NULL bound meaning unbounded, which is also
PostgreSQL's canonical form, so only the bounds vary. range_out quotes a bound that is empty
or holds a quote, backslash, parenthesis, bracket, comma or space (timestamps do), doubling
quotes and backslashes inside. A range whose bounds are equal is PostgreSQL's "empty".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrowutil as au
from pgbridge.encode.arrays import length_prefixed

Renderer = Callable[[pa.Array], pa.Array]

_EMPTY, _LB_INC, _LB_INF, _UB_INF = 0x01, 0x02, 0x08, 0x10


def _bounds(arr: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray]:
    if not pa.types.is_struct(arr.type) or arr.type.num_fields != 2:
        raise TypeError(f"a RANGE column must be struct<start, end>, got {arr.type}")
    start, end = arr.flatten()
    both = au.validity(start) & au.validity(end)
    same = np.asarray(pc.equal(start, end).fill_null(False)) & both
    return start, end, same


def _quote_bound(text: pa.Array) -> pa.Array:
    text = text.cast(pa.string())
    needs = pc.or_(
        pc.match_substring_regex(text, r'["\\(),\[\] \t\n\r\x0b\x0c]'), pc.equal(pc.binary_length(text), 0)
    )
    doubled = pc.replace_substring_regex(text, r'(["\\])', r"\1\1")
    return pc.if_else(needs, pc.binary_join_element_wise('"', doubled, '"', ""), text)


def range_text(arr: pa.Array, bound_text: Renderer) -> pa.Array:
    start, end, empty = _bounds(arr)
    lower = _quote_bound(bound_text(start))
    upper = _quote_bound(bound_text(end))
    opener = pc.if_else(start.is_valid(), "[", "(")
    text = pc.binary_join_element_wise(opener, lower.fill_null(""), ",", upper.fill_null(""), ")", "")
    text = pc.if_else(pa.array(empty), "empty", text)
    return au.with_nulls(text, au.validity(arr))


def range_binary(arr: pa.Array, bound_binary: Renderer) -> pa.Array:
    start, end, empty = _bounds(arr)
    has_lower, has_upper = au.validity(start) & ~empty, au.validity(end) & ~empty
    flags = np.where(empty, _EMPTY, np.where(has_lower, _LB_INC, _LB_INF) | np.where(has_upper, 0, _UB_INF))
    lower = au.with_nulls(length_prefixed(bound_binary(start)), has_lower)
    upper = au.with_nulls(length_prefixed(bound_binary(end)), has_upper)
    flag_bytes = au.from_matrix(flags.astype(np.uint8).reshape(-1, 1))
    out = pc.binary_join_element_wise(
        flag_bytes, lower, upper, b"", null_handling="replace", null_replacement=b""
    )
    return au.with_nulls(out, au.validity(arr))
