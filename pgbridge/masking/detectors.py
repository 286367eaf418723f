"""Value detectors: a second line that masks sensitive values found inside free text.

Lineage-based rules mask columns known to be sensitive; detectors catch what slips into
text columns that are not (notes, comments, JSON). Each kind is an RE2 pattern run by
pyarrow.compute over the whole column. Card numbers and IBANs also need a checksum (Luhn,
ISO 13616 mod 97) that no kernel computes, so for those the kernel first picks the rows
holding a candidate and Python checks only the candidates of those rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

# Order matters: long digit runs (cards, IBANs) before the shorter patterns that could match
# inside them (phone numbers).
_PATTERNS: dict[str, str] = {
    "card": r"\b(?:\d[ -]?){12,18}\d\b",
    "iban": r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "ssn": r"\b\d{3}[- ]\d{2}[- ]\d{4}\b",
    "phone": r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\b\d{3})[ .-]?\d{3}[ .-]?\d{4}\b",
}
DETECTOR_KINDS_ORDER = ("card", "iban", "email", "ssn", "phone")


def luhn_valid(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return len(compact) >= 15 and int(number) % 97 == 1


_CHECKS: dict[str, Callable[[str], bool]] = {"card": luhn_valid, "iban": iban_valid}


def detect_and_mask(arr: pa.Array, kinds: Sequence[str], replacement: str = "****") -> pa.Array:
    """Replace every detected value of the given kinds inside a text array; other types pass."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    result = arr
    for kind in DETECTOR_KINDS_ORDER:
        if kind in kinds:
            result = _mask_kind(result, kind, replacement)
    return result


def _mask_kind(arr: pa.Array, kind: str, replacement: str) -> pa.Array:
    pattern = _PATTERNS[kind]
    check = _CHECKS.get(kind)
    if check is None:
        return pc.replace_substring_regex(arr, pattern=pattern, replacement=replacement)
    hits = pc.fill_null(pc.match_substring_regex(arr, pattern=pattern), False)
    if not pc.any(hits).as_py():
        return arr
    compiled = re.compile(pattern)
    rows = pc.filter(arr, hits).to_pylist()

    def substitute(match: re.Match[str]) -> str:
        return replacement if check(match.group(0)) else match.group(0)

    fixed = pa.array([compiled.sub(substitute, text) for text in rows], arr.type)
    return pc.replace_with_mask(arr, hits, fixed)
