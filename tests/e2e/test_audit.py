"""The audit log on both backends: a session's records, the job id BigQuery ran, verify, replay."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import pytest
from google.cloud import bigquery

from tests.e2e.clients import connect
from tests.support.cli import run_cli
from tests.support.gateway import RunningGateway


def records(gateway: RunningGateway) -> list[dict[str, Any]]:
    lines: list[str] = []
    for path in sorted((gateway.data_dir / "audit").glob("*.jsonl")):
        lines += path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def wait_for(gateway: RunningGateway, kind: str, session_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            r for r in records(gateway) if r["type"] == kind and r["data"].get("session_id") == session_id
        ]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no {kind} record for session {session_id} after {timeout}s")


async def run_marked_session(gateway: RunningGateway, roles: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """Run one marked query in its own session; return its session id and statement record."""
    marker = f"audit-{secrets.token_hex(6)}"
    sql = f"SELECT id, ssn, country FROM shop.customers WHERE id = $1 AND name <> '{marker}'"
    async with connect(gateway, roles=roles) as conn:
        rows = await conn.fetch(sql, 1)
    assert [tuple(r) for r in rows][0][0] == 1
    (statement,) = [r for r in records(gateway) if r["type"] == "statement" and marker in r["data"]["sql"]]
    session_id = statement["data"]["session_id"]
    wait_for(gateway, "connection_closed", session_id)
    return session_id, statement


async def test_statement_records_carry_the_backend_job_id(
    any_gateway: RunningGateway, backend_kind: str, request: pytest.FixtureRequest
) -> None:
    session_id, statement = await run_marked_session(any_gateway, ("admin",))
    completed = wait_for(any_gateway, "statement_completed", session_id)["data"]
    assert statement["data"]["decision"] == "allow" and statement["data"]["params"] == [
        {"type": "INT64", "value": 1}
    ]
    assert completed["statement_id"] == statement["data"]["statement_id"] and completed["rows"] == 1
    job_id = completed["job_id"]
    if backend_kind == "duckdb":
        assert job_id.startswith(f"pgbridge_{session_id}_")
    else:
        # The id in the audit log is the job BigQuery ran (jobs.query: BigQuery names it; a
        # query answered without a job has BigQuery's query id): ask BigQuery for it.
        client: bigquery.Client = request.getfixturevalue("e2e_emulator").client()
        job = client.get_job(job_id, location="US")
        assert isinstance(job, bigquery.QueryJob) and job.state == "DONE"
        assert "`shop`.`customers`" in job.query and statement["data"]["translated_sql"] == job.query


async def test_masked_results_are_recorded_masked(any_gateway: RunningGateway) -> None:
    session_id, statement = await run_marked_session(any_gateway, ("analyst",))
    completed = wait_for(any_gateway, "statement_completed", session_id)["data"]
    assert completed["masked_columns"] == {"ssn": "shop.customers.ssn"}
    assert completed["recording"]["rows"] == 1
    replay = run_cli("audit", "replay", "--session", session_id, "--data-dir", str(any_gateway.data_dir))
    assert replay.returncode == 0, replay.stderr
    assert "****8907" in replay.stdout and "131-27-8907" not in replay.stdout


async def test_audit_verify_passes_after_a_session(any_gateway: RunningGateway) -> None:
    await run_marked_session(any_gateway, ("admin",))
    done = run_cli("audit", "verify", "--data-dir", str(any_gateway.data_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: ")


async def test_audit_verify_finds_an_altered_record(any_gateway: RunningGateway, tmp_path: Path) -> None:
    await run_marked_session(any_gateway, ("admin",))
    copy = tmp_path / "audit"
    copy.mkdir()
    for path in (any_gateway.data_dir / "audit").iterdir():
        copy.joinpath(path.name).write_bytes(path.read_bytes())
    log = sorted(copy.glob("*.jsonl"))[-1]
    lines = log.read_text(encoding="utf-8").splitlines()
    # The first allowed statement: the log may be shared with tests whose statements were refused.
    index = next(
        i for i, line in enumerate(lines) if '"type":"statement"' in line and '"decision":"allow"' in line
    )
    lines[index] = lines[index].replace('"decision":"allow"', '"decision":"deny"', 1)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run_cli("audit", "verify", "--audit-dir", str(copy))
    assert done.returncode != 0
