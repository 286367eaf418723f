"""Session settings that change how values are rendered.

Only the settings that PostgreSQL itself consults in its output functions live here. DateStyle
(ISO, MDY) and IntervalStyle (postgres) are fixed: the session refuses other values, so the
encoders never have to branch on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgbridge.wire.errors import PgError, SqlState


@dataclass(frozen=True, slots=True)
class EncodeSettings:
    timezone: str = "UTC"  # the session's TimeZone (IANA name or UTC offset)
    extra_float_digits: int = 1  # >0: shortest round-trip (PG 12+ default); <=0: %.{15+efd}g
    bytea_output: str = "hex"  # or "escape"

    def __post_init__(self) -> None:
        if self.bytea_output not in ("hex", "escape"):
            raise PgError(
                SqlState.INVALID_PARAMETER_VALUE,
                f'invalid value for parameter "bytea_output": "{self.bytea_output}"',
                hint="Available values: escape, hex.",
            )
        if not -15 <= self.extra_float_digits <= 3:
            raise PgError(
                SqlState.INVALID_PARAMETER_VALUE,
                f"{self.extra_float_digits} is outside the valid range for parameter "
                '"extra_float_digits" (-15 .. 3)',
            )
