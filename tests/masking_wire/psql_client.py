"""The corpus through psql: one psql process runs every statement, its raw output is kept.

psql prints results to stdout and errors and notices to stderr, so each statement is
preceded by a marker written to both streams (`\\echo` and `\\warn`), and both are cut at
the markers afterwards. `VERBOSITY verbose` makes psql print the SQLSTATE of each error.
Statements that wait for an approval are approved and run again in a second psql process.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.masking_wire.outcome import Outcome, approve, pending_request
from tests.support.psql import run_psql as run_psql_process

_MARK = "@@masking-wire-case-{}@@"
_SPLIT = re.compile(rb"@@masking-wire-case-(\d+)@@\n")
_ERROR = re.compile(r"ERROR:  ([0-9A-Z]{5}): (.*)$", re.M)  # psql prefixes "psql:FILE:LINE: "
_ROWS = re.compile(rb"^\((\d+) rows?\)$", re.M)


def run_psql(
    gateway: Any, user: str, roles: tuple[str, ...], statements: Sequence[str], scratch: Path
) -> list[Outcome]:
    """Every statement's outcome, in order; approvals are given and waited-for ones re-run.

    Two statements with the same translation share one approval request, and an approval
    is used once, so the second waits again: hence rounds, each approving what is pending."""
    outcomes = _one_process(gateway, user, roles, statements, scratch)
    for _ in range(4):
        waiting = {
            i: r
            for i, o in enumerate(outcomes)
            if o.sqlstate == "42501" and (r := pending_request(o.message))
        }
        if not waiting:
            break
        for request in set(waiting.values()):
            approve(gateway.data_dir, request)
        again = _one_process(gateway, user, roles, [statements[i] for i in waiting], scratch)
        for i, second in zip(waiting, again, strict=True):
            second.received = outcomes[i].received + second.received
            second.approved = True
            outcomes[i] = second
    return outcomes


def _one_process(
    gateway: Any, user: str, roles: tuple[str, ...], statements: Sequence[str], scratch: Path
) -> list[Outcome]:
    script = ["\\set VERBOSITY verbose", "SET pgbridge.approval = 'ticket';"]
    for index, sql in enumerate(statements):
        script += [f"\\echo {_MARK.format(index)}", f"\\warn {_MARK.format(index)}", f"{sql};"]
    path = scratch / "masking-wire.sql"
    path.write_text("\n".join(script) + "\n", encoding="utf-8")
    done = run_psql_process(gateway, "-f", str(path), user=user, roles=roles, text=False, timeout=120)
    out, err = _segments(done.stdout), _segments(done.stderr)
    return [_outcome(out.get(i, b""), err.get(i, b"")) for i in range(len(statements))]


def _segments(stream: bytes) -> dict[int, bytes]:
    parts = _SPLIT.split(stream)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _outcome(stdout: bytes, stderr: bytes) -> Outcome:
    text = stderr.decode("utf-8", "replace")
    error = _ERROR.search(text)
    rows = sum(int(n) for n in _ROWS.findall(stdout))
    if error:
        return Outcome(stdout + stderr, error.group(1), error.group(2), rows)
    return Outcome(stdout + stderr, None, "", rows)
