"""Decisions: allow, deny or approve, for one principal and one resolved statement.

Order of checks: the raw text must be one statement; the AST must be a kind we understand
with no refused construct (inspect.py); then each of the principal's configured roles is
asked on its own, and the most permissive answer wins (allow > approve > deny). A statement
is allowed only if one role allows all of it — grants of two roles never combine inside one
statement. When every role denies, the first role's reason is reported.

Row filters follow what the principal can see: a table read by any role without a filter is
unfiltered; otherwise the predicates of every role that reads it are OR-ed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from sqlglot import exp

from pgbridge.auth.principal import Principal
from pgbridge.policy.functions import DEFAULT_FUNCTIONS, DEFAULT_TABLE_FUNCTIONS, function_allowed
from pgbridge.policy.inspect import Refusal, StatementFacts, inspect_statement
from pgbridge.policy.rawtext import statement_count
from pgbridge.policy.rowfilter import bind_claims, wrap_filtered_tables
from pgbridge.policy.settings import DML_KINDS, PolicySettings, RoleSettings
from pgbridge.sql.generated import Generated
from pgbridge.wire.errors import PgError, SqlState

_PIPELINE_KINDS = {"query": {"select"}, "dml": set(DML_KINDS), "ddl": {"ddl"}}
_RANK = {"deny": 0, "approve": 1, "allow": 2}


@dataclass(frozen=True)
class Decision:
    action: Literal["allow", "deny", "approve"]
    rule: str
    message: str
    approval_mode: Literal["wait", "ticket"] | None = None

    def error(self) -> PgError:
        """The 42501 a client sees for a deny, naming the rule."""
        return PgError(SqlState.INSUFFICIENT_PRIVILEGE, self.message, detail=f"policy rule: {self.rule}")


def _deny(rule: str, message: str) -> Decision:
    return Decision("deny", rule, message)


class PolicyEngine:
    def __init__(self, settings: PolicySettings) -> None:
        self.settings = settings

    # -- statements ---------------------------------------------------------------------------

    def check_statement(self, principal: Principal, text: str, kind: str, ast: exp.Expr) -> Decision:
        count = statement_count(text)
        if count != 1:
            return _deny("classifier.multiple_statements", _multi_message(count))
        try:
            facts = inspect_statement(ast)
        except Refusal as refusal:
            return _deny(refusal.rule, refusal.message)
        if facts.kind not in _PIPELINE_KINDS.get(kind, set()):
            return _deny("classifier.kind", f"a {kind!r} statement cannot be run through pgbridge")
        roles = self.roles_of(principal)
        if not roles:
            names = ", ".join(principal.roles) or "none"
            return _deny("roles", f"none of your roles ({names}) is in the policy")
        decisions = [self._decide_for_role(role, facts, principal) for role in roles]
        return max(decisions, key=lambda d: _RANK[d.action])

    def _decide_for_role(self, role: RoleSettings, facts: StatementFacts, principal: Principal) -> Decision:
        prefix = f"roles.{role.name}"
        denial = _first_denial(
            _check_kind(role, facts, prefix),
            _check_tables(role, facts, prefix),
            _check_functions(role, facts, prefix),
            _check_claims(role, facts, principal, prefix),
        )
        if denial is not None:
            return denial
        if facts.kind in role.approve_statements:
            message = f"{facts.kind.upper()} statements need approval for role {role.name}"
            return Decision("approve", f"{prefix}.approve_statements", message, role.approval_mode)
        for table in sorted(facts.reads | facts.writes):
            if _matches(table, role.approve_tables):
                message = f"queries on {'.'.join(table)} need approval for role {role.name}"
                return Decision("approve", f"{prefix}.approve_tables", message, role.approval_mode)
        return Decision("allow", prefix, f"allowed by role {role.name}")

    # -- row filters --------------------------------------------------------------------------

    def apply_row_filters(self, principal: Principal, ast: exp.Expr) -> exp.Expr:
        """A copy of `ast` in which every read of a filtered table only sees permitted rows.

        Tables read by the filters themselves (a filter through a related table) get the
        principal's filters too, so the closure of tables is collected first.
        """
        pending = {name for t in ast.find_all(exp.Table) if (name := _table_key(t)) is not None}
        seen: set[tuple[str, str]] = set()
        predicates: dict[tuple[str, str], exp.Expr] = {}
        while pending:
            table = pending.pop()
            seen.add(table)
            predicate = self._predicate_for(principal, table)
            if predicate is None:
                continue
            predicates[table] = predicate
            pending |= {n for t in predicate.find_all(exp.Table) if (n := _table_key(t)) is not None} - seen
        return wrap_filtered_tables(ast, predicates)

    def _predicate_for(self, principal: Principal, table: tuple[str, str]) -> exp.Expr | None:
        readers = [r for r in self.roles_of(principal) if _matches(table, r.read_tables)]
        if not readers:
            return exp.false()  # check_statement denies this; should a caller skip it, no rows
        if any(table not in r.row_filters for r in readers):
            return None  # some role sees the whole table
        conditions = [bind_claims(r.row_filters[table], principal.claims) for r in readers]
        return exp.or_(*conditions, copy=False) if len(conditions) > 1 else conditions[0]

    # -- cost and limits ----------------------------------------------------------------------

    def check_cost(
        self, principal: Principal, bytes_estimate: int, generated: Generated | None = None
    ) -> Decision:
        """The cost rule: bytes scanned plus the rows the statement generates itself (series,
        unnest, recursion; pgbridge.sql.generated), each priced as 8 bytes. Generated rows
        that cannot be bounded are over every limit."""
        roles = self.roles_of(principal)
        if not roles:
            return _deny("roles", "none of your roles is in the policy")
        return max(
            (_cost_decision(r, bytes_estimate, generated) for r in roles), key=lambda d: _RANK[d.action]
        )

    def max_rows(self, principal: Principal) -> int | None:
        limits = [r.max_rows for r in self.roles_of(principal)]
        if not limits:
            return 0
        return None if None in limits else max(x for x in limits if x is not None)

    def max_bytes_billed(self, principal: Principal) -> int:
        limits = [r.max_bytes_billed for r in self.roles_of(principal)]
        return max(limits, default=self.settings.max_bytes_billed)

    def row_filter_for(self, principal: Principal, dataset: str, table: str) -> exp.Expr | None:
        """The predicate this principal's reads of dataset.table are filtered by, if any."""
        return self._predicate_for(principal, (dataset, table))

    def can_read(self, principal: Principal, dataset: str, table: str) -> bool:
        return any(_matches((dataset, table), r.read_tables) for r in self.roles_of(principal))

    def roles_of(self, principal: Principal) -> list[RoleSettings]:
        return [self.settings.roles[name] for name in principal.roles if name in self.settings.roles]


