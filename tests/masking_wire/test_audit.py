"""Issue 4 item 6 over the wire: the rows a client sees and the rows the audit records are the
same masked rows; the audit names which columns were masked by which rule; and no clear value
is anywhere in the audit directory, recordings (zstd-compressed Arrow IPC) included.

This runs on a gateway of its own over a fresh demo folder, so its audit log holds only the
analyst's statements (the shared gateway's log also holds admin's clear reads, as it should).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import zstandard

from pgbridge.audit.reader import iter_records, read_recording
from pgbridge.audit.recording import encode_blob
from pgbridge.wire import messages as m
from tests.masking_wire.clear_values import ClearValues
from tests.masking_wire.conftest import ANALYST
from tests.masking_wire.test_who_sees_what import SAMPLE, SAMPLE_IDS, masked_row
from tests.masking_wire.wire_corpus import MASKED, WIRE_CORPUS
from tests.support.cli import run_cli
from tests.support.gateway import running_gateway
from tests.support.rawclient import RawClient

pytestmark = pytest.mark.slow  # a gateway of its own, the whole masked corpus, then its audit read back


@dataclass
class AuditRun:
    directory: Path
    data_dir: Path
    clear: ClearValues
    received: dict[str, list[tuple[bytes | None, ...]]]  # sql -> the DataRow values the client got
    records: list[dict[str, Any]]


@pytest.fixture(scope="module")
def audit_run(demo_copy: Callable[[str], Path], clear_values: ClearValues) -> Iterator[AuditRun]:
    data_dir = demo_copy("audit-demo")
    received: dict[str, list[tuple[bytes | None, ...]]] = {}
    with running_gateway(data_dir) as gateway:
        client = RawClient.login(gateway, *ANALYST)
        client.simple("SET pgbridge.approval = 'ticket'")
        for sql in [SAMPLE, *(case.sent for case in WIRE_CORPUS if case.expect == MASKED)]:
            client.send(m.Parse("", sql, ()), m.Bind("", "", (), (), (0,)), m.Execute("", 0), m.Sync())
            seen = client.until_ready()
            received[sql] = [msg.values for msg in seen if isinstance(msg, m.DataRow)]
        client.close()
    # the gateway has stopped: every record and recording is on disk
    directory = data_dir / "audit"
    records = [record for _, record in iter_records(sorted(directory.glob("*.jsonl")))]
    yield AuditRun(directory, data_dir, clear_values, received, records)


def _statements(run: AuditRun, sql: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(statement record, completion record) pairs of the runs of `sql` that returned rows."""
    completions = {
        r["data"]["statement_id"]: r["data"] for r in run.records if r["type"] == "statement_completed"
    }
    pairs = [
        (r["data"], completions.get(r["data"]["statement_id"]))
        for r in run.records
        if r["type"] == "statement" and r["data"].get("sql") == sql
    ]
    # EXPLAIN is recorded without a completion (test_explain_is_recorded_with_a_completion)
    return [(s, c) for s, c in pairs if c is not None and c["sqlstate"] is None]


def test_audit_names_masked_columns_with_their_rules(audit_run: AuditRun) -> None:
    ((statement, completion),) = _statements(audit_run, SAMPLE)
    assert statement["masked_columns"] == [
        {
            "column": "email",
            "index": 1,
            "strategy": "email",
            "rules": ["shop.customers.email"],
            "sources": ["shop.customers.email"],
            "options": {},
            "where": "warehouse",
        },
        {
            "column": "phone",
            "index": 2,
            "strategy": "hash",
            "rules": ["shop.customers.phone"],
            "sources": ["shop.customers.phone"],
            "options": {},
            "where": "gateway",
        },
        {
            "column": "ssn",
            "index": 3,
            "strategy": "partial",
            "rules": ["shop.customers.ssn"],
            "sources": ["shop.customers.ssn"],
            "options": {"keep": 4},
            "where": "warehouse",
        },
        {
            "column": "card_number",
            "index": 4,
            "strategy": "partial",
            "rules": ["shop.customers.card_number"],
            "sources": ["shop.customers.card_number"],
            "options": {"keep": 4},
            "where": "warehouse",
        },
    ]
    assert completion["masked_columns"] == {
        "email": "shop.customers.email",
        "phone": "shop.customers.phone",
        "ssn": "shop.customers.ssn",
        "card_number": "shop.customers.card_number",
    }


