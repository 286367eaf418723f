"""The hidden characters an attacker goes after: which column, which positions, which guesses.

As the demo's analyst, ssn and card_number come back as `****` plus their last four
characters, email as `****@domain`, phone as a keyed hash. Every other character is hidden.

A probe names one hidden character in SQL. The expression is chosen so that, once masking
makes the warehouse compute on the masked value (`****1234`, `****@domain`), it lands on a `*`
(or on nothing) for every hidden position: then no guess can match and a correct suite sees
nothing. The shown last four are never probed, since learning them is no leak.

- ssn and card_number are addressed from the end, `left(right(v, k), 1)`: `partial` keeps the
  last four, so the k-th character from the end of the masked value is a `*` whenever k > 4;
- the email's local part is `split_part(v, '@', 1)`: `****` once masked;
- phone (`hash`) is addressed from the start; after masking any such use is refused.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

DIGITS = string.digits
EMAIL_CHARS = string.ascii_lowercase + string.digits + ".-"


@dataclass(frozen=True)
class Column:
    """A masked column of shop.customers and how a probe reaches its hidden characters."""

    name: str
    anchor: str  # "end", "local" (email local part) or "start"
    alphabet: str  # every character a hidden position can hold
    probed: tuple[int, ...]  # positions (1-based, clear value) the outcome tests probe
    timed: tuple[int, ...]  # positions the timing tests probe (each costs runs x guesses)

    def char_sql(self, value: str, position: int, clear_length: int) -> str:
        """SQL for the character at `position` of the clear value (clear_length characters)."""
        if self.anchor == "end":
            return f"left(right({value}, {clear_length - position + 1}), 1)"
        if self.anchor == "local":
            return f"substr(split_part({value}, '@', 1), {position}, 1)"
        return f"substr({value}, {position}, 1)"

    def hidden(self, clear: str) -> tuple[int, ...]:
        """Every position of `clear` the analyst cannot see and the alphabet covers."""
        if self.anchor == "end":
            candidates = range(1, len(clear) - 4 + 1)  # partial shows the last four
        elif self.anchor == "local":
            candidates = range(1, clear.index("@") + 1)
        else:
            candidates = range(1, len(clear) + 1)
        return tuple(p for p in candidates if clear[p - 1] in self.alphabet)


COLUMNS: dict[str, Column] = {
    column.name: column
    for column in (
        # ssn 'DDD-DD-DDDD': positions 2, 5, 6 are digits 10, 7 and 6 characters from the end
        Column("ssn", "end", DIGITS, (2, 5), (5, 6)),
        # card '4DDDDDDDDDDDDDDD': its leading digits are zeros in the demo, so probe the
        # hidden ones that vary, just before the shown last four
        Column("card_number", "end", DIGITS, (9, 12), (10, 12)),
        # phone '+1-555-DDD-DDDD'
        Column("phone", "start", DIGITS, (9, 13), (10, 14)),
        # 38 candidates a position: one position each keeps the suite fast
        Column("email", "local", EMAIL_CHARS, (3,), (2,)),
    )
}

# The customer attacked: arbitrary, fixed so a failure names a reproducible probe.
TARGET_CUSTOMER = 4242


def masked_sql(column: str, value: str) -> str:
    """What the warehouse computes on once masking rewrites a column (tests' control runs)."""
    if column == "email":
        return f"('****@' || split_part({value}, '@', 2))"
    return f"('****' || right({value}, 4))"
