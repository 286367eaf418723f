"""Gateway (lead-owned) misbehaviour found while running the corpus over the wire. These
tests fail until the server is fixed; the report to the lead has the repro and a fix."""

from __future__ import annotations

from tests.masking_wire.conftest import ANALYST
from tests.masking_wire.outcome import run_extended
from tests.support.gateway import RunningGateway
from tests.support.rawclient import RawClient


def test_simple_query_with_a_parameter_marker_is_a_clean_error(gateway: RunningGateway) -> None:
    """PostgreSQL answers `SELECT $1` sent as a simple Query with 42P02 "there is no parameter
    $1"; the gateway raises an internal error (XX000, "zip() argument 2 is shorter than
    argument 1") from Pipeline._run_data zipping the planned parameter types with no values."""
    client = RawClient.login(gateway, *ANALYST)
    try:
        outcome = run_extended(client, gateway.data_dir, "SELECT id FROM shop.customers WHERE id = $1", 0)
        assert outcome.sqlstate == "08P01"  # extended protocol: Bind supplies 0 of 1 parameters
        from pgbridge.wire import messages as m

        seen = client.simple("SELECT id FROM shop.customers WHERE id = $1")
        error = next(msg for msg in seen if isinstance(msg, m.ErrorResponse))
        assert error.fields["C"] == "42P02", error.fields
    finally:
        client.close()
