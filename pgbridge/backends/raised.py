"""The run-time errors the translator writes into its SQL (ERROR('...')), told apart from the
engines' own messages so that they reach the client with PostgreSQL's SQLSTATE and text.

Both engines prefix or wrap the text ("Invalid Input Error: integer out of range" in DuckDB,
an invalidQuery "integer out of range" in BigQuery); without this table an int4 overflow would
be a generic data exception (22000) where PostgreSQL says 22003.
"""

from __future__ import annotations

from pgbridge.wire.errors import PgError, SqlState

_RAISED: tuple[tuple[str, str], ...] = (
    ("smallint out of range", SqlState.NUMERIC_VALUE_OUT_OF_RANGE),
    ("bigint out of range", SqlState.NUMERIC_VALUE_OUT_OF_RANGE),
    ("integer out of range", SqlState.NUMERIC_VALUE_OUT_OF_RANGE),
    ("numeric field overflow", SqlState.NUMERIC_VALUE_OUT_OF_RANGE),
    ("date/time field value out of range", SqlState.DATETIME_FIELD_OVERFLOW),
    ("date field value out of range", SqlState.DATETIME_FIELD_OVERFLOW),
)


def raised_by_translation(message: str) -> PgError | None:
    """PostgreSQL's error for a message one of the translator's ERROR() calls produced."""
    lowered = message.lower()
    for text, sqlstate in _RAISED:
        if text in lowered:
            return PgError(sqlstate, text)
    return None
