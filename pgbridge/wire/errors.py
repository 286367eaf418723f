"""Errors that reach a client as an ErrorResponse.

Every failure a client can see is a `PgError`: a severity, a real SQLSTATE and a message a
person can act on. Stages raise it; the session turns it into an ErrorResponse and decides,
from the severity, whether the connection survives (ERROR) or closes (FATAL).
"""

from __future__ import annotations

from dataclasses import dataclass


class SqlState:
    """The SQLSTATE codes pgbridge uses (a subset of PostgreSQL's errcodes.txt)."""

    SUCCESSFUL_COMPLETION = "00000"
    WARNING = "01000"
    CONNECTION_EXCEPTION = "08000"
    CONNECTION_FAILURE = "08006"
    PROTOCOL_VIOLATION = "08P01"
    FEATURE_NOT_SUPPORTED = "0A000"
    INVALID_PARAMETER_VALUE = "22023"
    DATA_EXCEPTION = "22000"
    INVALID_TEXT_REPRESENTATION = "22P02"
    INVALID_BINARY_REPRESENTATION = "22P03"
    NUMERIC_VALUE_OUT_OF_RANGE = "22003"
    DIVISION_BY_ZERO = "22012"
    INVALID_DATETIME_FORMAT = "22007"
    DATETIME_FIELD_OVERFLOW = "22008"
    CHARACTER_NOT_IN_REPERTOIRE = "22021"
    INVALID_CURSOR_STATE = "24000"
    INVALID_TRANSACTION_STATE = "25000"
    READ_ONLY_SQL_TRANSACTION = "25006"
    IN_FAILED_SQL_TRANSACTION = "25P02"
    INVALID_AUTHORIZATION_SPECIFICATION = "28000"
    INVALID_PASSWORD = "28P01"
    INVALID_SQL_STATEMENT_NAME = "26000"
    INVALID_CURSOR_NAME = "34000"
    SYNTAX_ERROR = "42601"
    INSUFFICIENT_PRIVILEGE = "42501"
    UNDEFINED_COLUMN = "42703"
    UNDEFINED_FUNCTION = "42883"
    UNDEFINED_TABLE = "42P01"
    UNDEFINED_OBJECT = "42704"
    UNDEFINED_SCHEMA = "3F000"
    DUPLICATE_PREPARED_STATEMENT = "42P05"
    DUPLICATE_CURSOR = "42P03"
    AMBIGUOUS_COLUMN = "42702"
    DATATYPE_MISMATCH = "42804"
    INDETERMINATE_DATATYPE = "42P18"
    CANT_CHANGE_RUNTIME_PARAM = "55P02"
    OBJECT_NOT_IN_PREREQUISITE_STATE = "55000"
    INSUFFICIENT_RESOURCES = "53000"
    OUT_OF_MEMORY = "53200"
    TOO_MANY_CONNECTIONS = "53300"
    CONFIGURATION_LIMIT_EXCEEDED = "53400"
    PROGRAM_LIMIT_EXCEEDED = "54000"
    QUERY_CANCELED = "57014"
    ADMIN_SHUTDOWN = "57P01"
    CANNOT_CONNECT_NOW = "57P03"
    SYSTEM_ERROR = "58000"
    IO_ERROR = "58030"
    INTERNAL_ERROR = "XX000"


@dataclass
class PgError(Exception):
    """An error to send to the client as ErrorResponse (severity ERROR or FATAL)."""

    sqlstate: str
    message: str
    severity: str = "ERROR"
    detail: str | None = None
    hint: str | None = None
    position: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.severity} {self.sqlstate}: {self.message}"

    @property
    def is_fatal(self) -> bool:
        return self.severity in ("FATAL", "PANIC")


def unsupported(construct: str, hint: str | None = None) -> PgError:
    """0A000 naming the construct the gateway refuses rather than run differently."""
    return PgError(SqlState.FEATURE_NOT_SUPPORTED, f"{construct} is not supported by pgbridge", hint=hint)


def denied(message: str, detail: str | None = None) -> PgError:
    return PgError(SqlState.INSUFFICIENT_PRIVILEGE, message, detail=detail)
