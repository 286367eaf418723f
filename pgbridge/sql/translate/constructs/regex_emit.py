"""Writing a parsed PostgreSQL pattern (regex_syntax.py) out as RE2 text that means the same.

Every pattern starts with `(?s)` (PostgreSQL's `.` matches a newline), every ASCII character
that is not a letter or digit is escaped (punctuation) or written as \\xHH, every class as
explicit ranges, and a case-insensitive pattern as letters of both cases (the C collation
folds ASCII only). Which capturing groups stay capturing is the caller's choice:
`substring(s from re)` wants the first group, regexp_substr the whole match, regexp_match
one chosen group at a time.

The properties the functions check live here too: whether a pattern can match the empty
string (PostgreSQL and RE2 step past an empty match differently when replacing globally or
counting) and whether its match's extent is the same in both engines (regex_syntax.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pgbridge.sql.translate.constructs.regex_syntax import Anchor, CharSet, Group, Item, Pattern
from pgbridge.wire.errors import unsupported

_ASCII_LETTERS = ((65, 90), (97, 122))


@dataclass(frozen=True)
class Style:
    icase: bool = False
    keep: frozenset[int] | None = None  # capturing groups kept (None: all of them)


FLAGS = "(?s)"  # every pattern: PostgreSQL's `.` matches a newline


def to_re2(pattern: Pattern, style: Style = Style()) -> str:
    """RE2 text matching what `pattern` matches in PostgreSQL under the C collation."""
    return FLAGS + body(pattern, style)


def body(pattern: Pattern, style: Style = Style()) -> str:
    """The RE2 text without its flags, to be placed inside a larger pattern."""
    branches = pattern.branches
    if len(branches) > 1 and _fixed_branches(branches):
        branches = sorted(branches, key=lambda b: _length(b) or 0, reverse=True)  # POSIX: longest
    return _alternation(branches, style)


def _alternation(branches: list[list[Item]], style: Style) -> str:
    return "|".join("".join(_item(item, style) for item in branch) for branch in branches)


def _item(item: Item, style: Style) -> str:
    atom = _atom(item.atom, style)
    if (item.low, item.high) == (1, 1):
        return atom
    if item.high is None:
        return atom + ("*" if item.low == 0 else "+" if item.low == 1 else f"{{{item.low},}}")
    if (item.low, item.high) == (0, 1):
        return atom + "?"
    return atom + (f"{{{item.low}}}" if item.low == item.high else f"{{{item.low},{item.high}}}")


def _atom(atom: CharSet | Anchor | Group, style: Style) -> str:
    if isinstance(atom, Anchor):
        return "^" if atom.start else "$"
    if isinstance(atom, Group):
        keep = atom.capturing and (style.keep is None or atom.number in style.keep)
        return ("(" if keep else "(?:") + _alternation(atom.branches, style) + ")"
    return _charset(atom, style.icase)


def _charset(chars: CharSet, icase: bool) -> str:
    if not chars.negated and (0, 0x10FFFF) in chars.ranges:
        return "."
    ranges = _folded(chars.ranges) if icase else list(chars.ranges)
    if not chars.negated and len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _char(ranges[0][0])
    body = "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in ranges)
    return f"[{'^' if chars.negated else ''}{body}]"


def _char(code: int) -> str:
    # Spellings RE2 and Python's re read alike: sqlglot counts a BigQuery pattern's groups
    # with Python's re (REGEXP_EXTRACT returns group 1 when there is one), so the text must
    # compile there too.
    char = chr(code)
    if code > 127 or (char.isascii() and char.isalnum()):
        return char
    if 33 <= code <= 126:
        return "\\" + char  # punctuation: a backslash makes it literal in both
    return f"\\x{code:02X}"


def _folded(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ranges plus the other case of every ASCII letter in them."""
    extra = []
    for lo, hi in ranges:
        for start, end in _ASCII_LETTERS:
            low, high = max(lo, start), min(hi, end)
            if low <= high:
                shift = 32 if start == 65 else -32
                extra.append((low + shift, high + shift))
    return list(ranges) + extra


# -- properties -------------------------------------------------------------------------------


def nullable(pattern: Pattern) -> bool:
    """Can the pattern match the empty string?"""
    return any(_nullable_sequence(branch) for branch in pattern.branches)


def _nullable_sequence(items: list[Item]) -> bool:
    return all(_nullable_item(item) for item in items)


def _nullable_item(item: Item) -> bool:
    if item.low == 0 or isinstance(item.atom, Anchor):
        return True
    if isinstance(item.atom, Group):
        return any(_nullable_sequence(b) for b in item.atom.branches)
    return False


def check_extent(pattern: Pattern, what: str) -> None:
    """Refuse a pattern whose match's extent PostgreSQL (longest) and RE2 (first) may pick
    differently: alternation other than top-level fixed-length branches, or a quantified group."""
    top_level = len(pattern.branches) > 1
    if top_level and not _fixed_branches(pattern.branches):
        _refuse_extent(pattern, what)
    for branch in pattern.branches:
        _check_items(branch, pattern, what)


def _check_items(items: list[Item], pattern: Pattern, what: str) -> None:
    for item in items:
        if not isinstance(item.atom, Group):
            continue
        if (item.low, item.high) != (1, 1) or len(item.atom.branches) > 1:
            _refuse_extent(pattern, what)
        _check_items(item.atom.branches[0], pattern, what)


def _refuse_extent(pattern: Pattern, what: str) -> None:
    raise unsupported(
        f"{what} with the regular expression '{pattern.text}'",
        hint="PostgreSQL takes the longest match, BigQuery the first alternative that matches; "
        "alternation is translated only as fixed-length alternatives of the whole pattern, "
        "and groups only without quantifiers",
    )


def _fixed_branches(branches: list[list[Item]]) -> bool:
    return all(_length(branch) is not None for branch in branches)


def _length(items: list[Item]) -> int | None:
    total = 0
    for item in items:
        if isinstance(item.atom, Anchor):
            continue
        if isinstance(item.atom, Group) or item.low != item.high:
            return None
        total += item.low
    return total


def always_participates(pattern: Pattern, number: int) -> bool:
    """Does capturing group `number` take part in every match (so its text is never NULL)?"""
    if len(pattern.branches) > 1:
        return False
    return _mandatory(pattern.branches[0], number)


def _mandatory(items: list[Item], number: int) -> bool:
    for item in items:
        group = item.atom
        if not (isinstance(group, Group) and len(group.branches) == 1 and item.low >= 1):
            continue
        if group.number == number or _mandatory(group.branches[0], number):
            return True
    return False
