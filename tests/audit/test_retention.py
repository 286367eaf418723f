"""Retention removes whole expired files only, and the chain records the cut."""

from __future__ import annotations

import json
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import records
from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings
from pgbridge.audit.verify import verify
from tests.audit.conftest import Clock, fill


async def write_days(settings: AuditSettings, clock: Clock, days: int) -> None:
    log = await AuditLog.open(settings, clock=clock)
    for day in range(days):
        if day:
            clock.advance(days=1)
        await fill(log, 3)
    await log.close()


def all_records(settings: AuditSettings) -> list[dict]:
    files = records.log_files(settings.directory)
    return [json.loads(line) for path in files for line in path.read_bytes().splitlines()]


async def test_expired_files_go_whole_and_the_cut_is_recorded(
    make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey
):
    clock = Clock()
    settings = make_settings(retention_days=2)
    await write_days(settings, clock, 5)  # days 1..5, one file each; retention runs at each rotation
    names = [path.name for path in records.log_files(settings.directory)]
    assert names[0].endswith("20250303.jsonl") and names[-1].endswith("20250305.jsonl")
    assert not (settings.directory / names[0].replace("20250303", "20250301")).exists()
    results = sorted(path.name for path in settings.directory.glob("*.results"))
    assert results == sorted(name.replace(".jsonl", ".results") for name in names)
    cuts = [record for record in all_records(settings) if record["type"] == "retention"]
    removed = [entry["file"] for cut in cuts for entry in cut["data"]["removed"]]
    assert removed == ["audit-000000000001-20250301.jsonl", "audit-000000000004-20250302.jsonl"]
    report = verify([settings.directory], public_key)
    assert report.ok, report


async def test_retention_at_open(make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey):
    clock = Clock()
    await write_days(make_settings(), clock, 3)
    clock.advance(days=30)
    log = await AuditLog.open(make_settings(retention_days=7), clock=clock)
    await log.close()
    files = records.log_files(make_settings().directory)
    assert len(files) == 1  # the newest file is never removed, even when it has expired
    kinds = [record["type"] for record in all_records(make_settings())]
    assert "retention" in kinds
    assert verify([make_settings().directory], public_key).ok


async def test_deleting_by_hand_after_retention_is_still_detected(
    make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey
):
    clock = Clock()
    settings = make_settings(retention_days=2)
    await write_days(settings, clock, 5)
    oldest, following = records.log_files(settings.directory)[:2]
    oldest.unlink()
    report = verify([settings.directory], public_key)
    assert not report.ok and report.location == f"{following}:1"
    assert "no retention record accounts for the removal" in (report.first_problem or "")


async def test_forged_retention_claim_does_not_excuse_a_removal(
    make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey
):
    # an unsigned or wrongly signed retention record fails before it could vouch for anything
    clock = Clock()
    settings = make_settings()
    await write_days(settings, clock, 3)
    first, second, third = records.log_files(settings.directory)
    first.unlink()
    start = json.loads(second.read_bytes().splitlines()[0])
    fake = dict(json.loads(third.read_bytes().splitlines()[-1]))
    fake.update(type="retention", data={"resumes_at": {"seq": start["seq"], "prev": start["prev"]}})
    third.write_bytes(third.read_bytes() + records.canonical(fake).encode() + b"\n")
    report = verify([settings.directory], public_key)
    assert not report.ok and "signature" in (report.first_problem or "")
