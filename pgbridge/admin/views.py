"""What the console's templates show, computed from the store's requests and their contexts:
ages, costs, highlighted SQL, the history filter. Pure functions of their inputs and the
clock, so they are tested without a browser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from pgbridge.policy.approvals import ApprovalRequest

TIB = 2**40
_LEXERS = {"postgres": "postgresql", "bigquery": "googlesql"}


@dataclass(frozen=True)
class PendingView:
    request: ApprovalRequest
    context: Mapping[str, Any]  # pgbridge.policy.approval_context; empty for requests made elsewhere
    age_s: float
    expires_in_s: float
    cost_usd: float | None
    sql_html: Markup
    bigquery_html: Markup


def pending_views(
    requests: Sequence[ApprovalRequest],
    contexts: Mapping[str, Mapping[str, Any]],
    now: float,
    usd_per_tib: float,
) -> list[PendingView]:
    """Oldest first: the request waiting longest is the one to decide first."""
    views = []
    for request in sorted(requests, key=lambda r: r.created_at):
        context = contexts.get(request.id, {})
        estimate = context.get("bytes_estimate")
        views.append(
            PendingView(
                request=request,
                context=context,
                age_s=max(0.0, now - request.created_at),
                expires_in_s=max(0.0, request.expires_at - now),
                cost_usd=estimate / TIB * usd_per_tib if isinstance(estimate, int) else None,
                sql_html=highlight_sql(str(context.get("sql") or ""), "postgres"),
                bigquery_html=highlight_sql(request.sql, "bigquery"),
            )
        )
    return views


def highlight_sql(sql: str, dialect: str) -> Markup:
    """SQL as HTML spans (Pygments escapes the text itself)."""
    if not sql:
        return Markup("")
    formatter = HtmlFormatter(nowrap=True)
    return Markup(highlight(sql, get_lexer_by_name(_LEXERS[dialect]), formatter))


@lru_cache(maxsize=1)
def highlight_css() -> str:
    # Pygments marks what its lexer does not know (BigQuery's `+` here and there) as an error
    # token with a red box: the SQL is the gateway's own translation, not an error.
    return str(HtmlFormatter(style="friendly").get_style_defs(".sql")) + "\n.sql .err { border: none; }"


def human_bytes(count: object) -> str:
    if not isinstance(count, int):
        return "unknown"
    size = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{count} B"


def human_age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def utc(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


DECISIONS = ("pending", "approved", "denied", "consumed", "expired")


@dataclass(frozen=True)
class HistoryFilter:
    """The history page's query: each field narrows; empty means any."""

    requester: str = ""
    approver: str = ""
    decision: str = ""  # "approved" also matches approvals already used (consumed)
    since: dt.date | None = None  # requested on or after this UTC day
    until: dt.date | None = None  # requested on or before this UTC day
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> HistoryFilter:
        errors: list[str] = []
        decision = query.get("decision", "").strip()
        if decision and decision not in DECISIONS:
            errors.append(f"decision must be one of {', '.join(DECISIONS)}")
            decision = ""
        return cls(
            requester=query.get("requester", "").strip(),
            approver=query.get("approver", "").strip(),
            decision=decision,
            since=_day(query.get("since", ""), "since", errors),
            until=_day(query.get("until", ""), "until", errors),
            errors=errors,
        )

    def matches(self, request: ApprovalRequest) -> bool:
        day = dt.datetime.fromtimestamp(request.created_at, dt.UTC).date()
        statuses = {"approved", "consumed"} if self.decision == "approved" else {self.decision}
        return (
            (not self.requester or request.requester.casefold() == self.requester.casefold())
            and (not self.approver or (request.approver or "").casefold() == self.approver.casefold())
            and (not self.decision or request.status in statuses)
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        )


def _day(text: str, name: str, errors: list[str]) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        errors.append(f"{name} must be a date like 2026-01-31")
        return None


def history(
    requests: Sequence[ApprovalRequest], wanted: HistoryFilter, limit: int = 500
) -> list[ApprovalRequest]:
    """Newest first, at most `limit`."""
    chosen = [r for r in requests if wanted.matches(r)]
    return sorted(chosen, key=lambda r: r.created_at, reverse=True)[:limit]
