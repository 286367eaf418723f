"""Anchors in a Google Cloud Storage bucket, through the real google-cloud-storage client against
an emulator: one object per checkpoint, a bucket without retention refused, a tail drop seen."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from google.cloud import storage

from tests.multi.support import anchored_config, cut_tail, log_records
from tests.support.cli import run_cli
from tests.support.clients import asyncpg_session
from tests.support.gateway import running_gateway
from tests.support.gcsemulator import GcsEmulator

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow


async def test_checkpoints_go_to_the_bucket_and_a_tail_drop_is_seen(
    demo_copy: Callable[[str], Path], gcs: GcsEmulator, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs.host)  # the gateway and the CLI inherit it
    bucket = gcs.bucket(f"anchors-{uuid.uuid4().hex[:8]}")
    gateway_id = f"gw-gcs-{uuid.uuid4().hex[:6]}"
    url = f"gs://{bucket}/pgbridge/anchors"
    with running_gateway(demo_copy("anchors-gcs"), anchored_config(url, gateway_id, interval_s=0.3)) as gw:
        async with asyncpg_session(gw, "alice", ("analyst",)) as conn:
            for n in range(4):
                assert await conn.fetchval(f"SELECT {n}") == n
    audit = gw.data_dir / "audit"
    last = log_records(audit)[-1]
    names = [blob.name for blob in storage.Client().list_blobs(bucket, prefix="pgbridge/anchors/")]
    assert names and all(name.startswith(f"pgbridge/anchors/{gateway_id}/") for name in names)
    assert names[0].endswith("-start.json") and names[-1].endswith("-shutdown.json")
    final = json.loads(storage.Client().bucket(bucket).blob(names[-1]).download_as_bytes())
    assert json.loads(final["body"])["seq"] == last["seq"] == int(names[-1].rsplit("/", 1)[1][:20])

    key = ("--public-key", str(gw.data_dir / "audit-signing-key.pub"))
    done = run_cli("audit", "verify", "--anchors", url, *key, str(audit))
    assert done.returncode == 0 and f"the latest seq {last['seq']} " in done.stdout, done.stdout + done.stderr
    cut_tail(audit, 2)
    done = run_cli("audit", "verify", "--anchors", url, *key, str(audit))
    assert done.returncode == 1 and "TRUNCATED" in done.stdout, done.stdout + done.stderr


def test_a_bucket_without_retention_is_refused(
    demo_copy: Callable[[str], Path], gcs: GcsEmulator, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs.host)
    bucket = gcs.bucket(f"anchors-open-{uuid.uuid4().hex[:8]}", retention_s=None)
    config = anchored_config(f"gs://{bucket}", "gw-gcs-open")
    with (
        pytest.raises(RuntimeError, match="has no retention policy"),
        running_gateway(demo_copy("anchors-gcs-open"), config),
    ):
        pass
