"""One evidence trail over several gateways: verify per gateway against the shared anchor store,
export merged by time, every record naming its gateway."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.multi.support import AnchorStore, anchored_config, cut_tail, log_records
from tests.support.cli import run_cli
from tests.support.clients import asyncpg_session
from tests.support.gateway import running_gateway

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow


async def test_verify_and_export_over_two_gateways(
    demo_copy: Callable[[str], Path], anchor_store: AnchorStore
):
    suffix = uuid.uuid4().hex[:6]
    names = [f"gw-a-{suffix}", f"gw-b-{suffix}"]
    dirs = [demo_copy(f"several-{name}") for name in names]
    with ExitStack() as stack:
        gateways = [
            stack.enter_context(
                running_gateway(d, anchored_config(anchor_store.url("pgbridge_anchor"), name))
            )
            for d, name in zip(dirs, names, strict=True)
        ]
        for round_ in range(3):  # interleaved, so a merge by time has to interleave them too
            for gw in gateways:
                async with asyncpg_session(gw, "alice", ("analyst",)) as conn:
                    assert await conn.fetchval(f"SELECT {round_}") == round_
    audits = [d / "audit" for d in dirs]
    keys = [arg for d in dirs for arg in ("--public-key", str(d / "audit-signing-key.pub"))]
    reader = anchor_store.url("pgbridge_auditor")

    done = run_cli("audit", "verify", "--anchors", reader, *keys, *map(str, audits))
    assert done.returncode == 0, done.stdout + done.stderr
    for name in names:
        assert f"gateway {name} (" in done.stdout and "OK" in done.stdout
    assert "2 of 2 gateway log(s) verify" in done.stdout

    exported = run_cli(
        "audit", "export", "--since", "2000-01-01", "--format", "csv", *keys, *map(str, audits)
    )
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    every = [r for a in audits for r in log_records(a)]
    assert len(rows) == len(every)
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)
    assert {r["gateway"] for r in rows} == set(names)
    sessions = {(r["gateway"], r["session_id"]) for r in rows if r["session_id"]}
    assert len(sessions) == 6 and all(gateway in names for gateway, _ in sessions)
    lines = run_cli("audit", "export", "--since", "2000-01-01", *keys, *map(str, audits)).stdout.splitlines()
    originals = {
        line for a in audits for p in sorted(a.glob("audit-*.jsonl")) for line in p.read_text().splitlines()
    }
    assert set(lines) == originals  # byte for byte: each line still verifies on its own

    cut_tail(audits[1], 2)
    done = run_cli("audit", "verify", "--anchors", reader, *keys, *map(str, audits))
    assert done.returncode == 1, done.stdout
    first, second = (line for line in done.stdout.splitlines() if line.startswith("gateway "))
    assert names[0] in first and ": OK:" in first
    assert names[1] in second and ": FAILED:" in second and "TRUNCATED" in done.stdout
    assert "1 of 2 gateway log(s) verify" in done.stdout
