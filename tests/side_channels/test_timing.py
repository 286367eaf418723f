"""Timing channels: how long a statement takes must not depend on a hidden character.

For each technique (repeat, replace, a regular expression, a pad length) and each masked
column, the analyst times every candidate character at a hidden position or two: per guess
the median of three runs, guesses interleaved. No guess may stand out (largest median under
3 x the smallest + 15 ms, re-measured before it counts), and the slowest guesses must not
spell the clear characters (checked twice before it counts: chance can align once).
"""

from __future__ import annotations

import pytest

from tests.masking_wire.clear_values import ClearValues
from tests.side_channels.attacks import CHANNELS, TIMING
from tests.side_channels.campaign import report, run, spelled, spots
from tests.side_channels.runner import Endpoint
from tests.side_channels.targets import COLUMNS, TARGET_CUSTOMER

pytestmark = pytest.mark.slow  # timing statistics: medians of runs for every guess


@pytest.mark.parametrize("column", list(COLUMNS))
@pytest.mark.parametrize("channel", TIMING)
def test_no_guess_takes_longer(
    analyst: Endpoint, clear_values: ClearValues, channel: str, column: str
) -> None:
    targets = spots(clear_values, column, TARGET_CUSTOMER, COLUMNS[column].timed)
    subject = f"spy-{channel}-{column}"
    readings = run(analyst, CHANNELS[channel], targets, subject)
    assert not any(r.answer for r in readings), f"{channel} on {column}: " + report(readings)
    if spelled(readings):
        readings = run(analyst, CHANNELS[channel], targets, subject)
    assert not spelled(readings), (
        f"{channel} on {column}: the slowest guesses spell the clear characters twice: "
        + ", ".join(f"{r.spot.position}={r.slowest!r}" for r in readings)
    )
