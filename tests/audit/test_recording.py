"""Recorded results: what the client saw, capped, stored beside the log and covered by the chain."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import records
from pgbridge.audit.log import AuditLog
from pgbridge.audit.reader import read_recording
from pgbridge.audit.replay import render_table, replay
from pgbridge.audit.settings import AuditSettings
from pgbridge.audit.verify import verify
from tests.support.postgres import PostgresServer
from tests.support.psql import run_psql_on


def masked_batch(start: int, count: int) -> pa.RecordBatch:
    ids = list(range(start, start + count))
    return pa.record_batch({"id": ids, "email": [f"***@example{i}.com" for i in ids], "ssn": [None] * count})


async def record_statement(log: AuditLog, statement_id: str, batches: list[pa.RecordBatch]) -> dict:
    await log.append("statement", {"session_id": "s1", "statement_id": statement_id, "sql": "SELECT ..."})
    recording = log.recording(statement_id)
    for batch in batches:
        recording.add(batch, ["id", "email", "id"])  # the names the client was shown, duplicates too
    ref = recording.finish()
    fields = {"session_id": "s1", "statement_id": statement_id, "recording": ref}
    await log.append("statement_completed", fields)
    return ref


def completed_records(settings: AuditSettings) -> list[dict]:
    found = []
    for path in records.log_files(settings.directory):
        for line in path.read_bytes().splitlines():
            record = json.loads(line)
            if record["type"] == "statement_completed":
                found.append(record)
    return found


async def test_results_round_trip_exactly(audit_log: AuditLog, settings: AuditSettings):
    batches = [masked_batch(0, 3), masked_batch(3, 2)]
    ref = await record_statement(audit_log, "st-1", batches)
    assert ref["recorded"] and ref["rows"] == 5 and ref["rows_seen"] == 5 and not ref["truncated"]
    stored = completed_records(settings)[0]["data"]["recording"]
    assert stored["sha256"] == ref["sha256"] and stored["file"].endswith(".results")
    table = read_recording(settings.directory, stored)
    assert table.schema.names == ["id", "email", "id"]
    assert table.column(1).to_pylist() == [f"***@example{i}.com" for i in range(5)]
    assert table.column(2).to_pylist() == [None] * 5


async def test_row_cap_truncates_and_says_so(make_settings: Callable[..., AuditSettings]):
    settings = make_settings(record_max_rows=4)
    log = await AuditLog.open(settings)
    ref = await record_statement(log, "st-2", [masked_batch(0, 3), masked_batch(3, 3), masked_batch(6, 3)])
    await log.close()
    assert (ref["rows"], ref["rows_seen"], ref["truncated"]) == (4, 9, True)
    stored = completed_records(settings)[0]["data"]["recording"]
    assert read_recording(settings.directory, stored).column(0).to_pylist() == [0, 1, 2, 3]


async def test_byte_cap_truncates(make_settings: Callable[..., AuditSettings]):
    settings = make_settings(record_max_bytes=2000)
    log = await AuditLog.open(settings)
    ref = await record_statement(log, "st-3", [masked_batch(0, 1000)])
    await log.close()
    assert ref["truncated"] and 0 < ref["rows"] < 1000 and ref["bytes"] <= 2000


async def test_recording_off_records_nothing_but_counts(make_settings: Callable[..., AuditSettings]):
    settings = make_settings(record_results=False)
    log = await AuditLog.open(settings)
    ref = await record_statement(log, "st-4", [masked_batch(0, 7)])
    await log.close()
    assert ref == {"statement_id": "st-4", "rows": 0, "rows_seen": 7, "bytes": 0, "truncated": False,
                   "recorded": False}
    assert all(path.stat().st_size == 0 for path in settings.directory.glob("*.results"))


async def test_altered_recording_is_detected_at_its_record(
    audit_log: AuditLog, settings: AuditSettings, public_key: Ed25519PublicKey
):
    await record_statement(audit_log, "st-5", [masked_batch(0, 3)])
    await record_statement(audit_log, "st-6", [masked_batch(10, 3)])
    results = next(settings.directory.glob("*.results"))
    data = bytearray(results.read_bytes())
    data[-5] ^= 0xFF  # a bit flipped in the second recording
    results.write_bytes(bytes(data))
    report = verify([settings.directory], public_key)
    log_file = records.log_files(settings.directory)[0]
    assert not report.ok and report.location == f"{log_file}:4"
    assert "do not match their hash" in (report.first_problem or "")


async def test_unknown_or_reused_recording_is_refused(audit_log: AuditLog):
    recording = audit_log.recording("st-7")
    recording.add(masked_batch(0, 1), ["id", "email", "ssn"])
    ref = recording.finish()
    await audit_log.append("statement_completed", {"recording": ref})
    with pytest.raises(ValueError, match="used twice"):
        await audit_log.append("statement_completed", {"recording": ref})


async def test_replay_shows_what_the_client_saw(audit_log: AuditLog, settings: AuditSettings):
    await audit_log.append("connection_opened", {"session_id": "s1", "peer": "10.0.0.1:5432"})
    await record_statement(audit_log, "st-8", [masked_batch(0, 2)])
    await audit_log.append("statement", {"session_id": "other", "sql": "SELECT secret"})
    out = io.StringIO()
    assert replay(settings.directory, "s1", out) == 0
    text = out.getvalue()
    assert "connection_opened" in text and "peer=10.0.0.1:5432" in text
    assert "sql: SELECT ..." in text and "SELECT secret" not in text
    assert " id |      email       | id \n" in text
    assert "      0 | ***@example0.com |\n" in text and "(2 rows)" in text


@pytest.mark.parametrize(
    ("query", "table"),
    [
        (
            "select * from (values (1, 'x', 'abcdef'), (22, null, 'q')) t(a, bb, \"id\")",
            pa.table({"a": [1, 22], "bb": ["x", None], "id": ["abcdef", "q"]}),
        ),
        (
            "select * from (values ('left', 7), ('l', null)) t(some_text, n)",
            pa.table({"some_text": ["left", "l"], "n": [7, None]}),
        ),
        (
            "select 1 as n, 'e'::text as e where false",
            pa.table({"n": pa.array([], pa.int64()), "e": pa.array([], pa.string())}),
        ),
    ],
)
def test_render_table_matches_real_psql(postgres: PostgresServer, query: str, table: pa.Table):
    shown = run_psql_on(postgres, "-c", query, check=True)
    assert render_table(table) == shown.stdout.rstrip("\n") + "\n"
