"""Recorded results: what the client saw, capped, stored beside the log and covered by the chain."""

from __future__ import annotations

import hashlib
import io
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
import zstandard
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import records
from pgbridge.audit.log import AuditLog
from pgbridge.audit.reader import RecordingError, read_blob, read_recording
from pgbridge.audit.recording import encode_blob
from pgbridge.audit.replay import render_table, replay
from pgbridge.audit.settings import AuditSettings, load_signing_key
from pgbridge.audit.verify import verify
from pgbridge.audit.writer import ChainWriter, Job
from tests.support.postgres import PostgresServer
from tests.support.psql import run_psql_on


def masked_batch(start: int, count: int) -> pa.RecordBatch:
    ids = list(range(start, start + count))
    return pa.record_batch({"id": ids, "email": [f"***@example{i}.com" for i in ids], "ssn": [None] * count})


def noisy_batch(seed: int) -> pa.RecordBatch:
    """Rows that compress badly: their recording is larger than INLINE_RESULTS_MAX."""
    rng = random.Random(seed)
    texts = ["".join(rng.choices(string.ascii_letters, k=64)) for _ in range(100)]
    return pa.record_batch({"id": list(range(100)), "email": texts, "ssn": [None] * 100})


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
    # Five small rows travel inside their record: nothing is written to a .results file.
    assert stored["sha256"] == ref["sha256"] and stored["stored"] == "inline" and "file" not in stored
    assert all(path.stat().st_size == 0 for path in settings.directory.glob("*.results"))
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
    await record_statement(audit_log, "st-5", [noisy_batch(0)])
    await record_statement(audit_log, "st-6", [noisy_batch(1)])
    results = next(settings.directory.glob("*.results"))
    data = bytearray(results.read_bytes())
    data[-5] ^= 0xFF  # a bit flipped in the second recording
    results.write_bytes(bytes(data))
    report = verify([settings.directory], public_key)
    log_file = records.log_files(settings.directory)[0]
    assert not report.ok and report.location == f"{log_file}:4"
    assert "do not match their hash" in (report.first_problem or "")


async def test_a_large_recording_goes_to_the_results_file(audit_log: AuditLog, settings: AuditSettings):
    batch = noisy_batch(2)
    await record_statement(audit_log, "st-big", [batch])
    stored = completed_records(settings)[0]["data"]["recording"]
    assert stored["stored"] == "file" and stored["file"].endswith(".results") and "inline" not in stored
    assert stored["length"] > records.INLINE_RESULTS_MAX
    assert read_recording(settings.directory, stored).column(1).to_pylist() == batch.column(1).to_pylist()


async def test_an_altered_inline_recording_fails_verify_as_an_altered_record(
    audit_log: AuditLog, settings: AuditSettings, public_key: Ed25519PublicKey
):
    await record_statement(audit_log, "st-5", [masked_batch(0, 3)])
    [log_file] = records.log_files(settings.directory)
    lines = log_file.read_bytes().splitlines(keepends=True)
    at = lines[1].index(b'"inline":"') + len(b'"inline":"') + 20  # record 2: st-5's completion
    flipped = b"A" if lines[1][at : at + 1] != b"A" else b"B"
    lines[1] = lines[1][:at] + flipped + lines[1][at + 1 :]
    log_file.write_bytes(b"".join(lines))
    report = verify([settings.directory], public_key)
    assert not report.ok and report.location == f"{log_file}:2"
    assert "altered" in (report.first_problem or "")


async def test_records_with_results_files_from_before_inline_still_verify_and_replay(
    settings: AuditSettings, key_file: Path, public_key: Ed25519PublicKey
):
    # A chain written the old way: the recording's reference names its .results file and has
    # no "stored" field (every record before inline recordings).
    writer = ChainWriter(settings, load_signing_key(key_file))
    writer.open()
    writer.write_group([Job("statement", {"session_id": "s1", "statement_id": "old", "sql": "SELECT ..."})])
    batch = masked_batch(0, 2)
    blob = encode_blob(batch.schema, [batch], "old", False)
    [log_file] = records.log_files(settings.directory)
    with open(records.results_path(log_file), "ab") as results:
        results.write(blob)
    ref = {"recorded": True, "rows": 2, "rows_seen": 2, "bytes": batch.nbytes, "truncated": False,
           "statement_id": "old", "sha256": hashlib.sha256(blob).hexdigest(),
           "file": records.results_path(log_file).name, "offset": 0, "length": len(blob)}  # fmt: skip
    completion = {"session_id": "s1", "statement_id": "old", "recording": ref}
    writer.write_group([Job("statement_completed", completion)])
    writer.close()
    assert "stored" not in completed_records(settings)[0]["data"]["recording"]
    assert verify([settings.directory], public_key).ok
    out = io.StringIO()
    assert replay(settings.directory, "s1", out) == 0
    assert "      1 | ***@example1.com |\n" in out.getvalue() and "(2 rows)" in out.getvalue()


def test_inline_references_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    blob = b"recorded bytes"
    good = {"sha256": hashlib.sha256(blob).hexdigest(), **records.inline_recording(blob)}
    assert read_blob(tmp_path, good) == blob
    bad = [
        ({**good, "sha256": hashlib.sha256(b"other").hexdigest()}, "inside the record do not match"),
        ({**good, "length": len(blob) + 1}, "not the length it states"),
        ({**good, "inline": "not base64!"}, "cannot be read"),
        ({**good, "stored": "bucket"}, "unknown way: 'bucket'"),
    ]
    for ref, message in bad:
        with pytest.raises(RecordingError, match=message):
            read_blob(tmp_path, ref)


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


def test_the_blob_is_the_same_bytes_whichever_compressor_writes_it() -> None:
    # encode_blob keeps one compressor per thread and fixed IPC options: the stored bytes
    # (and so every recorded hash) must be what a fresh writer and compressor make.
    batch = masked_batch(0, 3)
    sink = pa.BufferOutputStream()
    meta = {b"pgbridge.statement_id": b"st-9", b"pgbridge.truncated": b"False"}
    with pa.ipc.new_stream(sink, batch.schema.with_metadata(meta)) as writer:
        writer.write_batch(batch)
    fresh = zstandard.ZstdCompressor(level=3).compress(sink.getvalue().to_pybytes())
    assert [encode_blob(batch.schema, [batch], "st-9", False) for _ in range(3)] == [fresh] * 3
