"""`pgbridge audit ...` through main(argv) and as a real `python -m` process."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from pgbridge.audit import records
from pgbridge.audit.cli import main
from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings
from tests.audit.conftest import Clock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
async def demo(make_settings: Callable[..., AuditSettings], tmp_path: Path) -> Path:
    """A data dir like the demo's: DATA_DIR/audit, two sessions on two days (files 1-3, 4-7)."""
    settings = make_settings(directory=tmp_path / "data" / "audit")
    clock = Clock()
    log = await AuditLog.open(settings, clock=clock)
    for session, day in (("alpha", 0), ("beta", 1)):
        clock.advance(days=day)
        await log.append("connection_opened", {"session_id": session, "peer": "127.0.0.1:40000"})
        principal = {"subject": f"agent-{session}"}
        sql = f"SELECT name FROM {session}_t"
        fields = {"session_id": session, "sql": sql, "decision": "allow", "rule": "analysts-read"}
        await log.append("statement", {**fields, "principal": principal})
        recording = log.recording(f"{session}-1")
        recording.add(pa.record_batch({"name": ["Ada", "Grace"]}), ["name"])
        done = {"session_id": session, "rows": 2, "recording": recording.finish()}
        await log.append("statement_completed", done)
    await log.close()
    return tmp_path / "data"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_verify_ok_then_tampered(demo: Path, capsys: pytest.CaptureFixture[str]):
    status, out, _ = run(["audit", "verify", "--data-dir", str(demo)], capsys)
    assert status == 0 and out.startswith("OK: 7 records in 2 file(s) verify") and "public key sha256:" in out
    path = records.log_files(demo / "audit")[1]
    path.write_bytes(path.read_bytes().replace(b"Grace", b"Gracf").replace(b"beta_t", b"gamma_t"))
    status, out, _ = run(["audit", "verify", "--data-dir", str(demo)], capsys)
    assert status == 1 and out.startswith(f"FAILED at {path}:2: record altered")


def test_verify_given_files_and_key(demo: Path, capsys: pytest.CaptureFixture[str], key_file: Path):
    files = [str(path) for path in records.log_files(demo / "audit")]
    key = str(key_file.with_suffix(".pub"))
    status, out, _ = run(["audit", "verify", *files, "--public-key", key], capsys)
    assert status == 0 and "OK: 7 records" in out


def test_verify_without_a_public_key_says_how_to_give_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "audit").mkdir()
    with pytest.raises(SystemExit) as exit_:
        main(["audit", "verify", "--data-dir", str(tmp_path)])
    assert exit_.value.code == 2 and "--public-key" in capsys.readouterr().err


def test_replay_one_session(demo: Path, capsys: pytest.CaptureFixture[str]):
    status, out, _ = run(["audit", "replay", "--session", "beta", "--data-dir", str(demo)], capsys)
    assert status == 0
    assert "SELECT name FROM beta_t" in out and "alpha" not in out
    assert "by agent-beta decision=allow rule=analysts-read" in out
    assert "     name  \n    -------\n     Ada\n     Grace\n    (2 rows)\n" in out
    status, out, _ = run(["audit", "replay", "--session", "nobody", "--data-dir", str(demo)], capsys)
    assert status == 1 and "no records for session 'nobody'" in out


def test_tail_last_records(demo: Path, capsys: pytest.CaptureFixture[str]):
    status, out, _ = run(["audit", "tail", "-n", "3", "--data-dir", str(demo)], capsys)
    lines = out.splitlines()
    assert status == 0 and len(lines) == 3
    assert [line.split()[1] for line in lines] == ["#5", "#6", "#7"] and "log_closed" in lines[-1]
    status, out, _ = run(["audit", "tail", "-n", "6", "--json", "--data-dir", str(demo)], capsys)
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [2, 3, 4, 5, 6, 7]  # across two files


def test_export_jsonl_and_csv_by_time(demo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    status, out, err = run(
        ["audit", "export", "--since", "2025-03-02", "--format", "jsonl", "--data-dir", str(demo)], capsys
    )
    exported = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and [record["seq"] for record in exported] == [4, 5, 6, 7]
    assert "exported 4 record(s)" in err
    target = tmp_path / "evidence.csv"
    status, _, _ = run(["audit", "export", "--since", "2025-03-01T00:00:00Z", "--until", "2025-03-02",
                        "--format", "csv", "--output", str(target), "--data-dir", str(demo)], capsys)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert status == 0 and [row["seq"] for row in rows] == ["1", "2", "3"]
    assert rows[1]["sql"] == "SELECT name FROM alpha_t" and rows[1]["subject"] == "agent-alpha"
    assert len(rows[1]["record_hash"]) == 64


def test_export_refuses_an_unverified_log(demo: Path, capsys: pytest.CaptureFixture[str]):
    path = records.log_files(demo / "audit")[0]
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2] + lines[3:]))
    argv = ["audit", "export", "--since", "2025-01-01", "--data-dir", str(demo)]
    status, out, err = run(argv, capsys)
    assert status == 1 and out == "" and "refusing to export" in err
    status, out, _ = run([*argv, "--unverified"], capsys)
    assert status == 0 and len(out.splitlines()) == 6


def test_export_bad_time(demo: Path, capsys: pytest.CaptureFixture[str]):
    status, _, err = run(["audit", "export", "--since", "yesterday", "--data-dir", str(demo)], capsys)
    assert status == 2 and "--since" in err


async def test_module_entry_and_tail_follow(make_settings: Callable[..., AuditSettings], tmp_path: Path):
    settings = make_settings(directory=tmp_path / "data" / "audit", rotate_bytes=4096)
    log = await AuditLog.open(settings)
    await log.append("statement", {"session_id": "s", "sql": "SELECT 0"})
    follower = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pgbridge.audit.cli", "audit", "tail", "--follow", "-n", "1", "--json",
        "--data-dir", str(tmp_path / "data"), cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert follower.stdout is not None
        seen = [json.loads(await asyncio.wait_for(follower.stdout.readline(), 20))["seq"]]
        for index in range(1, 40):  # enough to rotate a few times while it follows
            await log.append("statement", {"session_id": "s", "sql": f"SELECT {index}", "pad": "x" * 100})
        while len(seen) < 40:
            seen.append(json.loads(await asyncio.wait_for(follower.stdout.readline(), 20))["seq"])
        assert seen == list(range(1, 41))
        assert len(records.log_files(settings.directory)) > 1
    finally:
        follower.kill()
        await follower.wait()
        await log.close()
    verify_run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pgbridge.audit.cli", "audit", "verify", "--data-dir", str(tmp_path / "data"),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await verify_run.communicate()
    assert verify_run.returncode == 0 and out.startswith(b"OK: 41 records")
