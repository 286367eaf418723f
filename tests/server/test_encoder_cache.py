"""Result encoders are shared between results with the same columns, formats and settings
(pgbridge.server.encoders), and never between results whose settings differ."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from pgbridge.server.encoders import result_encoder
from pgbridge.server.settings import SessionSettings
from pgbridge.typemap import PG_TYPES, OutputColumn

COLUMNS = (OutputColumn("at", PG_TYPES["timestamptz"]),)


def test_same_settings_share_one_encoder_other_settings_get_their_own() -> None:
    utc, berlin = SessionSettings.initial({}), SessionSettings.initial({})
    berlin.set("TimeZone", "Europe/Berlin")
    assert result_encoder(COLUMNS, (), utc) is result_encoder(COLUMNS, (), SessionSettings.initial({}))
    assert result_encoder(COLUMNS, (), utc) is not result_encoder(COLUMNS, (), berlin)
    assert result_encoder(COLUMNS, (), utc) is not result_encoder(COLUMNS, (1,), utc)
    noon = pa.record_batch([pa.array([dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)])], names=["at"])
    assert b"12:00:00+00" in result_encoder(COLUMNS, (), utc).encode(noon)
    assert b"13:00:00+01" in result_encoder(COLUMNS, (), berlin).encode(noon)
