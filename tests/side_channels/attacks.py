"""Side-channel probes: SQL whose cost or outcome depends on one hidden character.

Each probe asks one question, "is this hidden character equal to the guess g?", and gets
the answer from something a client observes although the value itself comes back masked:
how long the statement takes, whether it times out, fails, or how many rows it returns.
The guess enters through `replace(ch, g, big)` (grows only on a match) or a comparison.
Some probes put the character where a masking guard may refuse it (a cast, a divisor, WHERE,
LIMIT): refused or run on the masked value, every guess must then look the same.

A channel is one way of observing; its `build(ch, customer, guess)` writes the probe for the
character expression `ch` (see targets.Column.char_sql) of customer `customer`, reading
shop.customers as `c`. The sizes below make a match cost 0.1-0.3 s against ~0.01 s otherwise
on the demo machine: enough to see through the noise of a shared machine, little enough to
keep a guess cheap. `session` statements run once on the probing connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.side_channels.targets import EMAIL_CHARS

Build = Callable[[str, int, str], str]


@dataclass(frozen=True)
class Channel:
    name: str
    family: str  # timing, timeout, error, rows, memory
    build: Build
    session: tuple[str, ...] = ()  # run once on the probing connection
    retries: int = 0  # outcome channels: re-sends of a differing guess (noise, or a leak?)

    @property
    def timing(self) -> bool:
        """Observed through durations (medians of runs) rather than outcomes."""
        return self.family == "timing"

    @property
    def parallel(self) -> bool:
        """Its guesses may run side by side: the outcome depends on the guess alone, not on
        how long the statement takes (statement_timeout's does, so it runs alone)."""
        return self.family not in ("timing", "timeout")


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _over(rows: int, customer: int, select: str) -> str:
    """`select` evaluated once per row of a cross join that repeats the customer `rows` times.
    The select must use `s`: DuckDB evaluates an expression of constant columns once per
    vector, so without it the cross join would not multiply the work."""
    return f"SELECT {select} FROM shop.customers c, generate_series(1, {rows}) s WHERE c.id = {customer}"


def _amplified(ch: str, guess: str, width: int, times: int) -> str:
    """A string of about width x times characters on a match, of a few thousand otherwise."""
    return f"repeat(replace({ch}, {quote(guess)}, repeat('a', {width})) || s::text, {times})"


# -- timing ------------------------------------------------------------------------------------


def timing_repeat(ch: str, customer: int, guess: str) -> str:
    # 50 MB a row on a match: building it is the work (a memcpy is fast, so it takes size).
    return _over(8, customer, f"length({_amplified(ch, guess, 50_000, 1000)})")


def timing_replace(ch: str, customer: int, guess: str) -> str:
    return _over(8, customer, f"length(replace({_amplified(ch, guess, 1000, 1000)}, 'a', 'bc'))")


def timing_regexp(ch: str, customer: int, guess: str) -> str:
    # RE2 (DuckDB, BigQuery) does not backtrack, but still reads the whole string.
    return _over(30, customer, f"{_amplified(ch, guess, 1000, 1000)} ~ '(a|aa)*b'")


def timing_pad(ch: str, customer: int, guess: str) -> str:
    # The direct pad attack, a pad length derived from the value, is refused by the translator
    # (literal lengths only), and DuckDB's lpad/rpad cost follows that length, not the input.
    # What remains is padding a string grown on a match: the growing is the work.
    return _over(8, customer, f"length(lpad({_amplified(ch, guess, 50_000, 1000)}, 5, 'x'))")


# -- deterministic outcomes -------------------------------------------------------------------


def timeout(ch: str, customer: int, guess: str) -> str:
    """A match runs for half a second, past the session's 200 ms statement_timeout."""
    return _over(20, customer, f"length(replace({_amplified(ch, guess, 1000, 1000)}, 'a', 'bc'))")


def _one(customer: int, select: str) -> str:
    """`select` for the one customer, as `select IS NOT NULL`: the probe's outcome is its
    error or its success, and the value returned stays the same for every guess."""
    return f"SELECT ({select}) IS NOT NULL FROM shop.customers c WHERE c.id = {customer}"


def error_cast(ch: str, customer: int, guess: str) -> str:
    # translate() turns a match into 'x' and any other character into '0': only a match fails.
    others = "".join(c for c in EMAIL_CHARS if c != guess)  # every column's alphabet is in it
    digits = quote("x" + "0" * len(others))
    return _one(customer, f"CAST(translate({ch}, {quote(guess + others)}, {digits}) AS integer)")


def error_division(ch: str, customer: int, guess: str) -> str:
    return _one(customer, f"1 / (ascii({ch}) - ascii({quote(guess)}))")


def error_overflow(ch: str, customer: int, guess: str) -> str:
    # 9223372036854775807 is the largest int8: adding 1 overflows exactly on a match.
    return _one(customer, f"9223372036854775807 - abs(ascii({ch}) - ascii({quote(guess)})) + 1")


def memory_string(ch: str, customer: int, guess: str) -> str:
    """On a match the statement asks for a 4 GiB string, more than the engine will allocate."""
    return _one(customer, f"length(repeat(replace({ch}, {quote(guess)}, repeat('x', 65536)), 65536))")


def rows_where(ch: str, customer: int, guess: str) -> str:
    return f"SELECT c.id FROM shop.customers c WHERE c.id = {customer} AND {ch} = {quote(guess)}"


def _two_on_match(ch: str, customer: int, guess: str) -> str:
    """A scalar subquery worth 2 on a match and 1 otherwise."""
    return (
        f"(SELECT length(replace({ch}, {quote(guess)}, 'xx')) FROM shop.customers c WHERE c.id = {customer})"
    )


def rows_limit(ch: str, customer: int, guess: str) -> str:
    return f"SELECT s FROM generate_series(1, 3) s LIMIT {_two_on_match(ch, customer, guess)}"


def rows_offset(ch: str, customer: int, guess: str) -> str:
    return f"SELECT s FROM generate_series(1, 3) s OFFSET {_two_on_match(ch, customer, guess)}"


def rows_series(ch: str, customer: int, guess: str) -> str:
    return f"SELECT s FROM generate_series(1, {_two_on_match(ch, customer, guess)}) s"


CHANNELS: dict[str, Channel] = {
    channel.name: channel
    for channel in (
        Channel("timing-repeat", "timing", timing_repeat),
        Channel("timing-replace", "timing", timing_replace),
        Channel("timing-regexp", "timing", timing_regexp),
        Channel("timing-pad", "timing", timing_pad),
        # A loaded machine can push any probe past 200 ms now and then: a differing guess is
        # sent again before the difference counts.
        Channel("timeout", "timeout", timeout, ("SET statement_timeout = 200",), retries=2),
        Channel("error-cast", "error", error_cast),
        Channel("error-division", "error", error_division),
        Channel("error-overflow", "error", error_overflow),
        Channel("memory-string", "memory", memory_string),
        Channel("rows-where", "rows", rows_where),
        Channel("rows-limit", "rows", rows_limit),
        Channel("rows-offset", "rows", rows_offset),
        Channel("rows-series", "rows", rows_series),
    )
}
TIMING = tuple(name for name, channel in CHANNELS.items() if channel.timing)
OUTCOME = tuple(name for name, channel in CHANNELS.items() if not channel.timing)
