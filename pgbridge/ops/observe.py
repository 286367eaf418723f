"""The audit's events, seen by the operator: Prometheus metrics and one log line each per
connection and per statement.

The audit log calls `observe` once a record is durable, so the metrics and the log say what
the evidence says, counted at one place instead of at every branch of the pipeline. A log line
carries ids, the principal's subject and roles, the decision, the SQLSTATE, counts and
durations, and never the SQL, its parameters or an error message: those can quote clear values
(a literal an admin typed, a value in "invalid input syntax"), and the audit log already holds
them under its own protection. Tokens never reach an audit record (pgbridge.audit.events).

With `[audit] enabled = false` (benchmarks only) there are no such events, hence no statement
lines or statement metrics.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pgbridge.ops import metrics

log = logging.getLogger("pgbridge.events")

# Statement kinds as labels: the first keyword, from a closed set (label values must be few).
_KINDS = frozenset({"select", "with", "values", "table", "insert", "update", "delete", "merge",
                    "explain", "show", "copy", "declare", "fetch", "create", "drop", "alter"})
_MAX_OPEN = 10_000  # sessions or statements waiting for their end record; the oldest are dropped


@dataclass
class _Session:
    opened: float
    peer: str
    application_name: str
    subject: str | None = None
    roles: list[str] = field(default_factory=list)
    statements: int = 0
    errors: int = 0


@dataclass(frozen=True)
class _Statement:
    kind: str
    decision: str
    rule: str | None
    subject: str | None
    roles: tuple[str, ...]


class Observer:
    """Keeps what an end record needs from its start record (bounded), and reports both."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._statements: OrderedDict[str, _Statement] = OrderedDict()

    def __call__(self, event_type: str, fields: Mapping[str, Any]) -> None:
        handler = _HANDLERS.get(event_type)
        if handler is not None:
            try:
                handler(self, fields)
            except Exception:  # observing must never fail what was observed
                log.exception("could not observe a %s event", event_type)

    def _opened(self, fields: Mapping[str, Any]) -> None:
        application = str(fields.get("application_name") or "")
        session = _Session(time.monotonic(), str(fields.get("peer")), application)
        _remember(self._sessions, str(fields.get("session_id")), session)

    def _authenticated(self, fields: Mapping[str, Any]) -> None:
        metrics.AUTHENTICATIONS.labels("ok").inc()
        session = self._sessions.get(str(fields.get("session_id")))
        principal = fields.get("principal") or {}
        if session is not None:
            session.subject = principal.get("subject")
            session.roles = list(principal.get("roles") or [])

    def _auth_failed(self, fields: Mapping[str, Any]) -> None:
        metrics.AUTHENTICATIONS.labels("failed").inc()

    def _statement(self, fields: Mapping[str, Any]) -> None:
        principal = fields.get("principal") or {}
        record = _Statement(
            kind_of(str(fields.get("sql") or "")),
            str(fields.get("decision")),
            fields.get("rule"),
            principal.get("subject"),
            tuple(principal.get("roles") or ()),
        )
        metrics.STATEMENTS.labels(record.kind, record.decision).inc()
        _remember(self._statements, str(fields.get("statement_id")), record)

    def _completed(self, fields: Mapping[str, Any]) -> None:
        started = self._statements.pop(str(fields.get("statement_id")), None)
        decision = started.decision if started else "unknown"
        duration_ms = float(fields.get("duration_ms") or 0.0)
        rows = int(fields.get("rows") or 0)
        sqlstate = fields.get("sqlstate")
        metrics.STATEMENT_SECONDS.labels(decision).observe(duration_ms / 1000)
        _count_backend(fields)
        masked = fields.get("masked_columns") or {}
        for rules in masked.values():
            for rule in str(rules).split(","):
                if rule and rows:
                    metrics.MASKED_VALUES.labels(rule).inc(rows)
        session = self._sessions.get(str(fields.get("session_id")))
        if session is not None:
            session.statements += 1
            session.errors += sqlstate is not None
        log.info("statement", extra={"fields": {
            "event": "statement",
            "session_id": fields.get("session_id"),
            "statement_id": fields.get("statement_id"),
            "principal": started.subject if started else None,
            "roles": list(started.roles) if started else None,
            "kind": started.kind if started else None,
            "decision": decision,
            "rule": started.rule if started else None,
            "sqlstate": sqlstate,
            "duration_ms": duration_ms,
            "rows": rows,
            "bytes_scanned": fields.get("bytes_scanned"),
            "bytes_billed": fields.get("bytes_billed"),
            "job_id": fields.get("job_id"),
            "masked_columns": len(masked),
        }})

    def _cancelled(self, fields: Mapping[str, Any]) -> None:
        log.info("cancel", extra={"fields": {
            "event": "cancel",
            "session_id": fields.get("session_id"),
            "statement_id": fields.get("statement_id"),
            "job_id": fields.get("job_id"),
        }})

    def _closed(self, fields: Mapping[str, Any]) -> None:
        session = self._sessions.pop(str(fields.get("session_id")), None)
        reason = str(fields.get("reason") or "")
        sqlstate = reason[:5] if reason[5:7] == ": " else None
        metrics.CONNECTIONS_CLOSED.labels("error" if sqlstate else "normal").inc()
        log.info("connection", extra={"fields": {
            "event": "connection",
            "session_id": fields.get("session_id"),
            "principal": session.subject if session else None,
            "roles": session.roles if session else None,
            "peer": session.peer if session else None,
            "application_name": session.application_name if session else None,
            "sqlstate": sqlstate,
            "close": "error" if sqlstate else reason,
            "statements": session.statements if session else None,
            "statement_errors": session.errors if session else None,
            "duration_ms": round((time.monotonic() - session.opened) * 1000, 3) if session else None,
        }})


def kind_of(sql: str) -> str:
    words = sql.lstrip(" \t\r\n(").split(None, 1)
    word = words[0].lower().rstrip(";") if words else ""
    return word if word in _KINDS else "other"


def _count_backend(fields: Mapping[str, Any]) -> None:
    if fields.get("job_id") is None:
        return
    billed = fields.get("bytes_billed")
    if isinstance(billed, int):
        metrics.BYTES_BILLED.observe(billed)
    scanned = fields.get("bytes_scanned")
    if isinstance(scanned, int) and scanned > 0:
        metrics.BYTES_SCANNED.inc(scanned)


def _remember(table: OrderedDict[str, Any], key: str, value: object) -> None:
    table[key] = value
    if len(table) > _MAX_OPEN:
        table.popitem(last=False)


_HANDLERS = {
    "connection_opened": Observer._opened,
    "auth_succeeded": Observer._authenticated,
    "auth_failed": Observer._auth_failed,
    "statement": Observer._statement,
    "statement_completed": Observer._completed,
    "cancel": Observer._cancelled,
    "connection_closed": Observer._closed,
}

observe = Observer()
