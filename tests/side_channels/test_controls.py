"""The suite's own controls, as admin (exempt from masking), on ssn.

- Every probe reads the clear character when nothing masks it: a passing analyst suite
  then means masking closed the channel, not that a probe stopped working (an engine
  upgrade that folds a probe away would otherwise turn the suite green silently). A timing
  probe passes when its slowest guess is the character (in one of two tries: the machine
  is shared); the outcome probes must single it out.
- Every probe learns nothing when the warehouse computes on the masked value, written out
  as the masked expression (`'****' || right(ssn, 4)`), which is what masking must make the
  warehouse do: the suite's assertions can pass, and the probed positions land on a `*`.
"""

from __future__ import annotations

import pytest

from tests.masking_wire.clear_values import ClearValues
from tests.side_channels.attacks import CHANNELS
from tests.side_channels.campaign import report, run, spelled, spots
from tests.side_channels.runner import Endpoint
from tests.side_channels.targets import COLUMNS, TARGET_CUSTOMER, masked_sql

POSITION = COLUMNS["ssn"].timed[0]
# Timing controls take medians of runs for every guess: the slow lane's, like test_timing.
CONTROLLED = [
    pytest.param(name, marks=pytest.mark.slow) if probe.timing else name for name, probe in CHANNELS.items()
]


@pytest.mark.parametrize("channel", CONTROLLED)
def test_each_probe_reads_an_unmasked_character(
    admin: Endpoint, clear_values: ClearValues, channel: str
) -> None:
    targets = spots(clear_values, "ssn", TARGET_CUSTOMER, [POSITION])
    probe = CHANNELS[channel]
    readings = run(admin, probe, targets, "side-channel-control", rounds=1)
    if probe.timing and not spelled(readings):
        readings = run(admin, probe, targets, "side-channel-control", rounds=1)
    read_it = spelled(readings) if probe.timing else all(r.recovered for r in readings)
    assert read_it, f"{channel} no longer reads ssn: " + report(readings)


@pytest.mark.parametrize("channel", CONTROLLED)
def test_no_probe_learns_anything_from_the_masked_value(
    admin: Endpoint, clear_values: ClearValues, channel: str
) -> None:
    targets = spots(clear_values, "ssn", TARGET_CUSTOMER, [POSITION], masked_sql("ssn", "c.ssn"))
    readings = run(admin, CHANNELS[channel], targets, "side-channel-control")
    assert not any(r.leaked or r.answer for r in readings), f"{channel} on '****1234': " + report(readings)
