"""What a statement carries between the stages: the session asking, the prepared statement and
its data plan. Plain data with no behaviour beyond a derived property, so every stage may
import it (the session, the pipeline, approvals, the audit records) without importing each
other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlglot import exp

from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Field, TableRead
from pgbridge.masking.plan import MaskPlan
from pgbridge.policy.engine import Decision
from pgbridge.server.settings import SessionSettings
from pgbridge.sql.names.resolve import TableRef
from pgbridge.sql.statements.model import Statement
from pgbridge.typemap import BqType, OutputColumn, pg_type_for


@dataclass
class SessionContext:
    """What every stage may know about the session asking."""

    session_id: str
    principal: Principal
    user: str
    database: str
    settings: SessionSettings
    backend_pid: int
    peer: str
    application_name: str = ""
    notices: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, sqlstate, message)
    # Sends a NoticeResponse now (approval waits tell the client why it is waiting).
    notify: Callable[[str, str, str], Awaitable[None]] | None = None
    # (statement_id, job_id) of the statement running now, for the audit's cancel record.
    running: tuple[str, str] | None = None


@dataclass
class DataPlan:
    """A data query, resolved and translated once for a prepared statement."""

    ast: exp.Expression  # the resolved postgres AST, masking views and row filters applied
    tables: tuple[TableRef, ...]
    bigquery_sql: str
    param_types: tuple[BqType, ...]
    output_names: tuple[str, ...]
    output_types: tuple[str | None, ...]
    mask_plan: MaskPlan | None
    decision: Decision | None
    fields: tuple[Field, ...] | None = None  # from the dry run
    bytes_estimate: int | None = None
    kind: str = "query"  # or "dml": a row count, not rows
    command: str = "SELECT"  # INSERT / UPDATE / DELETE for DML
    timezone: str = "UTC"  # the session TimeZone the translation was made for
    source_sql: str = ""  # the statement as the client wrote it (shown to an approver)
    # False once the cost estimate found no generator in the AST: none appears for any
    # parameters, so later executions skip the walk (pgbridge.server.pipeline.cost).
    generates: bool | None = None
    preview: TableRead | None = None  # a free table preview (server/pipeline/preview.py)
    generation: int = 0  # the Planner generation (policy and masking rules) it was made under
    digit_params: tuple[int, ...] = ()  # numeric $n printed with their own digits (admit.bind)

    @property
    def param_oids(self) -> tuple[int, ...]:
        return tuple(pg_type_for(t).oid for t in self.param_types)


@dataclass
class Prepared:
    text: str
    statement: Statement
    declared_oids: tuple[int, ...]
    plan: DataPlan | None = None
    catalog_description: tuple[tuple[int, ...], tuple[OutputColumn, ...]] | None = None
