"""Every way of tampering with the log is detected, and the report names the line."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pgbridge.audit import records
from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings
from pgbridge.audit.verify import verify
from tests.audit.conftest import fill


@pytest.fixture()
async def written(make_settings: Callable[..., AuditSettings]) -> AuditSettings:
    """Three files of 10 + records each; the tests tamper with a copy's bytes in place."""
    settings = make_settings(rotate_bytes=4096, fsync="always")
    log = await AuditLog.open(settings)
    await fill(log, 45)
    await log.close()
    assert len(records.log_files(settings.directory)) >= 3
    return settings


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def second_file(settings: AuditSettings) -> Path:
    return records.log_files(settings.directory)[1]


def check(settings: AuditSettings, key: Ed25519PublicKey, path: Path, line: int, words: str) -> None:
    report = verify([settings.directory], key)
    assert not report.ok
    assert report.location == f"{path}:{line}", report
    assert words in (report.first_problem or ""), report.first_problem


def test_untouched_log_verifies(written: AuditSettings, public_key: Ed25519PublicKey):
    report = verify([written.directory], public_key)
    assert report.ok and report.records == 46 and report.clean_end


def test_edited_field(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    lines = lines_of(path)
    lines[3] = lines[3].replace(b'"decision":"allow"', b'"decision":"deny!"')
    path.write_bytes(b"".join(lines))
    check(written, public_key, path, 4, "signature does not match")


def test_edited_field_with_whitespace_only(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    lines = lines_of(path)
    lines[2] = lines[2].replace(b'"seq":', b'"seq": ')
    path.write_bytes(b"".join(lines))
    check(written, public_key, path, 3, "canonical")


def test_deleted_record(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    lines = lines_of(path)
    del lines[4]
    path.write_bytes(b"".join(lines))
    check(written, public_key, path, 5, "missing")


def test_swapped_records(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    lines = lines_of(path)
    lines[2], lines[3] = lines[3], lines[2]
    path.write_bytes(b"".join(lines))
    check(written, public_key, path, 3, "missing")  # seq jumps forward at the first swapped line


def test_duplicated_record(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    lines = lines_of(path)
    lines.insert(3, lines[2])
    path.write_bytes(b"".join(lines))
    check(written, public_key, path, 4, "reordered, duplicated or inserted")


def test_forged_record_appended(written: AuditSettings, public_key: Ed25519PublicKey):
    path = records.log_files(written.directory)[-1]
    last = json.loads(lines_of(path)[-1])
    # a forger who knows the format but not the gateway's key: right seq, right prev, own key
    sealed = records.seal(
        Ed25519PrivateKey.generate(), last["seq"] + 1, records.record_hash(lines_of(path)[-1]),
        records.utc_timestamp(), "statement", records.encode_data({"sql": "SELECT 'I was never here'"}),
    )
    path.write_bytes(path.read_bytes() + sealed.line)
    check(written, public_key, path, len(lines_of(path)), "signature does not match")


def test_signature_copied_onto_other_content(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    lines = lines_of(path)
    record = json.loads(lines[5])
    record["data"]["sql"] = "DROP TABLE evidence"
    lines[5] = records.canonical(record).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    check(written, public_key, path, 6, "signature does not match")


def test_record_inserted_from_elsewhere_in_the_chain(written: AuditSettings, public_key: Ed25519PublicKey):
    # a genuine, correctly signed record replayed at another place
    first, second = records.log_files(written.directory)[:2]
    lines = lines_of(second)
    lines.insert(2, lines_of(first)[1])
    second.write_bytes(b"".join(lines))
    check(written, public_key, second, 3, "reordered, duplicated or inserted")


def test_truncated_mid_record(written: AuditSettings, public_key: Ed25519PublicKey):
    path = records.log_files(written.directory)[-1]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])
    check(written, public_key, path, len(lines_of(path)), "cut mid-record")


def test_truncated_mid_record_in_an_older_file(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1])  # only the final newline goes
    check(written, public_key, path, len(lines_of(path)), "cut mid-record")


def test_whole_file_removed(written: AuditSettings, public_key: Ed25519PublicKey):
    first, second, third = records.log_files(written.directory)[:3]
    second.unlink()
    check(written, public_key, third, 1, "missing")


def test_first_file_removed_without_retention_record(written: AuditSettings, public_key: Ed25519PublicKey):
    first, second = records.log_files(written.directory)[:2]
    first.unlink()
    check(written, public_key, second, 1, "no retention record accounts for the removal")


def test_whole_file_replaced_by_a_forged_one(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    forger = Ed25519PrivateKey.generate()
    original = [json.loads(line) for line in lines_of(path)]
    prev = original[0]["prev"]
    forged = b""
    for record in original:
        record["data"]["sql"] = "SELECT 'nothing to see'"
        sealed = records.seal(forger, record["seq"], prev, record["ts"], record["type"],
                              records.encode_data(record["data"]))
        forged, prev = forged + sealed.line, sealed.hash
    path.write_bytes(forged)
    check(written, public_key, path, 1, "signature does not match")


def test_whole_file_replaced_by_a_genuine_file_of_another_log(
    written: AuditSettings, public_key: Ed25519PublicKey, tmp_path: Path
):
    # a correctly signed file from the same key, but from another stretch of the chain
    first, second = records.log_files(written.directory)[:2]
    second.write_bytes(first.read_bytes())
    check(written, public_key, second, 1, "file name says")


def test_file_renamed_to_change_the_order(written: AuditSettings, public_key: Ed25519PublicKey):
    first, second = records.log_files(written.directory)[:2]
    parsed = records.parse_log_name(first.name)
    assert parsed
    renamed = first.with_name(records.log_file_name(99, parsed[1]))
    first.rename(renamed)
    check(written, public_key, renamed, 1, "file name says the file begins at seq 99")


def test_signature_of_the_wrong_length(written: AuditSettings, public_key: Ed25519PublicKey):
    path = second_file(written)
    lines = lines_of(path)
    record = json.loads(lines[1])
    record["sig"] = base64.b64encode(b"x" * 10).decode()
    lines[1] = records.canonical(record).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    check(written, public_key, path, 2, "signature does not match")


def test_wrong_public_key_fails_on_the_first_record(written: AuditSettings):
    report = verify([written.directory], Ed25519PrivateKey.generate().public_key())
    assert not report.ok and report.records == 0 and report.location and report.location.endswith(":1")