def test_recorded_rows_are_the_masked_rows_the_client_saw(audit_run: AuditRun) -> None:
    ((_, completion),) = _statements(audit_run, SAMPLE)
    table = read_recording(audit_run.directory, completion["recording"])
    recorded = [tuple(str(v) for v in row.values()) for row in table.to_pylist()]
    key = (audit_run.data_dir / "masking-hash.key").read_bytes().strip()
    expected = [masked_row(audit_run.clear.customers[i], key) for i in SAMPLE_IDS]
    assert recorded == expected
    assert [tuple((v or b"").decode() for v in row) for row in audit_run.received[SAMPLE]] == expected


def test_every_recording_matches_what_its_client_received(audit_run: AuditRun) -> None:
    checked = 0
    for sql, rows in audit_run.received.items():
        for statement, completion in _statements(audit_run, sql):
            if statement["decision"] == "explain":
                continue  # a plan, not rows: nothing to record
            masked = statement["masked_columns"] or statement["masked_inputs"]
            assert masked, f"no masked columns recorded for {sql}"
            table = read_recording(audit_run.directory, completion["recording"])
            assert completion["rows"] == len(rows), sql
            if completion["recording"]["truncated"]:  # over the recording's byte cap: a prefix
                assert 0 < table.num_rows < len(rows), sql
            else:
                assert table.num_rows == len(rows), sql
            sent = b"\x00".join(v for row in rows for v in row if v is not None)
            for column in table.columns:
                if pa.types.is_string(column.type):
                    assert all(v.encode() in sent for v in column.to_pylist() if v is not None), sql
            checked += 1
    assert checked >= 60


def _all_audit_bytes(directory: Path) -> bytes:
    """Every file as stored, plus the .results files decompressed (all their zstd frames)."""
    chunks = []
    for path in sorted(directory.iterdir()):
        data = path.read_bytes()
        chunks.append(data)
        if path.suffix == ".results":
            with zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True) as reader:
                chunks.append(reader.read())
    return b"\n".join(chunks)


def test_no_clear_value_anywhere_in_the_audit_directory(audit_run: AuditRun) -> None:
    everything = _all_audit_bytes(audit_run.directory)
    assert any(path.suffix == ".results" for path in audit_run.directory.iterdir())
    assert len(everything) > 100_000  # the recordings were decompressed and are searched
    assert audit_run.clear.leaks(everything) == []


def test_the_audit_scan_would_find_a_clear_recording(audit_run: AuditRun, tmp_path: Path) -> None:
    """The same scan over a recording of clear rows (what an unmasked query would leave) fails."""
    c = audit_run.clear.customers[SAMPLE_IDS[0]]
    table = pa.table({"ssn": [c.ssn], "card_number": [c.card_number], "email": [c.email], "phone": [c.phone]})
    (tmp_path / "x.results").write_bytes(encode_blob(table.schema, table.to_batches(), "s1", False))
    assert len(audit_run.clear.leaks(_all_audit_bytes(tmp_path))) >= 4


def test_replay_shows_the_masked_session(audit_run: AuditRun) -> None:
    session = next(r["data"]["session_id"] for r in audit_run.records if r["type"] == "statement")
    done = run_cli("audit", "replay", "--session", session, "--data-dir", str(audit_run.data_dir), text=False)
    assert done.returncode == 0, done.stderr
    assert b"shop.customers.ssn" in done.stdout and b"****" in done.stdout
    assert audit_run.clear.leaks(done.stdout + done.stderr) == []


def test_explain_is_recorded_with_a_completion(audit_run: AuditRun) -> None:
    """Lead-owned bug (pgbridge/server/pipeline.py, Pipeline.explain): EXPLAIN writes a
    `statement` record (via _audit_catalog) but never the `statement_completed` that every
    other statement, catalog queries included, gets; to an auditor it looks like a statement
    that never finished. Suggested fix: call _audit_catalog_done(ctx, statement_id, started,
    len(lines), None) after building the plan lines (and with the error when it fails)."""
    completed = {r["data"]["statement_id"] for r in audit_run.records if r["type"] == "statement_completed"}
    explains = [
        r["data"]["statement_id"]
        for r in audit_run.records
        if r["type"] == "statement" and str(r["data"].get("sql", "")).startswith("EXPLAIN")
    ]
    assert explains, "the corpus runs an EXPLAIN"
    assert all(statement_id in completed for statement_id in explains)
