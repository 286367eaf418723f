"""Issue 5 items 1 and 7 over the wire: one demo gateway (`pgbridge demo`, audit under
DATA_DIR/audit), sessions from psql and asyncpg (parameters, a masked query as analyst, an
error, a cancel, a bad token), then the JSON lines are read back field by field, verified and
replayed with the real CLI, and a copy is tampered with.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jwt

from pgbridge.audit.events import REDACTED
from pgbridge.cli import DEMO_ISSUER
from tests.audit_wire.scenario import (
    APPROVAL_SQL,
    APPROVER,
    APPS,
    ERROR_SQL,
    MASKED_PARAM_SQL,
    MASKED_SQL,
    PARAM_SQL,
    SLOW_SQL,
    Run,
)
from tests.audit_wire.support import TIMESTAMP, all_bytes_under, of_type
from tests.support.cli import run_cli

# ---- item 1: the events and their fields ---------------------------------------------------


def test_every_timestamp_is_utc_with_microseconds_and_in_order(run: Run):
    stamps = [r["ts"] for r in run.records]
    assert stamps and all(TIMESTAMP.match(ts) for ts in stamps), stamps
    assert stamps == sorted(stamps)
    assert run.records[-1]["type"] == "log_closed"


def test_connection_opened_names_peer_tls_and_application(run: Run):
    opened = of_type(run.records, "connection_opened", application_name="audit-asyncpg")
    assert len(opened) == 1
    assert opened[0]["peer"] == f"127.0.0.1:{run.local_ports['audit-asyncpg']}"
    assert opened[0]["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert opened[0]["user"] == "alice"
    names = {d["application_name"] for d in of_type(run.records, "connection_opened")}
    assert {"audit-psql", "audit-asyncpg", "audit-analyst", "audit-bad-token"} <= names


def test_auth_succeeded_names_subject_roles_token_id_and_issuer(run: Run):
    for who, app, roles in (("alice", "audit-asyncpg", ["admin"]), ("bob", "audit-psql", ["analyst"])):
        claims = jwt.decode(run.tokens[who], options={"verify_signature": False})
        [auth] = of_type(run.records, "auth_succeeded", session_id=run.session(app))
        assert auth["principal"] == {"subject": who, "roles": roles, "token_id": claims["jti"],
                                     "issuer": DEMO_ISSUER}


def test_auth_failure_is_recorded_without_the_token(run: Run):
    [failed] = of_type(run.records, "auth_failed", session_id=run.session("audit-bad-token"))
    assert failed["subject"] == "mallory"
    assert "JWT" in failed["reason"] and "signature" in failed["reason"].lower()
    assert not of_type(run.records, "auth_succeeded", session_id=run.session("audit-bad-token"))


def test_statement_with_parameters(run: Run):
    session = run.session("audit-asyncpg")
    [stmt] = of_type(run.records, "statement", session_id=session, sql=PARAM_SQL)
    assert stmt["params"] == [{"type": "INT64", "value": 7}, {"type": "STRING", "value": "zzz"}]
    assert "@p1" in stmt["translated_sql"] and "@p2" in stmt["translated_sql"]
    assert "`shop`.`products`" in stmt["translated_sql"]
    assert stmt["principal"]["subject"] == "alice"
    assert (stmt["decision"], stmt["rule"]) == ("allow", "roles.admin")
    assert (stmt["approval_id"], stmt["approver"]) == (None, None)
    [done] = of_type(run.records, "statement_completed", statement_id=stmt["statement_id"])
    assert done["session_id"] == session and done["rows"] == 1 and done["sqlstate"] is None
    assert done["job_id"] == stmt["job_id"] and done["job_id"].startswith(f"pgbridge_{session}_")
    # DuckDB reports no byte counts; the fields are there for BigQuery and must not be invented
    assert "bytes_scanned" in done and "bytes_billed" in done
    assert isinstance(done["duration_ms"], float) and done["duration_ms"] > 0
    assert stmt["bytes_estimate"] > 0


def test_masked_query_records_rules_and_redacts_parameters(run: Run):
    [stmt] = of_type(run.records, "statement", sql=MASKED_PARAM_SQL)
    assert stmt["session_id"] == run.session("audit-analyst")
    assert stmt["params"] == [REDACTED]
    assert [(m["column"], m["strategy"]) for m in stmt["masked_columns"]] == [("ssn", "partial")]
    [done] = of_type(run.records, "statement_completed", statement_id=stmt["statement_id"])
    assert done["masked_columns"] == {"ssn": "shop.customers.ssn"}
    assert done["rows"] == 1 and done["recording"]["recorded"] is True


def test_psql_masked_query_as_analyst(run: Run):
    session = run.session("audit-psql")
    [stmt] = of_type(run.records, "statement", session_id=session, sql=MASKED_SQL)
    assert (stmt["principal"]["subject"], stmt["principal"]["roles"]) == ("bob", ["analyst"])
    assert (stmt["decision"], stmt["rule"]) == ("allow", "roles.analyst")
    [done] = of_type(run.records, "statement_completed", statement_id=stmt["statement_id"])
    assert done["masked_columns"] == {"ssn": "shop.customers.ssn", "email": "shop.customers.email",
                                      "phone": "shop.customers.phone"}
    assert done["rows"] == 3 and done["recording"]["rows"] == 3


def test_approved_statement_names_its_approval_and_approver(run: Run):
    [stmt] = of_type(run.records, "statement", session_id=run.session("audit-approval"), sql=APPROVAL_SQL)
    assert (stmt["approval_id"], stmt["approver"]) == (run.approval_id, APPROVER)
    assert stmt["bytes_estimate"] > 20_000_000
    [done] = of_type(run.records, "statement_completed", statement_id=stmt["statement_id"])
    assert (done["rows"], done["sqlstate"]) == (1, None)


def test_error_records_its_sqlstate(run: Run):
    assert "22P02" in run.psql_err or "convert" in run.psql_err
    [stmt] = of_type(run.records, "statement", session_id=run.session("audit-psql"), sql=ERROR_SQL)
    [done] = of_type(run.records, "statement_completed", statement_id=stmt["statement_id"])
    assert (done["sqlstate"], done["rows"]) == ("22P02", 0)
    assert "convert" in done["error"]


def test_cancel_is_recorded_after_its_statement(run: Run):
    session = run.session("audit-asyncpg")
    mine = [r for r in run.records if r["data"].get("session_id") == session]
    kinds = [r["type"] for r in mine]
    started = next(i for i, r in enumerate(mine) if r["type"] == "statement" and r["data"]["sql"] == SLOW_SQL)
    assert kinds.count("cancel") == 1 and kinds.index("cancel") > started


def test_every_authenticated_session_is_closed(run: Run):
    for app in APPS:
        [closed] = of_type(run.records, "connection_closed", session_id=run.session(app))
        assert closed["reason"] == "terminate"


def test_no_token_anywhere_in_the_audit_folder_or_the_gateway_log(run: Run):
    assert set(run.tokens) == {"alice", "bob", "carol", "erin", "mallory"}
    files = all_bytes_under(run.audit_dir, run.gateway_log)
    assert any(path.suffix == ".results" for path, _ in files)
    for who, token in run.tokens.items():
        signature = token.rsplit(".", 1)[1].encode()
        for path, data in files:
            assert token.encode() not in data and signature not in data, f"{who}'s token is in {path}"


# ---- item 7 and the CLI ---------------------------------------------------------------------


def test_verify_with_no_path_checks_the_demo_folder(run: Run):
    done = run_cli("audit", "verify", cwd=run.data_dir.parent)  # default --data-dir .pgbridge-demo
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"OK: {len(run.records)} records in 1 file(s) verify")
    assert "does not end with a clean shutdown" not in done.stdout
    same = run_cli("audit", "verify", "--data-dir", str(run.data_dir))
    assert (same.returncode, same.stdout) == (0, done.stdout)


def test_replay_shows_statements_and_masked_rows(run: Run):
    session = run.session("audit-psql")
    done = run_cli("audit", "replay", "--session", session, "--data-dir", str(run.data_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert MASKED_SQL in done.stdout and ERROR_SQL in done.stdout and "22P02" in done.stdout
    assert "(3 rows)" in done.stdout
    masked = [line.split("|")[1].strip() for line in run.psql_out.splitlines()[2:5]]
    assert len(masked) == 3 and all(value.startswith("****") for value in masked)
    for shown, clear in zip(masked, run.clear_ssns, strict=True):
        assert shown in done.stdout and clear not in done.stdout
        assert shown[-4:] == clear[-4:]


# ---- tampering ------------------------------------------------------------------------------


def _copy(run: Run, tmp_path: Path) -> tuple[Path, Path]:
    target = tmp_path / "audit"
    shutil.copytree(run.audit_dir, target, ignore=shutil.ignore_patterns(".lock"))
    [log] = sorted(target.glob("audit-*.jsonl"))
    return target, log


def test_one_flipped_byte_fails_verify_naming_the_line(run: Run, tmp_path: Path):
    target, log = _copy(run, tmp_path)
    lines = log.read_bytes().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1)
                  if MASKED_SQL.encode() in line and b'"type":"statement"' in line)
    at = lines[number - 1].index(b"ssn")
    lines[number - 1] = lines[number - 1][:at] + b"x" + lines[number - 1][at + 1:]
    log.write_bytes(b"".join(lines))
    done = run_cli("audit", "verify", "--audit-dir", str(target))
    assert done.returncode == 1
    assert done.stdout.startswith(f"FAILED at {log}:{number}: record altered")
    assert f"{number - 1} record(s) verified before it" in done.stdout
    replay = run_cli("audit", "replay", "--session", run.session("audit-psql"), "--audit-dir", str(target))
    assert replay.returncode == 1 and "does not verify" in replay.stderr


def test_altered_recording_fails_verify_naming_its_record(run: Run, tmp_path: Path):
    # These sessions' results are small: each travels inside its completion record, signed with
    # it, so altering a recorded row is altering that record.
    target, log = _copy(run, tmp_path)
    lines = log.read_bytes().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if b'"stored":"inline"' in line)
    at = lines[number - 1].index(b'"inline":"') + len(b'"inline":"') + 12
    flipped = b"A" if lines[number - 1][at:at + 1] != b"A" else b"B"
    lines[number - 1] = lines[number - 1][:at] + flipped + lines[number - 1][at + 1:]
    log.write_bytes(b"".join(lines))
    done = run_cli("audit", "verify", "--audit-dir", str(target))
    assert done.returncode == 1
    assert done.stdout.startswith(f"FAILED at {log}:{number}: record altered")


def test_a_removed_record_fails_verify(run: Run, tmp_path: Path):
    target, log = _copy(run, tmp_path)
    lines = log.read_bytes().splitlines(keepends=True)
    del lines[4]
    log.write_bytes(b"".join(lines))
    done = run_cli("audit", "verify", "--audit-dir", str(target))
    assert done.returncode == 1 and f"FAILED at {log}:5: records 5..5 are missing" in done.stdout