def _multi_message(count: int | None) -> str:
    if count is None:
        return "the statement text cannot be read unambiguously (quotes, escapes or comments)"
    if count == 0:
        return "the statement text is empty"
    return f"the text holds {count} statements; send one statement at a time"


def _first_denial(*candidates: Decision | None) -> Decision | None:
    return next((c for c in candidates if c is not None), None)


def _check_kind(role: RoleSettings, facts: StatementFacts, prefix: str) -> Decision | None:
    if facts.kind in role.statements:
        return None
    return _deny(f"{prefix}.statements", f"role {role.name} may not run {facts.kind.upper()} statements")


def _check_tables(role: RoleSettings, facts: StatementFacts, prefix: str) -> Decision | None:
    for table in sorted(facts.reads):
        if not _matches(table, role.read_tables):
            return _deny(f"{prefix}.tables", f"role {role.name} may not read {'.'.join(table)}")
    for table in sorted(facts.writes):
        if not _matches(table, role.write_tables):
            return _deny(f"{prefix}.write_tables", f"role {role.name} may not write {'.'.join(table)}")
        if table in role.row_filters:
            message = f"role {role.name} may not write row-filtered {'.'.join(table)}"
            return _deny(f"{prefix}.row_filters", message)
    return None


def _check_functions(role: RoleSettings, facts: StatementFacts, prefix: str) -> Decision | None:
    defaults = DEFAULT_FUNCTIONS if role.default_functions else None
    for name in sorted(facts.functions):
        if not function_allowed(name, role.functions, defaults):
            return _deny(f"{prefix}.functions", f"role {role.name} may not call {name}")
    for name in sorted(facts.table_functions):
        if not function_allowed(name, role.functions, DEFAULT_TABLE_FUNCTIONS):
            return _deny(f"{prefix}.functions", f"role {role.name} may not read from table function {name}")
    return None


def _check_claims(
    role: RoleSettings, facts: StatementFacts, principal: Principal, prefix: str
) -> Decision | None:
    """A filter whose claim is missing would fail later; deny now, naming the rule."""
    for table in sorted(facts.reads):
        row_filter = role.row_filters.get(table)
        if row_filter is None:
            continue
        try:
            bind_claims(row_filter, principal.claims)
        except PgError as exc:
            return _deny(f"{prefix}.row_filters", exc.message)
    return None


def _cost_decision(role: RoleSettings, bytes_estimate: int, generated: Generated | None = None) -> Decision:
    prefix = f"roles.{role.name}.max_bytes"
    made = generated.bytes if generated is not None else 0
    if role.max_bytes is None or (made is not None and bytes_estimate + made <= role.max_bytes):
        return Decision("allow", prefix, f"within role {role.name}'s scan limit")
    if generated is None:
        over = (
            f"the query would scan {bytes_estimate:,} bytes, "
            f"over role {role.name}'s limit of {role.max_bytes:,}"
        )
    else:
        over = _generated_message(role, bytes_estimate, generated)
    if role.over_max_bytes == "approve":
        return Decision("approve", prefix, f"{over}; it needs approval", role.approval_mode)
    return _deny(prefix, over)


def _generated_message(role: RoleSettings, bytes_estimate: int, generated: Generated) -> str:
    limit = f"role {role.name}'s limit of {role.max_bytes:,} bytes"
    if generated.rows is None or generated.bytes is None:
        return (
            f"the query generates rows ({generated.what}) whose number cannot be known before it "
            f"runs (a bound that is not a constant, a table of unknown or filtered size, or "
            f"recursion), so it counts as over {limit}"
        )
    return (
        f"the query would scan {bytes_estimate:,} bytes and generate about {generated.rows:,} rows "
        f"({generated.what}), counted as {generated.bytes:,} bytes: "
        f"{bytes_estimate + generated.bytes:,} in all, over {limit}"
    )


def _matches(table: tuple[str, str], globs: Iterable[str]) -> bool:
    key = ".".join(table)
    return any(fnmatchcase(key, glob) for glob in globs)


def _table_key(table: exp.Table) -> tuple[str, str] | None:
    db = table.args.get("db")
    if not isinstance(table.this, exp.Identifier) or not isinstance(db, exp.Identifier):
        return None
    return (db.name, table.name)
