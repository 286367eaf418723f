"""Small Arrow <-> numpy helpers shared by the encoders.

The encoders build whole columns of output bytes at once. Most of them end in one of two
shapes: a numpy matrix with one fixed-width row of bytes per value (binary integers, dates,
big-endian floats), or a matrix plus a per-row length that keeps only a prefix of each row
(timestamps with trailing fractional zeros trimmed). These helpers turn both shapes into an
Arrow binary array without a Python call per value, and read lengths / validity back out.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def validity(arr: pa.Array) -> np.ndarray:
    """A numpy bool array, True where the value is not NULL."""
    if arr.null_count == 0:
        return np.ones(len(arr), dtype=bool)
    return np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def mask_buffer(valid: np.ndarray) -> pa.Buffer | None:
    """An Arrow validity bitmap for a numpy bool array (None when nothing is NULL)."""
    if valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def numbers(arr: pa.Array, dtype: str) -> np.ndarray:
    """The values as a numpy array of `dtype`, NULLs as zero (callers mask them separately)."""
    if arr.null_count:
        arr = arr.fill_null(0)
    return np.asarray(arr.to_numpy(zero_copy_only=False)).astype(dtype, copy=False)


def byte_lengths(arr: pa.Array) -> np.ndarray:
    """Byte length of each binary/string value, -1 for NULL (the DataRow convention)."""
    lengths = pc.binary_length(arr)
    if lengths.null_count:
        lengths = lengths.fill_null(-1)
    return np.asarray(lengths.to_numpy(zero_copy_only=False)).astype(np.int64, copy=False)


def from_matrix(matrix: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Binary array whose i-th value is row i of a (n, width) uint8 matrix."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    if offsets[-1] >= 2**31:
        return _build(pa.large_binary(), n, offsets, np.ascontiguousarray(matrix), valid).cast(pa.binary())
    return _build(pa.binary(), n, offsets.astype(np.int32), np.ascontiguousarray(matrix), valid)


def from_matrix_prefix(matrix: np.ndarray, lengths: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Binary array whose i-th value is the first lengths[i] bytes of row i of `matrix`."""
    n, width = matrix.shape
    keep = np.arange(width) < lengths[:, None]
    data = matrix[keep]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return _build(pa.large_binary(), n, offsets, data, valid).cast(pa.binary())


def from_parts(data: np.ndarray, offsets: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Binary array from a flat uint8 data buffer and n+1 int64 offsets."""
    return _build(
        pa.large_binary(), len(offsets) - 1, offsets.astype(np.int64, copy=False), data, valid
    ).cast(pa.binary())


def _build(
    typ: pa.DataType, n: int, offsets: np.ndarray, data: np.ndarray, valid: np.ndarray | None
) -> pa.Array:
    bitmap = mask_buffer(valid) if valid is not None else None
    return pa.Array.from_buffers(typ, n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)])


def big_endian(values: np.ndarray, dtype: str) -> np.ndarray:
    """(n, itemsize) uint8 matrix of the values in network byte order."""
    be = np.ascontiguousarray(values.astype(dtype))
    return be.view(np.uint8).reshape(len(values), be.dtype.itemsize)


def as_binary(arr: pa.Array) -> pa.Array:
    """A string/binary array as plain `binary` (zero-copy for string)."""
    if pa.types.is_binary(arr.type):
        return arr
    if pa.types.is_large_binary(arr.type) or pa.types.is_large_string(arr.type):
        return arr.cast(pa.binary())
    return arr.cast(pa.binary())


def const_binary(value: bytes, n: int) -> pa.Array:
    """n copies of `value` as a binary array."""
    return from_matrix(np.tile(np.frombuffer(value, dtype=np.uint8), (n, 1)).reshape(n, len(value)))


def fill_text(arr: pa.Array, replacement: bytes) -> pa.Array:
    """Replace NULLs by a literal (as binary)."""
    arr = as_binary(arr)
    return arr.fill_null(pa.scalar(replacement, pa.binary())) if arr.null_count else arr


def with_nulls(arr: pa.Array, valid: np.ndarray) -> pa.Array:
    """`arr` with NULL wherever `valid` is False."""
    if valid.all():
        return arr
    return pc.if_else(pa.array(valid), arr, pa.scalar(None, arr.type))
