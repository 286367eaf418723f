"""What issue 5 item 1 asks that the gateway does not record yet. The causes are in lead-owned
files (pgbridge/server/), so these tests stay failing until they are fixed there; each one
names the place and the fix in its docstring. They read the same audited session as
test_session_record.py.
"""

from __future__ import annotations

from tests.audit_wire.scenario import APPROVAL_SQL, REFUSED_SQL, SLOW_SQL, Run
from tests.audit_wire.support import of_type


def test_a_refused_statement_is_recorded_with_decision_and_rule(run: Run):
    """Who asked what includes what was refused. pipeline._plan / _check_statement raise before
    `_audit_statement` runs, so a policy refusal (here: a hashed column in WHERE, 42501) leaves no
    record at all. Fix: catch the PgError around planning in `_run_data`/`prepare`, append a
    "statement" record with decision "deny", the rule, and a "statement_completed" with its SQLSTATE."""
    assert "pseudonymised" in run.psql_err  # the client was refused (42501)
    refused = of_type(run.records, "statement", session_id=run.session("audit-psql"), sql=REFUSED_SQL)
    assert len(refused) == 1, "the refused statement left no audit record"
    assert refused[0]["decision"] == "deny" and refused[0]["rule"]


def test_a_cancelled_statement_has_a_completion_record_with_57014(run: Run):
    """A CancelRequest arriving while `backend.execute` runs cancels the task with CancelledError,
    which `except PgError` in pipeline._run_data does not catch, so `_audit_completion` never runs.
    Fix: `except asyncio.CancelledError:` there (or try/finally), append the completion with
    sqlstate 57014, then re-raise."""
    [stmt] = of_type(run.records, "statement", session_id=run.session("audit-asyncpg"), sql=SLOW_SQL)
    done = of_type(run.records, "statement_completed", statement_id=stmt["statement_id"])
    assert len(done) == 1, "the cancelled statement has no statement_completed record"
    assert done[0]["sqlstate"] == "57014"


def test_the_cancel_record_names_the_statement_it_cancelled(run: Run):
    """connection.cancel_running passes statement_id=None, job_id=None. Fix: keep the running
    statement's id and job id on the session (pipeline knows them) and pass them here."""
    [stmt] = of_type(run.records, "statement", session_id=run.session("audit-asyncpg"), sql=SLOW_SQL)
    [cancel] = of_type(run.records, "cancel", session_id=run.session("audit-asyncpg"))
    assert (cancel["statement_id"], cancel["job_id"]) == (stmt["statement_id"], stmt["job_id"])


def test_a_connection_refused_at_authentication_is_closed_in_the_log(run: Run):
    """connection._cleanup writes connection_closed only once a Session exists, so a connection
    whose token was refused is "opened" forever in the log. Fix: write connection_closed in
    `_cleanup` whenever connection_opened was written, with close_reason (the auth error)."""
    closed = of_type(run.records, "connection_closed", session_id=run.session("audit-bad-token"))
    assert len(closed) == 1 and "JWT" in closed[0]["reason"]


def test_an_approved_statement_records_the_decision_that_asked_for_approval(run: Run):
    """pipeline._run_data passes the statement-level decision ("allow", roles.analyst) to
    `_audit_statement` even when the cost check said "approve" and an approver was needed, so the
    record names the wrong rule. Fix: pass the decision that required approval (`needs[0]`) when
    there was one, so decision/rule say why an approver was asked."""
    [stmt] = of_type(run.records, "statement", session_id=run.session("audit-approval"), sql=APPROVAL_SQL)
    assert stmt["approval_id"]
    assert stmt["decision"] == "approve" and stmt["rule"] != "roles.analyst"
