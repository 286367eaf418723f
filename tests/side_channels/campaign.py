"""Running one channel against a list of hidden characters: what the tests and the bench share."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from tests.masking_wire.clear_values import ClearValues
from tests.side_channels.attacks import Channel
from tests.side_channels.oracle import Reading, Spot, read
from tests.side_channels.runner import Endpoint, Prober, Probers
from tests.side_channels.targets import COLUMNS


def spots(
    clear: ClearValues, column: str, customer: int, positions: Iterable[int], value: str | None = None
) -> list[Spot]:
    """The hidden characters at `positions` of a customer's `column`, read through `value`
    (default: the column itself; the controls pass the masked expression instead)."""
    clear_value = getattr(clear.customers[customer], column)
    return [Spot.of(COLUMNS[column], customer, clear_value, p, value or f"c.{column}") for p in positions]


async def attack(
    endpoint: Endpoint, channel: Channel, targets: list[Spot], subject: str, rounds: int = 3
) -> list[Reading]:
    """Read every spot through `channel`: on one connection of `subject`, or on several of
    principals named after it when the channel's guesses may run side by side."""
    prober: Prober | Probers
    if channel.parallel:
        prober = await Probers.connect(endpoint, subject, channel.session)
    else:
        prober = await Prober.connect(endpoint, subject, channel.session)
    try:
        return [await read(prober, channel, spot, rounds=rounds) for spot in targets]
    finally:
        await prober.close()


def run(
    endpoint: Endpoint, channel: Channel, targets: list[Spot], subject: str, rounds: int = 3
) -> list[Reading]:
    """`attack` for synchronous tests. Each test probes as its own principal, so the analyst's
    per-principal rate limit (600 queries a minute) never turns a probe into a 53400."""
    return asyncio.run(attack(endpoint, channel, targets, subject, rounds))


def report(readings: list[Reading]) -> str:
    recovered = [r for r in readings if r.recovered]
    lines = [f"the attacker read {len(recovered)} of {len(readings)} hidden characters:"]
    lines += [f"  {r.describe()}" for r in readings]
    return "\n".join(lines)


def spelled(readings: list[Reading]) -> bool:
    """Timing: do the slowest guesses spell the clear characters, standing out or not?"""
    return all(r.slowest == r.spot.clear for r in readings)
