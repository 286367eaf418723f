"""The fields of each event type, in one place, so the pipeline and replay agree on names.

Each function returns the dict to pass to `AuditLog.append(event_type, fields)`. They hold no
secrets by construction: a principal is reduced to subject, roles, token id and issuer, and
parameter values bound to masked columns are replaced before they reach the log.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pgbridge.auth.principal import Principal

REDACTED = "<redacted>"

CONNECTION_OPENED = "connection_opened"
AUTH_SUCCEEDED = "auth_succeeded"
AUTH_FAILED = "auth_failed"
STATEMENT = "statement"
STATEMENT_COMPLETED = "statement_completed"
CANCEL = "cancel"
CONNECTION_CLOSED = "connection_closed"
APPROVAL_REQUESTED = "approval_requested"
APPROVAL_DECIDED = "approval_decided"
RETENTION = "retention"
LOG_RECOVERED = "log_recovered"
LOG_CLOSED = "log_closed"


def principal_fields(principal: Principal) -> dict[str, Any]:
    return {
        "subject": principal.subject,
        "roles": list(principal.roles),
        "token_id": principal.token_id,
        "issuer": principal.issuer,
    }


def connection_opened(
    *, session_id: str, peer: str, tls_version: str | None, application_name: str | None
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "peer": peer,
        "tls_version": tls_version,
        "application_name": application_name,
    }


def auth_succeeded(*, session_id: str, principal: Principal) -> dict[str, Any]:
    return {"session_id": session_id, "principal": principal_fields(principal)}


def auth_failed(
    *, session_id: str, reason: str, subject: str | None = None, token_id: str | None = None,
    issuer: str | None = None,
) -> dict[str, Any]:
    who = {"subject": subject, "token_id": token_id, "issuer": issuer}
    return {"session_id": session_id, "reason": reason, **who}


def redact_params(params: Sequence[Any], masked: Collection[int]) -> list[Any]:
    """Parameter values, with those bound to masked columns (0-based positions) replaced."""
    return [REDACTED if index in masked else value for index, value in enumerate(params)]


def statement(
    *, session_id: str, statement_id: str, principal: Principal, sql: str, translated_sql: str | None,
    params: Sequence[Any] = (), masked_params: Collection[int] = (), decision: str, rule: str | None,
    approval_id: str | None = None, approver: str | None = None,
) -> dict[str, Any]:
    """The write-ahead record: everything decided before the statement runs."""
    return {
        "session_id": session_id,
        "statement_id": statement_id,
        "principal": principal_fields(principal),
        "sql": sql,
        "translated_sql": translated_sql,
        "params": redact_params(params, masked_params),
        "decision": decision,
        "rule": rule,
        "approval_id": approval_id,
        "approver": approver,
    }


def statement_completed(
    *, session_id: str, statement_id: str, job_id: str | None, bytes_scanned: int | None,
    bytes_billed: int | None, rows: int, masked_columns: Mapping[str, str], duration_ms: float,
    sqlstate: str | None, recording: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """After the statement: what ran, what was masked (column -> rule), and what came back."""
    return {
        "session_id": session_id,
        "statement_id": statement_id,
        "job_id": job_id,
        "bytes_scanned": bytes_scanned,
        "bytes_billed": bytes_billed,
        "rows": rows,
        "masked_columns": dict(masked_columns),
        "duration_ms": round(duration_ms, 3),
        "sqlstate": sqlstate,
        "recording": dict(recording) if recording is not None else None,
    }


def cancel(*, session_id: str, statement_id: str | None, job_id: str | None) -> dict[str, Any]:
    return {"session_id": session_id, "statement_id": statement_id, "job_id": job_id}


def connection_closed(*, session_id: str, reason: str) -> dict[str, Any]:
    return {"session_id": session_id, "reason": reason}


def approval_requested(*, approval_id: str, session_id: str, principal: Principal,
                       context: Mapping[str, Any]) -> dict[str, Any]:
    """A new approval request, with what its approver is shown (pgbridge.policy.approval_context)."""
    return {"approval_id": approval_id, "session_id": session_id,
            "principal": principal_fields(principal), **context}


def approval_decided(
    *, approval_id: str, requester: str, approver: Principal, decision: str, reason: str | None,
    rule: str, requested_at: float, decided_at: float | None, via: str,
) -> dict[str, Any]:
    """A decision taken through the admin listener (JSON API or console), by a verified approver.
    Times are epoch seconds, as the approvals store keeps them."""
    return {
        "approval_id": approval_id,
        "requester": requester,
        "approver": principal_fields(approver),
        "decision": decision,
        "reason": reason,
        "rule": rule,
        "requested_at": requested_at,
        "decided_at": decided_at,
        "via": via,
    }
