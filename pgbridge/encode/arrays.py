"""One-dimensional arrays: text ({1,2,NULL} with array_out's quoting) and binary (array_send).

Both work on the flattened element column: the elements of every list in the batch are
rendered at once with the element type's own renderer, then regrouped with the list offsets
and joined by pyarrow (binary_join). The per-list header of the binary form is a numpy
matrix; the text form's quoting is a regex test plus two replacements over all elements.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrowutil as au

Renderer = Callable[[pa.Array], pa.Array]

# array_out quotes an element when it is empty, equals NULL in any case, or holds one of
# these: braces, comma (the delimiter), double quote, backslash, or array_isspace chars.
_NEEDS_QUOTES = r'[{},"\\ \t\n\r\x0b\x0c]'


def as_list(arr: pa.Array) -> pa.Array:
    if pa.types.is_list(arr.type):
        return arr
    return arr.cast(pa.list_(arr.type.value_type))


def _regroup(arr: pa.Array, elements: pa.Array) -> pa.Array:
    offsets = np.asarray(arr.offsets.to_numpy(zero_copy_only=False)).astype(np.int64)
    return pa.ListArray.from_arrays(pa.array(offsets - offsets[0], pa.int32()), elements)


def quote_elements(text: pa.Array) -> pa.Array:
    """Elements as array_out writes them: NULL, bare, or double-quoted with \\ escapes."""
    text = text.cast(pa.string())
    needs = pc.or_(
        pc.match_substring_regex(text, _NEEDS_QUOTES),
        pc.or_(pc.equal(pc.binary_length(text), 0), pc.equal(pc.utf8_lower(text), "null")),
    )
    escaped = pc.replace_substring_regex(text, r'(["\\])', r"\\\1")
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.if_else(needs, quoted, text).fill_null("NULL")


def array_text(arr: pa.Array, element_text: Renderer) -> pa.Array:
    arr = as_list(arr)
    elements = quote_elements(element_text(arr.flatten()))
    joined = pc.binary_join(_regroup(arr, elements), ",")
    return au.with_nulls(pc.binary_join_element_wise("{", joined, "}", ""), au.validity(arr))


def length_prefixed(values: pa.Array) -> pa.Array:
    """Each value as a protocol field: int32 length (-1 for NULL) then the bytes."""
    prefix = au.from_matrix(au.big_endian(au.byte_lengths(values), ">i4"))
    return pc.binary_join_element_wise(
        prefix, au.as_binary(values), b"", null_handling="replace", null_replacement=""
    )


def array_binary(arr: pa.Array, element_binary: Renderer, element_oid: int) -> pa.Array:
    arr = as_list(arr)
    n = len(arr)
    flat = arr.flatten()
    fields = length_prefixed(element_binary(flat))
    body = pc.binary_join(_regroup(arr, fields), b"")
    offsets = np.asarray(arr.offsets.to_numpy(zero_copy_only=False)).astype(np.int64)
    counts = np.diff(offsets)
    element_nulls = ~au.validity(flat)
    row_of = np.repeat(np.arange(n), counts)
    has_nulls = np.bincount(row_of[element_nulls], minlength=n) > 0 if n else np.zeros(0, dtype=bool)
    header = np.zeros((n, 5), dtype=">i4")
    header[:, 0] = counts > 0  # ndim: an empty array has no dimensions
    header[:, 1] = has_nulls
    header[:, 2] = element_oid
    header[:, 3] = counts
    header[:, 4] = 1  # lower bound
    matrix = header.view(np.uint8).reshape(n, 20)
    head = au.from_matrix_prefix(matrix, np.where(counts > 0, 20, 12))
    return au.with_nulls(pc.binary_join_element_wise(head, body, b""), au.validity(arr))
