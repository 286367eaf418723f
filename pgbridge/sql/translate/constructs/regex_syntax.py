"""PostgreSQL's regular expressions (AREs), the part RE2 reads the same way, as a small tree.

BigQuery and DuckDB both run RE2. A PostgreSQL pattern is parsed here into a tree of the
constructs both engines agree on, then written out again as RE2 text that means the same.
What does not parse is refused, so a pattern never reaches RE2 with a meaning of PostgreSQL's
that RE2 would read otherwise. The differences taken care of:

- `.` and `[^...]` match a newline in PostgreSQL (its default is not newline-sensitive); RE2
  needs the `s` flag for `.`, which every pattern written here carries;
- pgbridge emulates the C collation, under which PostgreSQL's classes are ASCII-only: `\\d`,
  `\\w`, `[[:alpha:]]` match ASCII only, and `\\s` includes the vertical tab that RE2's `\\s`
  leaves out; every class is written out as explicit ASCII ranges;
- case-insensitive matching (`~*`, flag `i`) folds ASCII letters only in the C collation,
  where RE2's `(?i)` folds Unicode (the Kelvin sign matches `k`): letters are written as
  `[kK]` instead;
- `\\b` is a backspace in PostgreSQL and a word boundary in RE2; `\\v` and friends are
  written as code points;
- bounds are at most 255 in PostgreSQL (1000 in RE2).

Back-references, lookaround, lazy quantifiers (whose rules differ from Perl's), word-boundary
escapes, collating elements and embedded options are refused.

Where the match's extent matters (replacing, extracting, counting), PostgreSQL takes the
longest match at the leftmost position and RE2 the first in Perl's order: they agree when
there is no alternation and no quantified group. A top-level alternation of fixed-length
branches is written longest branch first, which makes the two agree again (`extent_safe`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pgbridge.wire.errors import unsupported

_MAX_BOUND = 255  # PostgreSQL's DUPMAX
_UPPER = (ord("A"), ord("Z"))
_LOWER = (ord("a"), ord("z"))
_DIGIT = (ord("0"), ord("9"))
_SPACE = [(9, 13), (32, 32)]  # \t \n \v \f \r and space: C's isspace
_WORD = [_DIGIT, _UPPER, (95, 95), _LOWER]
_PUNCT = [(33, 47), (58, 64), (91, 96), (123, 126)]
_CLASSES: dict[str, list[tuple[int, int]]] = {
    "alpha": [_UPPER, _LOWER],
    "digit": [_DIGIT],
    "alnum": [_DIGIT, _UPPER, _LOWER],
    "upper": [_UPPER],
    "lower": [_LOWER],
    "space": _SPACE,
    "blank": [(9, 9), (32, 32)],
    "punct": _PUNCT,
    "xdigit": [_DIGIT, (65, 70), (97, 102)],
    "cntrl": [(0, 31), (127, 127)],
    "print": [(32, 126)],
    "graph": [(33, 126)],
    "word": _WORD,
}
_SHORTHANDS = {"d": [_DIGIT], "s": _SPACE, "w": _WORD}
_CHAR_ESCAPES = {"a": 7, "b": 8, "e": 27, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}


def _literal_escape(char: str) -> bool:
    """In an ARE a backslash before a character that is not a letter or digit is that character
    (SIMILAR TO's escapes become these); only ASCII ones are taken, to be safe."""
    return char.isascii() and not char.isalnum()


class RegexError(Exception):
    """A pattern outside the part both engines read alike (the message says what)."""


@dataclass
class CharSet:
    ranges: list[tuple[int, int]]
    negated: bool = False


@dataclass
class Anchor:
    start: bool  # ^ or $


@dataclass
class Group:
    branches: list[list[Item]]
    capturing: bool
    number: int = 0  # capturing groups, counted from 1 in order of their opening parenthesis


@dataclass
class Item:
    atom: CharSet | Anchor | Group
    low: int = 1
    high: int | None = 1  # None: no upper bound


@dataclass
class Pattern:
    branches: list[list[Item]]
    groups: int = 0
    text: str = field(default="", repr=False)


def parse(text: str) -> Pattern:
    """The tree of a PostgreSQL ARE, or 0A000 naming the pattern and what RE2 reads otherwise."""
    parser = _Parser(text)
    try:
        branches = parser.branches()
        if parser.pos != len(text):
            raise RegexError("an unmatched )")
    except RegexError as error:
        raise unsupported(
            f"regular expression '{text}'",
            hint=f"{error}: PostgreSQL's and BigQuery's regex engines read it differently",
        ) from None
    return Pattern(branches, parser.groups, text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.groups = 0

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise RegexError("it ends too early")
        self.pos += 1
        return char

    def branches(self) -> list[list[Item]]:
        found = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            found.append(self.sequence())
        return found

    def sequence(self) -> list[Item]:
        items: list[Item] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            items.append(self.quantified(atom))
        return items

    def atom(self) -> CharSet | Anchor | Group:
        char = self.take()
        if char in "*+?{":
            raise RegexError(f"a quantifier {char} with nothing to repeat")
        if char == "(":
            return self.group()
        if char == "[":
            return self.bracket()
        if char == ".":
            return CharSet([(0, 0x10FFFF)])
        if char in "^$":
            return Anchor(char == "^")
        if char == "\\":
            return self.escape()
        return CharSet([(ord(char), ord(char))])

    def group(self) -> Group:
        capturing = True
        if self.peek() == "?":
            if self.peek(1) != ":":
                raise RegexError("lookaround or embedded options")
            self.pos += 2
            capturing = False
        number = 0
        if capturing:
            self.groups += 1
            number = self.groups
        branches = self.branches()
        if self.take() != ")":
            raise RegexError("an unclosed (")
        return Group(branches, capturing, number)

    def escape(self) -> CharSet:
        char = self.take()
        if _literal_escape(char):
            return CharSet([(ord(char), ord(char))])
        if char in _CHAR_ESCAPES:
            return CharSet([(_CHAR_ESCAPES[char], _CHAR_ESCAPES[char])])
        if char.lower() in _SHORTHANDS:
            return CharSet(list(_SHORTHANDS[char.lower()]), negated=char.isupper())
        raise RegexError(f"the escape \\{char}")

    def quantified(self, atom: CharSet | Anchor | Group) -> Item:
        char = self.peek()
        if char not in ("*", "+", "?", "{"):
            return Item(atom)
        if isinstance(atom, Anchor):
            raise RegexError("a quantified anchor")
        self.pos += 1
        low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}.get(char, (-1, None))
        if char == "{":
            low, high = self.bound()
        if self.peek() in ("*", "+", "?", "{"):
            raise RegexError("a lazy or repeated quantifier")
        return Item(atom, low, high)

    def bound(self) -> tuple[int, int | None]:
        close = self.text.find("}", self.pos)
        body = self.text[self.pos : close] if close >= 0 else ""
        low_text, comma, high_text = body.partition(",")
        if not low_text.isdigit() or (high_text and not high_text.isdigit()):
            raise RegexError("a bound other than {m}, {m,} or {m,n}")
        self.pos = close + 1
        low = int(low_text)
        high = None if comma and not high_text else int(high_text or low_text)
        if low > _MAX_BOUND or (high is not None and (high > _MAX_BOUND or high < low)):
            raise RegexError("a bound over 255 or out of order")
        return low, high

    def bracket(self) -> CharSet:
        negated = self.peek() == "^"
        self.pos += negated
        ranges: list[tuple[int, int]] = []
        first = True
        while first or self.peek() != "]":
            if self.peek() == "[" and self.peek(1) in ":.=":
                ranges += self.posix_class()
            else:
                ranges += self.bracket_range(first)
            first = False
        self.pos += 1
        return CharSet(ranges, negated)

    def posix_class(self) -> list[tuple[int, int]]:
        close = self.text.find(":]", self.pos)
        name = self.text[self.pos + 2 : close] if self.peek(1) == ":" and close > 0 else ""
        if name not in _CLASSES:
            raise RegexError("a collating element, an equivalence class or an unknown character class")
        self.pos = close + 2
        return list(_CLASSES[name])

    def bracket_range(self, first: bool) -> list[tuple[int, int]]:
        low = self.bracket_char(first)
        if isinstance(low, list):
            return low
        if self.peek() == "-" and self.peek(1) not in ("]", ""):
            self.pos += 1
            high = self.bracket_char(False)
            if isinstance(high, list) or high < low:
                raise RegexError("an invalid range in [...]")
            return [(low, high)]
        return [(low, low)]

    def bracket_char(self, first: bool) -> int | list[tuple[int, int]]:
        char = self.take()
        if char == "\\":
            escaped = self.take()
            if _literal_escape(escaped):
                return ord(escaped)
            if escaped in _CHAR_ESCAPES:
                return _CHAR_ESCAPES[escaped]
            if escaped in _SHORTHANDS:
                return list(_SHORTHANDS[escaped])
            raise RegexError(f"the escape \\{escaped} in [...]")
        if char == "]" and not first:
            raise RegexError("an empty [...]")
        return ord(char)
