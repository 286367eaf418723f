"""Reading one hidden character through one channel, and judging what an attacker learns.

Outcome channels (timeout, errors, rows, memory): every guess is sent once. For a channel
the machine's load can sway (statement_timeout), a guess whose outcome differs from the
largest group is sent again until it joins the group (noise) or repeats itself (real). What
differs after that is a leak; the attacker's answer is the one guess whose outcome no other
guess shares.

Timing channels: per guess the median of `runs` durations. A guess stands out when the
largest median exceeds `factor` x the smallest plus `slack` seconds, and the answer is then
the slowest guess. When one stands out, it is measured again against the three fastest
guesses, up to `rounds` times in all, and must stand out every time: noise rarely picks the
same guess twice, a leak always does.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from tests.side_channels.attacks import Channel
from tests.side_channels.runner import Observation, Prober, Probers
from tests.side_channels.targets import Column

FACTOR = 3.0
SLACK = 0.015


@dataclass(frozen=True)
class Spot:
    """One hidden character: whose, where, and the SQL naming it."""

    column: Column
    customer: int
    position: int
    clear: str  # the hidden character itself
    ch: str  # SQL for it

    @classmethod
    def of(cls, column: Column, customer: int, clear_value: str, position: int, value: str) -> Spot:
        ch = column.char_sql(value, position, len(clear_value))
        return cls(column, customer, position, clear_value[position - 1], ch)


@dataclass
class Reading:
    spot: Spot
    answer: str | None  # the guess the observations single out; None when none does
    leaked: bool  # the observations depended on the guess at all
    slowest: str = ""  # timing: the guess with the largest median, standing out or not
    evidence: dict[str, str] = field(default_factory=dict)  # guess -> what was seen

    @property
    def recovered(self) -> bool:
        return self.answer == self.spot.clear

    def describe(self) -> str:
        s = self.spot
        seen = ", ".join(f"{g!r}: {e}" for g, e in sorted(self.evidence.items()))
        return (
            f"{s.column.name} of customer {s.customer}, position {s.position} (clear {s.clear!r}): "
            f"answer {self.answer!r}{' = the clear character' if self.recovered else ''}; seen {seen}"
        )


async def read(
    prober: Prober | Probers, channel: Channel, spot: Spot, runs: int = 3, rounds: int = 3
) -> Reading:
    if channel.timing:
        return await read_timing(prober, channel, spot, runs, rounds)
    return await read_outcome(prober, channel, spot)


async def read_outcome(prober: Prober | Probers, channel: Channel, spot: Spot) -> Reading:
    probes = {g: channel.build(spot.ch, spot.customer, g) for g in spot.column.alphabet}
    seen = dict(zip(probes, await prober.observe_all(list(probes.values())), strict=True))
    if channel.retries:
        common = Counter(o.outcome for o in seen.values()).most_common(1)[0][0]
        for guess in [g for g, o in seen.items() if o.outcome != common]:
            seen[guess] = await _settle(prober, probes[guess], seen[guess], common, channel.retries)
    leaked = len({o.outcome for o in seen.values()}) > 1
    evidence = {g: o.brief() for g, o in seen.items()}
    answer = _odd_one(evidence) or _odd_one({g: o.outcome for g, o in seen.items()})
    return Reading(spot, answer, leaked, evidence=evidence)


async def _settle(
    prober: Prober | Probers, sql: str, first: Observation, common: tuple[str, int, str], retries: int
) -> Observation:
    """Send a differing probe again until it joins the common outcome (it was noise) or
    repeats its own (it is real), at most `retries` times."""
    for _ in range(retries):
        again = await prober.observe(sql)
        if again.outcome in (common, first.outcome):
            return again
    return first


def _odd_one(seen: Mapping[str, object]) -> str | None:
    """The one guess whose observation no other guess shares, if there is exactly one.
    Tried first on status and row count alone: unmasked values differ by guess anyway."""
    groups = Counter(seen.values())
    singles = [g for g, o in seen.items() if groups[o] == 1]
    return singles[0] if len(singles) == 1 and len(seen) > 2 else None


async def medians(prober: Prober | Probers, probes: dict[str, str], runs: int) -> dict[str, float]:
    """Median duration per guess; the guesses are interleaved run by run, so a slow spell of
    the machine lands on all of them rather than on one."""
    times: dict[str, list[float]] = {g: [] for g in probes}
    for _ in range(runs):
        for guess, sql in probes.items():
            times[guess].append((await prober.observe(sql)).seconds)
    return {g: statistics.median(t) for g, t in times.items()}


def standout(timed: dict[str, float], factor: float = FACTOR, slack: float = SLACK) -> str | None:
    slowest = max(timed, key=timed.__getitem__)
    return slowest if timed[slowest] > factor * min(timed.values()) + slack else None


async def read_timing(
    prober: Prober | Probers, channel: Channel, spot: Spot, runs: int = 3, rounds: int = 3
) -> Reading:
    probes = {g: channel.build(spot.ch, spot.customer, g) for g in spot.column.alphabet}
    timed = await medians(prober, probes, runs)
    answer = standout(timed)
    for _ in range(rounds - 1):
        if answer is None:
            break
        fastest = sorted(timed, key=timed.__getitem__)[:3]
        again = await medians(prober, {g: probes[g] for g in (answer, *fastest)}, runs)
        answer = answer if standout(again) == answer else None
    slowest = max(timed, key=timed.__getitem__)
    evidence = {g: f"{t * 1000:.0f} ms" for g, t in timed.items()}
    return Reading(spot, answer, answer is not None, slowest, evidence)
