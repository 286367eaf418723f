"""`pgbridge audit report`: one self-contained HTML file of evidence for an auditor.

    pgbridge audit report --since ISO [--until ISO] [--out report.html] [LOG_DIR ...]

Each LOG_DIR is one gateway's audit directory (default DATA_DIR/audit). The report opens
offline: styles inline, charts inline SVG (report_charts), no script. It says first whether
each gateway's chain verifies, because nothing after that means anything if it does not;
a log that fails is still reported, under a warning, and the command exits 1. Then who
connected, statements by decision over time, denials, approvals, masking, the largest scans
and failed authentications (report_data), each figure naming the records it counts as
`gateway seq N` with the file and line they are on, so an auditor can sample them. The same
figures are embedded as JSON (id="figures") for tools that check them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from pgbridge.audit import records as record_files
from pgbridge.audit import report_charts as charts
from pgbridge.audit.export import parse_when
from pgbridge.audit.locate import audit_dir, fingerprint, public_key_for
from pgbridge.audit.reader import iter_records
from pgbridge.audit.report_data import Evidence, Record, Refs, collect, in_period, to_record
from pgbridge.audit.verify import VerifyReport, verify

_SHOWN_REFS = 8  # seq numbers written out per figure; the rest are counted


@dataclass(frozen=True)
class GatewayLog:
    name: str
    directory: Path
    check: VerifyReport
    fingerprint: str
    files: list[tuple[str, int]]  # (file name, first seq)

    def locate(self, seq: int) -> str:
        """file:line of a record; every line of a log file is one record, in seq order."""
        found = [(name, first) for name, first in self.files if first <= seq]
        if not found:
            return f"seq {seq}"
        name, first = found[-1]
        return f"{name}:{seq - first + 1}"


def run_report(args: argparse.Namespace) -> int:
    try:
        since = parse_when(args.since, "--since")
        until = parse_when(args.until, "--until") if args.until else dt.datetime.now(dt.UTC)
    except ValueError as exc:
        print(f"pgbridge audit report: {exc}", file=sys.stderr)
        return 2
    directories = list(args.paths) or [audit_dir(args)]
    problem = next((f"no audit directory at {d}" for d in directories if not d.is_dir()), None)
    if until <= since:
        problem = "--until must be later than --since"
    if problem:
        print(f"pgbridge audit report: {problem}", file=sys.stderr)
        return 2
    logs: list[GatewayLog] = []
    raw: list[Record] = []
    for directory in directories:
        key = public_key_for(args, directory)
        files = record_files.log_files(directory)
        firsts = [(p.name, (record_files.parse_log_name(p.name) or (1, None))[0]) for p in files]
        logs.append(GatewayLog(str(directory), directory, verify([directory], key), fingerprint(key), firsts))
        raw.extend(to_record(str(directory), r) for _line, r in iter_records(files))
    evidence = collect(in_period(raw, since, until), since, until)
    args.out.write_text(render(logs, evidence), encoding="utf-8")
    verified = all(log.check.ok for log in logs)
    print(
        f"wrote {args.out}: {evidence.records} record(s) from {len(logs)} gateway log(s)"
        + ("" if verified else "; WARNING: a log does not verify, see the report's first section"),
        file=sys.stderr,
    )
    return 0 if verified else 1


def render(logs: list[GatewayLog], evidence: Evidence) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("pgbridge.audit", "templates"), autoescape=True)
    by_name = {log.name: log for log in logs}

    def refs(found: Refs) -> dict[str, Any]:
        shown = [(g, s, by_name[g].locate(s) if g in by_name else "") for g, s in found.items[:_SHOWN_REFS]]
        return {"shown": shown, "more": max(0, len(found) - _SHOWN_REFS), "gateways": len(logs)}

    env.globals["refs"] = refs
    template = env.get_template("report.html.j2")
    return template.render(
        logs=logs,
        e=evidence,
        charts=_charts(evidence),
        figures=json.dumps(figures(evidence), indent=1),
        generated=dt.datetime.now(dt.UTC),
        verified=all(log.check.ok for log in logs),
    )


def _charts(evidence: Evidence) -> dict[str, str]:
    drawn = {}
    if evidence.timeline:
        drawn["timeline"] = charts.statements_over_time(evidence.timeline, "Statements over time by decision")
    if evidence.denials:
        rules = sorted(evidence.denials.values(), key=lambda t: -t.count)
        drawn["denials"] = charts.horizontal_bars(
            [t.key[0] for t in rules],
            [t.count for t in rules],
            "Denials by rule",
            "",
            colour=charts.DECISION_COLOURS["deny"],
        )
    if evidence.masking:
        masks = sorted(evidence.masking.values(), key=lambda t: -t.extra["rows"])
        drawn["masking"] = charts.horizontal_bars(
            [f"{t.key[0]} · {t.key[1]}" for t in masks],
            [t.extra["rows"] for t in masks],
            "Rows delivered masked",
            "rows",
        )
    return drawn


def figures(evidence: Evidence) -> dict[str, Any]:
    """The report's numbers as data, each with the seqs it counts."""

    def seqs(found: Refs) -> list[list[object]]:
        return [[gateway, seq] for gateway, seq in found.items]

    return {
        "period": [evidence.since.isoformat(), evidence.until.isoformat()],
        "records": evidence.records,
        "principals": [
            {"subject": k[0], "roles": k[1], "issuer": k[2], "sessions": t.count, "refs": seqs(t.refs)}
            for k, t in sorted(evidence.principals.items())
        ],
        "decisions": {
            k[0]: {"count": t.count, "refs": seqs(t.refs)} for k, t in sorted(evidence.decisions.items())
        },
        "denials": {
            k[0]: {"count": t.count, "refs": seqs(t.refs)} for k, t in sorted(evidence.denials.items())
        },
        "approvals": [
            {
                "id": a.approval_id,
                "requester": a.requester,
                "approver": a.approver,
                "decision": a.decision,
                "reason": a.reason,
                "seconds_to_decision": a.seconds_to_decision,
                "ran": a.ran,
                "refs": seqs(a.refs),
            }
            for a in sorted(evidence.approvals.values(), key=_requested)
        ],
        "masking": [
            {
                "rule": k[0],
                "principal": k[1],
                "statements": t.count,
                "rows": t.extra["rows"],
                "columns": sorted(t.extra["columns"]),
                "refs": seqs(t.refs),
            }
            for k, t in sorted(evidence.masking.items())
        ],
        "largest_scans": [
            {
                "principal": t.key[0],
                "bytes": t.extra["bytes"],
                "estimated": t.extra["estimated"],
                "refs": seqs(t.refs),
            }
            for t in evidence.scans
        ],
        "failed_authentications": [
            {"reason": k[0], "subject": k[1], "via": k[2], "count": t.count, "refs": seqs(t.refs)}
            for k, t in sorted(evidence.failed_auth.items())
        ],
    }


def _requested(row: Any) -> str:
    return row.requested_at.isoformat() if row.requested_at else ""
