"""The evidence report's figures, counted from the audit records of a period.

Every figure keeps the records it counts (`Refs`: gateway and seq numbers), so the report can
name them and an auditor can pull any of them from the log and check the count by sampling.
Nothing here trusts anything but the records: who connected comes from `auth_succeeded`,
decisions from the write-ahead `statement` records, masking and bytes from
`statement_completed` (joined to their statement by session and statement id), approvals
from `approval_requested`, `approval_decided` and the statement that used the approval.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pgbridge.audit.records import parse_timestamp


@dataclass
class Refs:
    """The records behind a figure: (gateway, seq) pairs, in log order."""

    items: list[tuple[str, int]] = field(default_factory=list)

    def add(self, gateway: str, seq: int) -> None:
        self.items.append((gateway, seq))

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Record:
    gateway: str
    seq: int
    ts: dt.datetime
    type: str
    data: dict[str, Any]


@dataclass
class Tally:
    """A count of records under one key, with the records themselves."""

    key: tuple[str, ...]
    refs: Refs = field(default_factory=Refs)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.refs)


@dataclass
class ApprovalRow:
    approval_id: str
    requester: str = ""
    rule: str = ""
    requested_at: dt.datetime | None = None
    approver: str = ""
    decision: str = ""
    reason: str | None = None
    decided_at: dt.datetime | None = None
    via: str = ""
    ran: bool = False
    refs: Refs = field(default_factory=Refs)

    @property
    def seconds_to_decision(self) -> float | None:
        if self.requested_at is None or self.decided_at is None:
            return None
        return (self.decided_at - self.requested_at).total_seconds()


@dataclass
class Evidence:
    since: dt.datetime
    until: dt.datetime
    records: int = 0
    principals: dict[tuple[str, ...], Tally] = field(default_factory=dict)  # (subject, roles, issuer)
    decisions: dict[tuple[str, ...], Tally] = field(default_factory=dict)  # (decision,)
    timeline: dict[str, dict[str, int]] = field(default_factory=dict)  # bucket -> decision -> count
    denials: dict[tuple[str, ...], Tally] = field(default_factory=dict)  # (rule,)
    approvals: dict[str, ApprovalRow] = field(default_factory=dict)
    masking: dict[tuple[str, ...], Tally] = field(
        default_factory=dict
    )  # (rule, principal); extra rows, columns
    scans: list[Tally] = field(default_factory=list)  # (principal, sql); extra bytes
    failed_auth: dict[tuple[str, ...], Tally] = field(default_factory=dict)  # (reason, subject, via)
    console_sign_ins: dict[tuple[str, ...], Tally] = field(default_factory=dict)  # (subject,)


def to_record(gateway: str, raw: dict[str, Any]) -> Record:
    return Record(gateway, int(raw["seq"]), parse_timestamp(raw["ts"]), str(raw["type"]), raw["data"])


def in_period(records: Iterable[Record], since: dt.datetime, until: dt.datetime) -> list[Record]:
    return [r for r in records if since <= r.ts < until]


def bucket_of(moment: dt.datetime, since: dt.datetime, until: dt.datetime) -> str:
    """Hourly buckets for a period of up to two days, daily ones beyond."""
    if until - since <= dt.timedelta(days=2):
        return moment.strftime("%Y-%m-%d %H:00")
    return moment.strftime("%Y-%m-%d")


def collect(records: list[Record], since: dt.datetime, until: dt.datetime, scans: int = 10) -> Evidence:
    evidence = Evidence(since, until, records=len(records))
    statements = {
        (r.gateway, r.data.get("session_id"), r.data.get("statement_id")): r
        for r in records
        if r.type == "statement"
    }
    sessions = {(r.gateway, r.data.get("session_id")): r for r in records if r.type == "auth_succeeded"}
    for record in records:
        handler = _HANDLERS.get(record.type)
        if handler is not None:
            handler(evidence, record, statements, sessions)
    evidence.scans = sorted(evidence.scans, key=lambda t: -int(t.extra["bytes"]))[:scans]
    return evidence


def _tally(table: dict[tuple[str, ...], Tally], key: tuple[str, ...], record: Record) -> Tally:
    found = table.get(key)
    if found is None:
        found = table[key] = Tally(key)
    found.refs.add(record.gateway, record.seq)
    return found


def _who(principal: Any) -> str:
    return str(principal.get("subject")) if isinstance(principal, dict) else "unknown"


def _auth_succeeded(evidence: Evidence, record: Record, *_: Any) -> None:
    principal = record.data.get("principal") or {}
    roles = ",".join(sorted(principal.get("roles") or []))
    _tally(evidence.principals, (_who(principal), roles, str(principal.get("issuer") or "")), record)


def _statement(evidence: Evidence, record: Record, *_: Any) -> None:
    decision = str(record.data.get("decision"))
    _tally(evidence.decisions, (decision,), record)
    bucket = evidence.timeline.setdefault(
        bucket_of(record.ts, evidence.since, evidence.until), defaultdict(int)
    )
    bucket[decision] += 1
    if decision == "deny":
        denial = _tally(evidence.denials, (str(record.data.get("rule") or "unknown"),), record)
        denial.extra.setdefault("principals", set()).add(_who(record.data.get("principal")))
    approval_id = record.data.get("approval_id")
    if approval_id:
        row = _approval(evidence, str(approval_id), record)
        row.requester = row.requester or _who(record.data.get("principal"))
        row.rule = row.rule or str(record.data.get("rule") or "")
        if decision == "approve":  # it ran under the approval: the decision is in the record
            row.ran = True
            row.approver = row.approver or str(record.data.get("approver") or "")
            row.decision = row.decision or "approved"
            row.reason = row.reason if row.reason is not None else record.data.get("approval_reason")
            decided = record.data.get("approval_decided_at")
            if row.decided_at is None and isinstance(decided, int | float):
                row.decided_at = dt.datetime.fromtimestamp(decided, dt.UTC)


def _approval(evidence: Evidence, approval_id: str, record: Record) -> ApprovalRow:
    row = evidence.approvals.setdefault(approval_id, ApprovalRow(approval_id))
    row.refs.add(record.gateway, record.seq)
    return row


def _approval_requested(evidence: Evidence, record: Record, *_: Any) -> None:
    row = _approval(evidence, str(record.data.get("approval_id")), record)
    row.requester = _who(record.data.get("principal"))
    row.rule = str(record.data.get("rule") or "")
    row.requested_at = record.ts


def _approval_decided(evidence: Evidence, record: Record, *_: Any) -> None:
    data = record.data
    row = _approval(evidence, str(data.get("approval_id")), record)
    row.requester = row.requester or str(data.get("requester") or "")
    row.rule = row.rule or str(data.get("rule") or "")
    row.approver, row.decision = _who(data.get("approver")), str(data.get("decision"))
    row.reason, row.via = data.get("reason"), str(data.get("via") or "")
    row.decided_at = record.ts
    if row.requested_at is None and isinstance(data.get("requested_at"), int | float):
        row.requested_at = dt.datetime.fromtimestamp(data["requested_at"], dt.UTC)


def _completed(evidence: Evidence, record: Record, statements: dict[Any, Record], _sessions: Any) -> None:
    data = record.data
    statement = statements.get((record.gateway, data.get("session_id"), data.get("statement_id")))
    principal = _who(statement.data.get("principal")) if statement else "unknown"
    masked = data.get("masked_columns") or {}
    rules: dict[str, set[str]] = defaultdict(set)
    for column, joined in masked.items():
        for rule in str(joined).split(","):
            rules[rule.strip()].add(str(column))
    for rule, columns in rules.items():
        tally = _tally(evidence.masking, (rule, principal), record)
        tally.extra["rows"] = tally.extra.get("rows", 0) + int(data.get("rows") or 0)
        tally.extra.setdefault("columns", set()).update(columns)
    # What the backend reported scanning; else the dry run's estimate the policy decided on
    # (the embedded DuckDB warehouse reports no scan size).
    scanned, estimated = data.get("bytes_scanned"), False
    if not isinstance(scanned, int) and statement is not None and not data.get("sqlstate"):
        scanned, estimated = statement.data.get("bytes_estimate"), True
    if isinstance(scanned, int) and scanned > 0:
        sql = str(statement.data.get("sql")) if statement else ""
        scan = Tally((principal, sql), extra={"bytes": scanned, "estimated": estimated})
        if statement is not None:
            scan.refs.add(statement.gateway, statement.seq)
        scan.refs.add(record.gateway, record.seq)
        evidence.scans.append(scan)


def _auth_failed(evidence: Evidence, record: Record, *_: Any) -> None:
    key = (str(record.data.get("reason") or ""), str(record.data.get("subject") or "unknown"), "database")
    _tally(evidence.failed_auth, key, record)


def _console_failed(evidence: Evidence, record: Record, *_: Any) -> None:
    _tally(evidence.failed_auth, (str(record.data.get("reason") or ""), "unknown", "console"), record)


def _console_sign_in(evidence: Evidence, record: Record, *_: Any) -> None:
    _tally(evidence.console_sign_ins, (_who(record.data.get("principal")),), record)


_HANDLERS: dict[str, Any] = {
    "auth_succeeded": _auth_succeeded,
    "statement": _statement,
    "statement_completed": _completed,
    "approval_requested": _approval_requested,
    "approval_decided": _approval_decided,
    "auth_failed": _auth_failed,
    "console_sign_in_failed": _console_failed,
    "console_sign_in": _console_sign_in,
}
