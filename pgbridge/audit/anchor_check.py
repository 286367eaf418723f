"""Checking gateways' logs against their anchors: the cut tail and the rewritten past.

Each log (one audit directory per gateway) is verified on its own; the gateway it belongs to is
the one its records name. Its anchors are every checkpoint of that gateway in the anchor store,
each of which must carry a valid signature by the key the log is checked with. Then:
- the log must reach the latest anchor's seq: a log that ends before it was cut (truncated);
- every anchored seq the log still holds must hash to what the anchor says: otherwise the log
  was rewritten from there (a cut followed by new records, or a replaced chain).
Seqs before the log's first record (removed by retention, which the chain accounts for) are
not checked. Records after the latest anchor are reported as not yet anchored: that tail is what
an attacker with root on the host could still cut unseen.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit.anchors import AnchorError, Checkpoint, StoredAnchor, open_checkpoint
from pgbridge.audit.verify import VerifyReport, verify


@dataclass
class GatewayCheck:
    directory: Path
    report: VerifyReport
    anchored: bool  # checked against anchors at all
    anchors: list[Checkpoint] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        return self.report.gateway or "(unnamed)"

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.problems

    @property
    def latest(self) -> Checkpoint | None:
        return max(self.anchors, key=lambda point: point.seq, default=None)


def check_logs(
    logs: Sequence[tuple[Sequence[Path], Ed25519PublicKey]], stored: Sequence[StoredAnchor] | None
) -> list[GatewayCheck]:
    """Verify every log (its files or directory), and each against its gateway's anchors when
    `stored` is given."""
    watch = _seqs(stored or ())
    checks = []
    for paths, key in logs:
        check = GatewayCheck(paths[0], verify(paths, key, watch), stored is not None)
        if stored is not None and check.report.ok:
            _against_anchors(check, [a for a in stored if a.gateway == check.report.gateway], key)
        checks.append(check)
    return checks


def unchecked_gateways(checks: Sequence[GatewayCheck], stored: Sequence[StoredAnchor]) -> list[str]:
    """Gateways the anchor store knows whose logs were not given."""
    given = {check.report.gateway for check in checks}
    return sorted({anchor.gateway for anchor in stored} - given)


def _seqs(stored: Sequence[StoredAnchor]) -> set[int]:
    seqs = set()
    for anchor in stored:
        try:
            seqs.add(int(json.loads(anchor.body)["seq"]))
        except (ValueError, KeyError, TypeError):
            continue  # reported as malformed when its gateway's log is checked
    return seqs


def _against_anchors(check: GatewayCheck, stored: list[StoredAnchor], key: Ed25519PublicKey) -> None:
    if check.report.gateway is None:
        check.problems.append("no record names its gateway, so the log cannot be matched to its anchors")
        return
    for anchor in stored:
        try:
            point = open_checkpoint(anchor.body, anchor.sig, key)
        except AnchorError as exc:
            check.problems.append(f"anchor stored at {anchor.received_at}: {exc} (forged, or another key)")
            continue
        if point.gateway != anchor.gateway:
            check.problems.append(f"anchor stored at {anchor.received_at} is filed under another gateway")
            continue
        check.anchors.append(point)
    if not check.anchors and not check.problems:
        check.problems.append(f"the anchor store holds no checkpoint of gateway {check.gateway}")
    _compare(check)


def _compare(check: GatewayCheck) -> None:
    report, latest = check.report, check.latest
    last = report.last_seq or 0
    if latest is not None and latest.seq > last:
        check.problems.append(
            f"TRUNCATED: the log ends at seq {last}, but gateway {check.gateway} anchored seq {latest.seq} "
            f"at {latest.ts} ({latest.reason}): records {last + 1}..{latest.seq} were cut off"
        )
    first = report.first_seq or 1
    for point in sorted(check.anchors, key=lambda p: p.seq):
        if first <= point.seq <= last and report.hashes.get(point.seq) != point.hash:
            check.problems.append(
                f"REWRITTEN: record seq {point.seq} does not match the anchor of {point.ts}: "
                "the log was replaced or rewritten from there"
            )
            return


def describe(check: GatewayCheck) -> list[str]:
    """The lines `audit verify` prints for one gateway's log."""
    report = check.report
    head = f"gateway {check.gateway} ({check.directory})"
    if not report.ok:
        return [
            f"{head}: FAILED at {report.location}: {report.first_problem}",
            f"  {report.records} record(s) verified before it",
        ]
    lines = [
        f"{head}: {'OK' if check.ok else 'FAILED'}: {report.records} records in {report.files} file(s) "
        f"verify; last seq {report.last_seq}, hash {report.last_hash}"
    ]
    lines += [f"  {problem}" for problem in check.problems]
    latest = check.latest
    if check.anchored and latest is not None and check.ok:
        behind = (report.last_seq or 0) - latest.seq
        lines.append(
            f"  anchored: {len(check.anchors)} checkpoint(s), the latest seq {latest.seq} at {latest.ts} "
            f"({latest.reason}); {behind} record(s) after it not anchored yet"
        )
    elif not check.anchored and not report.clean_end:
        lines.append(
            "  note: no anchors given (--anchors): records cut off the end of this log would not show"
        )
    return lines
