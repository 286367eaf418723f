"""`pgbridge approvals ...` against a real store file, through main(argv) and as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pgbridge.policy.approvals import SqliteApprovalStore
from pgbridge.policy.cli import main

REPO = Path(__file__).resolve().parents[2]
Capture = pytest.CaptureFixture[str]
SQL = "UPDATE `shop.orders` SET total = 0 WHERE id = @p1"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def store(data_dir: Path) -> SqliteApprovalStore:
    return SqliteApprovalStore(data_dir / "approvals.sqlite")


def run(data_dir: Path, *argv: str) -> int:
    return main(["approvals", *argv], default_data_dir=data_dir)


def test_list_show_approve(data_dir: Path, store: SqliteApprovalStore, capsys: Capture) -> None:
    request = store.request("alice", SQL, "digest", "roles.admin.approve_statements", "DML needs approval")
    assert run(data_dir, "list", "--status", "pending") == 0
    out = capsys.readouterr().out
    assert request.id in out and "alice" in out and "pending" in out
    assert run(data_dir, "show", request.id) == 0
    out = capsys.readouterr().out
    assert SQL in out and "roles.admin.approve_statements" in out
    assert run(data_dir, "approve", request.id, "--by", "bob", "--reason", "looks right") == 0
    assert f"{request.id} approved by bob" in capsys.readouterr().out
    decided = store.get(request.id)
    assert decided is not None and (decided.status, decided.approver, decided.reason) == (
        "approved", "bob", "looks right")
    assert run(data_dir, "list", "--status", "pending") == 0
    assert "no approval requests with status pending" in capsys.readouterr().out


def test_deny(data_dir: Path, store: SqliteApprovalStore, capsys: Capture) -> None:
    request = store.request("alice", SQL, "digest", "rule")
    assert run(data_dir, "deny", request.id, "--by", "bob", "--reason", "no") == 0
    decided = store.get(request.id)
    assert decided is not None and decided.status == "denied" and decided.reason == "no"


def test_refusals_exit_1(data_dir: Path, store: SqliteApprovalStore, capsys: Capture) -> None:
    request = store.request("alice", SQL, "digest", "rule")
    assert run(data_dir, "approve", request.id, "--by", "alice") == 1
    assert "may not decide" in capsys.readouterr().err
    assert run(data_dir, "approve", "apr_missing", "--by", "bob") == 1
    assert run(data_dir, "show", "apr_missing") == 1
    assert run(data_dir, "deny", request.id, "--by", "bob") == 0
    assert run(data_dir, "approve", request.id, "--by", "carol") == 1
    assert "denied, not pending" in capsys.readouterr().err


def test_usage_errors_exit_2(data_dir: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        run(data_dir, "approve", "apr_x")  # --by is required
    assert caught.value.code == 2


def test_store_option_and_real_process(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.sqlite"
    request = SqliteApprovalStore(path).request("alice", SQL, "digest", "rule")
    result = subprocess.run(
        [sys.executable, "-m", "pgbridge.policy.cli", "approvals", "--store", str(path),
         "approve", request.id, "--by", "bob"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    decided = SqliteApprovalStore(path).get(request.id)
    assert decided is not None and decided.status == "approved"
