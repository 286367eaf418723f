"""numeric: text and binary from Arrow decimals, vectorised over the batch.

Arrow's decimal-to-string cast switches to scientific notation for small values (-1E-9),
which PostgreSQL never prints, so both forms are built here from the same base-10000 digit
groups (PostgreSQL's own NBASE): the decimal's unscaled integer, as 32-bit limbs, is divided
by 10000 repeatedly with numpy, one pass per group over the whole batch.

Display scale: BigQuery NUMERIC arrives as decimal128(38, 9), so 123.45 arrives as
123.450000000. PostgreSQL would print a numeric with its stored scale, but BigQuery NUMERIC
has no declared scale and BigQuery itself shows 123.45, so trailing fractional zeros and a
bare point are trimmed (123.450000000 -> 123.45, 10.000000000 -> 10). The binary form
carries the same digits and dscale = the number of fractional digits left after trimming.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pgbridge.encode import arrowutil as au

_NBASE = 10000
_NEG = 0x4000


def to_decimal(arr: pa.Array) -> pa.Array:
    """Any numeric Arrow array as a decimal with scale >= 0 (integers exactly, floats rounded)."""
    typ = arr.type
    if pa.types.is_decimal(typ):
        if typ.scale >= 0:
            return arr
        return arr.cast(pa.decimal256(min(76, typ.precision - typ.scale), 0))
    if pa.types.is_integer(typ):
        return arr.cast(pa.decimal128(38, 0))
    if pa.types.is_floating(typ):
        # Approximate by nature; BigQuery never sends floats for NUMERIC.
        return arr.cast(pa.decimal128(38, 9), safe=False)
    return arr.cast(pa.decimal128(38, 9))


class _Groups:
    """Base-10000 digit groups of a decimal array, most significant first."""

    def __init__(self, arr: pa.Array) -> None:
        typ = arr.type
        width = 8 if pa.types.is_decimal256(typ) else 4
        n = len(arr)
        raw = np.frombuffer(arr.buffers()[1], dtype=np.uint32, count=n * width, offset=arr.offset * width * 4)
        limbs = raw.reshape(n, width).astype(np.uint64)
        self.valid = au.validity(arr)
        self.negative = (limbs[:, -1] >> 31).astype(bool) & self.valid
        limbs = _negate_where(limbs, self.negative)
        limbs[~self.valid] = 0
        align = (-typ.scale) % 4
        limbs = _multiply(limbs, 10**align)
        self.frac_groups = (typ.scale + align) // 4
        self.groups = _to_base_10000(limbs, max(self.frac_groups + 1, 2))

    @property
    def int_groups(self) -> int:
        return self.groups.shape[1] - self.frac_groups

    def dscale(self) -> np.ndarray:
        """Fractional digits after trimming trailing zeros."""
        frac = self.groups[:, self.int_groups :]
        scale = np.zeros(len(frac), dtype=np.int64)
        for g in range(frac.shape[1]):
            group = frac[:, g]
            trailing = np.zeros(len(group), dtype=np.int64)
            for power in (10, 100, 1000):
                trailing += group % power == 0
            scale = np.where(group != 0, 4 * g + 4 - trailing, scale)
        return scale


def _negate_where(limbs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Two's complement negation of the rows in `mask` (limbs little-endian, 32 bits each)."""
    if not mask.any():
        return limbs
    inverted = np.where(mask[:, None], limbs ^ 0xFFFFFFFF, limbs)
    carry: np.ndarray = mask.astype(np.uint64)
    for i in range(inverted.shape[1]):
        total = inverted[:, i] + carry
        inverted[:, i] = total & 0xFFFFFFFF
        carry = total >> 32
    return inverted


def _multiply(limbs: np.ndarray, factor: int) -> np.ndarray:
    out = np.zeros((limbs.shape[0], limbs.shape[1] + 1), dtype=np.uint64)
    carry: np.ndarray = np.zeros(limbs.shape[0], dtype=np.uint64)
    for i in range(limbs.shape[1]):
        total = limbs[:, i] * np.uint64(factor) + carry
        out[:, i] = total & 0xFFFFFFFF
        carry = total >> 32
    out[:, -1] = carry
    return out


def _to_base_10000(limbs: np.ndarray, min_groups: int) -> np.ndarray:
    """Divide by 10000 until nothing is left; drop high limbs once they are zero everywhere."""
    work = limbs[:, ::-1].copy()  # most significant limb first
    groups: list[np.ndarray] = []
    while work.shape[1] and (len(groups) < min_groups or work.any()):
        remainder = np.zeros(work.shape[0], dtype=np.uint64)
        for i in range(work.shape[1]):
            current = (remainder << np.uint64(32)) | work[:, i]
            work[:, i] = current // _NBASE
            remainder = current % _NBASE
        groups.append(remainder)
        while work.shape[1] and not work[:, 0].any():
            work = work[:, 1:]
    while len(groups) < min_groups:
        groups.append(np.zeros(limbs.shape[0], dtype=np.uint64))
    return np.stack(groups[::-1], axis=1).astype(np.int64)


def numeric_text(arr: pa.Array) -> pa.Array:
    g = _Groups(to_decimal(arr))
    n, int_digits = len(g.groups), 4 * g.int_groups
    digits = np.empty((n, 4 * g.groups.shape[1]), dtype=np.uint8)
    for k, power in enumerate((1000, 100, 10, 1)):
        digits[:, k::4] = (g.groups // power) % 10 + 48
    matrix = np.hstack(
        [
            np.full((n, 1), ord("-"), np.uint8),
            digits[:, :int_digits],
            np.full((n, 1), ord("."), np.uint8),
            digits[:, int_digits:],
        ]
    )
    nonzero_int = digits[:, : int_digits - 1] != ord("0")
    first = np.where(nonzero_int.any(axis=1), nonzero_int.argmax(axis=1), int_digits - 1)
    scale = g.dscale()
    is_zero = ~g.groups.any(axis=1)
    col = np.arange(matrix.shape[1])
    keep = (
        ((col == 0) & (g.negative & ~is_zero)[:, None])
        | ((col >= 1 + first[:, None]) & (col <= int_digits))
        | ((col == int_digits + 1) & (scale > 0)[:, None])
        | ((col >= int_digits + 2) & (col < int_digits + 2 + scale[:, None]))
    )
    lengths = keep.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return au.from_parts(matrix[keep], offsets, g.valid)


def numeric_binary(arr: pa.Array) -> pa.Array:
    g = _Groups(to_decimal(arr))
    n, width = g.groups.shape
    nonzero = g.groups != 0
    any_digit = nonzero.any(axis=1)
    first = np.where(any_digit, nonzero.argmax(axis=1), 0)
    last = np.where(any_digit, width - 1 - nonzero[:, ::-1].argmax(axis=1), -1)
    ndigits = np.where(any_digit, last - first + 1, 0)
    weight = np.where(any_digit, g.int_groups - 1 - first, 0)
    sign = np.where(g.negative & any_digit, _NEG, 0)
    header = np.stack([ndigits, weight, sign, g.dscale()], axis=1)
    matrix = np.hstack([header, g.groups]).astype(">i2")
    col = np.arange(width + 4)
    keep = (col < 4) | ((col >= 4 + first[:, None]) & (col <= 4 + last[:, None]))
    data = matrix.view(np.uint8).reshape(n, 2 * (width + 4))[np.repeat(keep, 2, axis=1)]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(2 * (4 + ndigits), out=offsets[1:])
    return au.from_parts(data, offsets, g.valid)
