"""The generated SQLSTATE table is current, and every code pgbridge uses is a real one."""

from __future__ import annotations

from pathlib import Path

from pgbridge.wire import gen_sqlstates
from pgbridge.wire.errors import SqlState
from pgbridge.wire.sqlstates import SQLSTATE_NAMES


def test_generated_table_matches_errcodes_txt() -> None:
    source = Path(gen_sqlstates.DEFAULT_SOURCE)
    expected = gen_sqlstates.render(gen_sqlstates.parse(source.read_text()), source.name)
    assert gen_sqlstates.TARGET.read_text() == expected


def test_every_sqlstate_constant_is_a_postgres_code() -> None:
    ours = {name: code for name, code in vars(SqlState).items() if name.isupper()}
    assert len(ours) > 40
    for name, code in ours.items():
        assert code in SQLSTATE_NAMES, name
    assert SQLSTATE_NAMES["08P01"] == "protocol_violation"
    assert SQLSTATE_NAMES["22008"] == "datetime_field_overflow"
