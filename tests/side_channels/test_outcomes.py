"""Deterministic channels: what a statement returns must not depend on a hidden character.

For each channel (statement_timeout, value-dependent errors, row counts, memory) and each
masked column, the analyst probes a few hidden positions of one customer with every
candidate character. Whatever comes back (rows, an error, the same refusal) must be the
same for every guess: SQLSTATE, row count and the rows as decoded. A difference is a leak,
and where one guess alone differs, it is the character. See attacks.py for each probe.
"""

from __future__ import annotations

import pytest

from tests.masking_wire.clear_values import ClearValues
from tests.side_channels.attacks import CHANNELS, OUTCOME
from tests.side_channels.campaign import report, run, spots
from tests.side_channels.runner import Endpoint
from tests.side_channels.targets import COLUMNS, TARGET_CUSTOMER

pytestmark = pytest.mark.slow  # every outcome channel, every column, every guess: ~900 statements


@pytest.mark.parametrize("column", list(COLUMNS))
@pytest.mark.parametrize("channel", OUTCOME)
def test_the_outcome_is_the_same_for_every_guess(
    analyst: Endpoint, clear_values: ClearValues, channel: str, column: str
) -> None:
    targets = spots(clear_values, column, TARGET_CUSTOMER, COLUMNS[column].probed)
    readings = run(analyst, CHANNELS[channel], targets, f"spy-{channel}-{column}")
    assert not any(r.leaked for r in readings), f"{channel} on {column}: " + report(readings)
