"""BigQuery failures -> PgError with the SQLSTATE a Postgres client would expect.

BigQuery reports an error as an HTTP status plus `errors[0].reason` (invalidQuery,
notFound, accessDenied, quotaExceeded, bytesBilledLimitExceeded, ...) and a message. The
reason decides the class; the message refines it (a notFound on a table vs a column, a
syntax error vs an unknown name). BigQuery's own message is kept so a person can act on it.
Anything that means "BigQuery could not be reached" becomes 08006, never a hang.
"""

from __future__ import annotations

import concurrent.futures
import re

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from pgbridge.backends.raised import raised_by_translation
from pgbridge.wire.errors import PgError, SqlState

_BY_REASON = {
    "accessDenied": SqlState.INSUFFICIENT_PRIVILEGE,
    "billingNotEnabled": SqlState.INSUFFICIENT_PRIVILEGE,
    "quotaExceeded": SqlState.CONFIGURATION_LIMIT_EXCEEDED,
    "rateLimitExceeded": SqlState.TOO_MANY_CONNECTIONS,
    "bytesBilledLimitExceeded": SqlState.PROGRAM_LIMIT_EXCEEDED,
    "billingTierLimitExceeded": SqlState.PROGRAM_LIMIT_EXCEEDED,
    "responseTooLarge": SqlState.PROGRAM_LIMIT_EXCEEDED,
    "resourcesExceeded": SqlState.INSUFFICIENT_RESOURCES,
    "stopped": SqlState.QUERY_CANCELED,
    "jobCancelled": SqlState.QUERY_CANCELED,
    "timeout": SqlState.QUERY_CANCELED,
    "backendError": SqlState.CANNOT_CONNECT_NOW,
    "internalError": SqlState.CANNOT_CONNECT_NOW,
    "notImplemented": SqlState.FEATURE_NOT_SUPPORTED,
}

# Messages that name the problem more exactly than the reason does.
_BY_MESSAGE = (
    (re.compile(r"^Syntax error", re.I), SqlState.SYNTAX_ERROR),
    (
        re.compile(r"Unrecognized name|Name \S+ not found inside|Referenced column .* not found", re.I),
        SqlState.UNDEFINED_COLUMN,
    ),
    (re.compile(r"Function not found|No matching signature", re.I), SqlState.UNDEFINED_FUNCTION),
    (re.compile(r"Not found: (Table|View|Dataset)|was not found", re.I), SqlState.UNDEFINED_TABLE),
    (re.compile(r"[Dd]ivision by zero"), SqlState.DIVISION_BY_ZERO),
    # Values that do not convert: BigQuery reports them as invalidQuery, which would read as
    # a syntax error; PostgreSQL's "invalid input syntax for type ..." is 22P02.
    (
        re.compile(
            r"^Bad (int64|double|bool|float|uint64|int32) value|^Invalid (NUMERIC|BIGNUMERIC) value"
            r"|^Could not cast literal",
            re.I,
        ),
        SqlState.INVALID_TEXT_REPRESENTATION,
    ),
    (
        re.compile(r"^Invalid (date|datetime|time|timestamp|interval)\b", re.I),
        SqlState.INVALID_DATETIME_FORMAT,
    ),
    (
        re.compile(r"\b(int64|numeric|bignumeric) overflow|Floating point overflow", re.I),
        SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
    ),
    (re.compile(r"cannot be (assigned|coerced|inserted)|Could not cast", re.I), SqlState.DATATYPE_MISMATCH),
    (re.compile(r"Query exceeded limit for bytes billed", re.I), SqlState.PROGRAM_LIMIT_EXCEEDED),
    (
        re.compile(r"Job execution was cancelled|Job timed out|exceeded the maximum execution time", re.I),
        SqlState.QUERY_CANCELED,
    ),
)

_BY_CLASS: tuple[tuple[type[BaseException], str], ...] = (
    (gexc.Forbidden, SqlState.INSUFFICIENT_PRIVILEGE),
    (gexc.Unauthorized, SqlState.INVALID_AUTHORIZATION_SPECIFICATION),
    (gexc.NotFound, SqlState.UNDEFINED_TABLE),
    (gexc.TooManyRequests, SqlState.TOO_MANY_CONNECTIONS),
    (gexc.ServiceUnavailable, SqlState.CANNOT_CONNECT_NOW),
    (gexc.InternalServerError, SqlState.CANNOT_CONNECT_NOW),
    (gexc.DeadlineExceeded, SqlState.QUERY_CANCELED),
    (gexc.RetryError, SqlState.CONNECTION_FAILURE),
    (gexc.BadRequest, SqlState.DATA_EXCEPTION),
)

UNREACHABLE = (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError)


def to_pg_error(exc: BaseException, what: str = "BigQuery") -> PgError:
    """The PgError a client sees for a BigQuery failure while doing `what`."""
    if isinstance(exc, PgError):
        return exc
    if isinstance(exc, gexc.GoogleAPICallError):
        return _api_error(exc)
    if isinstance(exc, gexc.RetryError):
        cause = exc.cause
        if isinstance(cause, gexc.GoogleAPICallError):
            return _api_error(cause)
        return unreachable(f"{what}: gave up retrying: {cause or exc}")
    if isinstance(exc, concurrent.futures.TimeoutError | TimeoutError):
        return PgError(SqlState.QUERY_CANCELED, f"{what} timed out; the BigQuery job was cancelled")
    if isinstance(exc, UNREACHABLE):
        return unreachable(f"{what}: {exc}")
    if isinstance(exc, auth_exc.RefreshError | auth_exc.DefaultCredentialsError):
        return PgError(
            SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
            f"{what}: cannot obtain Google credentials: {exc}",
            hint="check [backend] credentials / key_file / impersonate in the gateway configuration",
        )
    return PgError(SqlState.INTERNAL_ERROR, f"{what} failed: {type(exc).__name__}: {exc}")


def unreachable(message: str) -> PgError:
    return PgError(SqlState.CONNECTION_FAILURE, f"BigQuery is unreachable: {message}")


def _api_error(exc: gexc.GoogleAPICallError) -> PgError:
    reason, message = _first_error(exc)
    raised = raised_by_translation(message)
    if raised is not None:
        return raised
    return PgError(
        _sqlstate(exc, reason, message), message, detail=f"BigQuery reason: {reason}" if reason else None
    )


def _first_error(exc: gexc.GoogleAPICallError) -> tuple[str, str]:
    for error in exc.errors or ():
        if isinstance(error, dict) and error.get("message"):
            return str(error.get("reason") or ""), str(error["message"])
    return str(exc.reason or ""), str(exc.message or exc)


def _sqlstate(exc: gexc.GoogleAPICallError, reason: str, message: str) -> str:
    for pattern, state in _BY_MESSAGE:
        if pattern.search(message):
            return state
    if reason in _BY_REASON:
        return _BY_REASON[reason]
    if reason == "invalidQuery":
        return SqlState.SYNTAX_ERROR
    for cls, state in _BY_CLASS:
        if isinstance(exc, cls):
            return state
    return SqlState.INTERNAL_ERROR


def is_unknown_name(error: PgError) -> bool:
    """True when BigQuery reported a name the cached catalog may still list (or lack)."""
    return error.sqlstate in (SqlState.UNDEFINED_TABLE, SqlState.UNDEFINED_COLUMN)
