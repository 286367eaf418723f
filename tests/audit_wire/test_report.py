"""`pgbridge audit report` over the scripted audited session (scenario.py): its numbers are
checked against the records themselves, counted here independently, and against what the
clients did; every record it cites is of the kind the figure counts. The report is rendered
in Chromium to docs/audit-report.png.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.audit_wire.scenario import APPROVER, MASKED_SQL, Run
from tests.support.browser import full_page_png, headless_chromium, screenshot_path
from tests.support.cli import run_cli

WHOLE = ("--since", "2000-01-01T00:00:00Z", "--until", "2100-01-01T00:00:00Z")


def build(run: Run, out: Path, *paths: Path) -> tuple[int, str, dict[str, Any]]:
    done = run_cli(
        "audit",
        "report",
        *WHOLE,
        "--out",
        str(out),
        "--data-dir",
        str(run.data_dir),
        *[str(p) for p in paths],
    )
    html = out.read_text(encoding="utf-8") if out.exists() else ""
    start = html.index('<script type="application/json" id="figures">') + len(
        '<script type="application/json" id="figures">'
    )
    figures = json.loads(html[start : html.index("</script>", start)])
    return done.returncode, html, figures


@pytest.fixture(scope="module")
def report(run: Run, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    status, html, figures = build(run, out)
    assert status == 0, html[:2000]
    return out, html, figures


def by_seq(run: Run) -> dict[int, dict[str, Any]]:
    return {r["seq"]: r for r in run.records}


def cited(refs: list[list[Any]]) -> list[int]:
    return [int(seq) for _gateway, seq in refs]


def test_counts_match_the_records(run: Run, report: tuple[Path, str, dict[str, Any]]) -> None:
    _, _, figures = report
    records = run.records
    assert figures["records"] == len(records)
    statements = [r for r in records if r["type"] == "statement"]
    decisions = Counter(r["data"]["decision"] for r in statements)
    assert {k: v["count"] for k, v in figures["decisions"].items()} == dict(decisions)
    index = by_seq(run)
    for decision, figure in figures["decisions"].items():
        assert all(
            index[s]["type"] == "statement" and index[s]["data"]["decision"] == decision
            for s in cited(figure["refs"])
        )
    denials = Counter(r["data"]["rule"] for r in statements if r["data"]["decision"] == "deny")
    assert {k: v["count"] for k, v in figures["denials"].items()} == dict(denials) and denials
    logins = Counter(r["data"]["principal"]["subject"] for r in records if r["type"] == "auth_succeeded")
    assert {p["subject"]: p["sessions"] for p in figures["principals"]} == dict(logins)
    assert set(logins) == {"bob", "alice", "carol", "erin"}  # the scenario's four sessions
    assert {p["issuer"] for p in figures["principals"]} == {"pgbridge-demo"}


def test_masking_rows_match_what_the_client_received(
    run: Run, report: tuple[Path, str, dict[str, Any]]
) -> None:
    _, _, figures = report
    bob = [m for m in figures["masking"] if m["principal"] == "bob"]
    # psql as bob ran MASKED_SQL once: 3 rows with ssn, email and phone masked
    assert bob and all(m["rows"] == 3 and m["statements"] == 1 for m in bob), bob
    assert set().union(*(m["columns"] for m in bob)) == {"ssn", "email", "phone"}
    index = by_seq(run)
    for mask in figures["masking"]:
        for seq in cited(mask["refs"]):
            assert index[seq]["type"] == "statement_completed" and index[seq]["data"]["masked_columns"]
        assert mask["rows"] == sum(index[s]["data"]["rows"] for s in cited(mask["refs"]))
    ran = [r for r in run.records if r["type"] == "statement" and r["data"]["sql"] == MASKED_SQL]
    assert len(ran) == 1 and ran[0]["data"]["principal"]["subject"] == "bob"


def test_approvals_failed_logins_and_scans(run: Run, report: tuple[Path, str, dict[str, Any]]) -> None:
    _, _, figures = report
    [approval] = [a for a in figures["approvals"] if a["id"] == run.approval_id]
    assert (approval["requester"], approval["approver"], approval["decision"], approval["ran"]) == (
        "erin",
        APPROVER,
        "approved",
        True,
    )
    assert approval["seconds_to_decision"] is not None and 0 <= approval["seconds_to_decision"] < 60
    kinds = {by_seq(run)[s]["type"] for s in cited(approval["refs"])}
    assert kinds == {"approval_requested", "statement"}
    failed = [f for f in figures["failed_authentications"] if f["via"] == "database"]
    assert [(f["subject"], f["count"]) for f in failed] == [("mallory", 1)]
    # The demo's DuckDB reports no scanned bytes: each statement that completed without error
    # counts with its dry-run estimate, from its write-ahead record.
    records = run.records
    written = {
        (r["data"]["session_id"], r["data"]["statement_id"]): r["data"]
        for r in records
        if r["type"] == "statement"
    }
    estimates = [
        written[(r["data"]["session_id"], r["data"]["statement_id"])].get("bytes_estimate")
        for r in records
        if r["type"] == "statement_completed" and not r["data"]["sqlstate"]
    ]
    expected = sorted((e for e in estimates if isinstance(e, int) and e > 0), reverse=True)[:10]
    assert expected and [s["bytes"] for s in figures["largest_scans"]] == expected
    assert all(s["estimated"] for s in figures["largest_scans"])


def test_the_page_says_the_chain_verifies_and_cites_records(report: tuple[Path, str, dict[str, Any]]) -> None:
    out, html, _ = report
    assert 'id="verdict">Every gateway' in html and ">verifies<" in html
    assert html.index('id="verification"') < html.index('id="who"')  # verification comes first
    assert "<svg" in html and not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # opens offline
    assert "<link" not in html and "<script src" not in html
    assert "seq " in html and "audit-000000000001-" in html
    with headless_chromium(1100, 900) as driver:
        driver.get(out.as_uri())
        assert driver.find_element("id", "verdict").text.startswith("Every gateway")
        shot = screenshot_path("audit-report.png", out.parent)
        full_page_png(driver, shot, max_height=3200)
        assert shot.stat().st_size > 10_000


def test_a_tampered_log_is_reported_first_and_fails(run: Run, tmp_path: Path) -> None:
    copy = shutil.copytree(run.audit_dir, tmp_path / "audit")
    first = sorted(copy.glob("audit-*.jsonl"))[0]
    lines = first.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"seq":4', b'"seq":4 ', 1)  # any edit breaks canonical form
    first.write_bytes(b"".join(lines))
    status, html, _ = build(run, tmp_path / "report.html", copy)
    assert status == 1
    assert "does NOT verify" in html and "FAILED" in html


def test_several_gateways_are_verified_and_counted_each(run: Run, tmp_path: Path) -> None:
    second = shutil.copytree(run.audit_dir, tmp_path / "gateway-b" / "audit")
    status, html, figures = build(run, tmp_path / "report.html", run.audit_dir, second)
    assert status == 0
    assert html.count('<tr class="gateway">') == 2 and str(second) in html
    assert figures["records"] == 2 * len(run.records)
    [approval] = [a for a in figures["approvals"] if a["id"] == run.approval_id]
    assert {gateway for gateway, _seq in approval["refs"]} == {str(run.audit_dir), str(second)}


def test_bad_arguments_are_refused_before_anything_is_written(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    cases = [
        (("--since", "2026-02-01", "--until", "2026-01-01"), "--until must be later than --since"),
        (("--since", "yesterday"), "not an ISO 8601"),
        (("--since", "2026-01-01", str(tmp_path / "missing")), "no audit directory at"),
    ]
    for arguments, message in cases:
        done = run_cli("audit", "report", *arguments, "--out", str(out), "--data-dir", str(run.data_dir))
        assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not out.exists()
