"""`pgbridge audit verify | replay | tail | export | report`: the operator's and the auditor's commands.

`register` adds them to the `pgbridge` command; `main` runs them alone (`python -m
pgbridge.audit.cli`). Every command reads DATA_DIR/audit unless told otherwise, and finds the
public key beside the log (audit.pub) unless one is given; verify prints the key's fingerprint
so it can be compared with a copy kept elsewhere. Replay and export verify first: export refuses
an unverified log unless --unverified is given, replay warns and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import multi, records
from pgbridge.audit.export import export, parse_when
from pgbridge.audit.locate import audit_dir, fingerprint, public_key_for
from pgbridge.audit.reader import iter_records
from pgbridge.audit.replay import describe, replay, session_records
from pgbridge.audit.verify import VerifyReport, verify

DEFAULT_DATA_DIR = ".pgbridge-demo"
FOLLOW_POLL_SECONDS = 0.2


def register(subparsers: argparse._SubParsersAction, default_data_dir: str) -> None:
    audit = subparsers.add_parser("audit", help="verify, replay, tail and export the audit log")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    verify_cmd = commands.add_parser("verify", help="check order, hashes and signatures")
    verify_cmd.add_argument("paths", nargs="*", type=Path, help="log files or directories")
    _common(verify_cmd, default_data_dir)
    verify_cmd.set_defaults(func=run_verify)
    replay_cmd = commands.add_parser("replay", help="show a session's statements and results")
    replay_cmd.add_argument("--session", required=True, help="session id")
    _common(replay_cmd, default_data_dir)
    replay_cmd.set_defaults(func=run_replay)
    tail_cmd = commands.add_parser("tail", help="show the newest records")
    tail_cmd.add_argument("-n", type=int, default=20, help="how many records (default 20)")
    tail_cmd.add_argument("--follow", action="store_true", help="keep printing new records")
    tail_cmd.add_argument("--json", action="store_true", help="print the raw signed lines")
    _common(tail_cmd, default_data_dir)
    tail_cmd.set_defaults(func=run_tail)
    export_cmd = _register_export(commands, default_data_dir)
    _register_report(commands, default_data_dir)
    multi.add_options(verify_cmd, export_cmd)  # several gateways, anchors (pgbridge.audit.multi)
    multi.register_setup(commands)


def _register_export(commands: argparse._SubParsersAction, default_data_dir: str) -> argparse.ArgumentParser:
    export_cmd = commands.add_parser("export", help="records of a time range, as evidence")
    export_cmd.add_argument("--since", required=True, help="ISO 8601 start (inclusive, UTC if no zone)")
    export_cmd.add_argument("--until", help="ISO 8601 end (exclusive)")
    export_cmd.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export_cmd.add_argument("--output", type=Path, help="file to write (default: standard output)")
    export_cmd.add_argument("--unverified", action="store_true", help="export even if verify fails")
    _common(export_cmd, default_data_dir)
    export_cmd.set_defaults(func=run_export)
    return export_cmd


def _register_report(commands: argparse._SubParsersAction, default_data_dir: str) -> None:
    report = commands.add_parser("report", help="an HTML evidence report of a period, for auditors")
    report.add_argument("paths", nargs="*", type=Path, help="audit directories, one per gateway")
    report.add_argument("--since", required=True, help="ISO 8601 start (inclusive, UTC if no zone)")
    report.add_argument("--until", help="ISO 8601 end (exclusive; default now)")
    report.add_argument("--out", type=Path, default=Path("report.html"), help="file to write")
    _common(report, default_data_dir)
    report.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from pgbridge.audit.report import run_report as report  # matplotlib loads only for a report

    return report(args)


def _common(parser: argparse.ArgumentParser, default_data_dir: str) -> None:
    parser.add_argument("--data-dir", default=default_data_dir, help="the gateway's data directory")
    parser.add_argument("--audit-dir", type=Path, help="the audit directory (default DATA_DIR/audit)")
    parser.add_argument(
        "--public-key",
        type=Path,
        action="append",
        help="Ed25519 public key PEM to trust (default: DATA_DIR/audit-signing-key.pub, the gateway's key "
        "kept outside the audit folder); several gateways: once, or once per directory",
    )


def run_verify(args: argparse.Namespace) -> int:
    paths = list(args.paths) or [audit_dir(args)]
    if multi.wants_many(args):
        return multi.run_verify_many(args, paths)
    key = public_key_for(args, paths[0])
    groups = _chain_groups(paths)
    if len(groups) == 1:
        report = verify(groups[0], key)
        print(format_report(report, key))
        return 0 if report.ok else 1
    # Several workers, one chain each (pgbridge.server.multiworker): each must verify on its own.
    failed = 0
    for group in groups:
        report = verify(group, key)
        failed += not report.ok
        print(f"chain {group[0] if len(group) == 1 else ', '.join(map(str, group))}:")
        print("  " + format_report(report, key).replace("\n", "\n  "))
    print(f"{len(groups) - failed} of {len(groups)} chains verify")
    return 0 if not failed else 1


def _chain_groups(paths: list[Path]) -> list[list[Path]]:
    """What to verify as one chain each: a directory's own files and each worker's directory
    holding a log; files named one by one form one chain together, as before."""
    files = [path for path in paths if not path.is_dir()]
    groups = [
        [chain]
        for path in paths
        if path.is_dir()
        for chain in records.chains(path)
        if chain == path or records.log_files(chain)
    ]
    return groups + ([files] if files else [])


def format_report(report: VerifyReport, key: Ed25519PublicKey) -> str:
    if not report.ok:
        return (
            f"FAILED at {report.location}: {report.first_problem}\n"
            f"{report.records} record(s) verified before it; public key {fingerprint(key)}"
        )
    text = (
        f"OK: {report.records} records in {report.files} file(s) verify; last seq {report.last_seq}, "
        f"hash {report.last_hash}; public key {fingerprint(key)}"
    )
    if not report.clean_end:
        text += (
            "\nnote: the log does not end with a clean shutdown (the gateway is running or crashed, "
            "or the newest records were cut off): compare the last seq and hash with an anchor kept elsewhere"
        )
    if report.unfinished:
        shown = ", ".join(report.unfinished[:5]) + (", ..." if len(report.unfinished) > 5 else "")
        text += (
            f"\nnote: {len(report.unfinished)} statement(s) unfinished: a write-ahead record and no "
            "completion record (still running, or the gateway stopped before their completion was "
            f"durable: they ran, how they ended is not recorded): {shown}"
        )
    return text


def _verified(args: argparse.Namespace, directory: Path) -> VerifyReport:
    report = verify([directory], public_key_for(args, directory))
    if not report.ok:
        problem = f"{report.location}: {report.first_problem}"
        print(f"WARNING: the audit log does not verify: {problem}", file=sys.stderr)
    return report


def run_replay(args: argparse.Namespace) -> int:
    # A session's records are in the chain of the worker that served it.
    directories = records.chains(audit_dir(args))
    holding = [d for d in directories if session_records(records.log_files(d), args.session)]
    chain = holding[0] if holding else directories[0]
    report = _verified(args, chain)
    status = replay(chain, args.session, sys.stdout)
    return status if report.ok else 1


def run_export(args: argparse.Namespace) -> int:
    directory = audit_dir(args)
    try:
        since, until = parse_when(args.since, "--since"), args.until and parse_when(args.until, "--until")
    except ValueError as exc:
        print(f"pgbridge audit export: {exc}", file=sys.stderr)
        return 2
    if args.paths:  # several gateways (each with its workers' chains)
        return multi.run_export_many(args, list(args.paths), since, until or None)
    directories = records.chains(directory)
    if not all([_verified(args, chain).ok for chain in directories]) and not args.unverified:
        print("refusing to export an unverified log (use --unverified to export anyway)", file=sys.stderr)
        return 1
    files = [path for chain in directories for path in records.log_files(chain)]  # chain after chain
    if args.output is None:
        count = export(files, since, until or None, args.format, sys.stdout)
    else:
        with open(args.output, "w", newline="", encoding="utf-8") as out:
            count = export(files, since, until or None, args.format, out)
    print(f"exported {count} record(s)", file=sys.stderr)
    return 0


def run_tail(args: argparse.Namespace) -> int:
    directory = audit_dir(args)
    if not directory.is_dir():
        print(f"pgbridge audit tail: no audit directory at {directory}", file=sys.stderr)
        return 1
    for raw in _last_lines(directory, args.n):
        _show(raw, args.json)
    if args.follow:
        try:
            for raw in follow(directory):
                _show(raw, args.json)
        except KeyboardInterrupt:
            pass
    return 0


def _last_lines(directory: Path, count: int) -> list[bytes]:
    """The newest `count` records, reading only as many files (newest first) as it takes."""
    newest: list[bytes] = []
    for path in reversed(records.log_files(directory)):
        if len(newest) >= count:
            break
        newest = [line.raw for line, _record in iter_records([path])] + newest
    return newest[-count:] if count > 0 else []


def _show(raw: bytes, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(raw.decode("ascii"))
    else:
        print(describe(json.loads(raw)).replace("\n", " "))
    sys.stdout.flush()


def follow(directory: Path) -> Iterator[bytes]:
    """New complete lines as they are written, across rotations; runs until interrupted."""
    files = records.log_files(directory)
    path = files[-1] if files else None
    offset = path.stat().st_size if path else 0
    while True:
        if path is not None:
            offset, fresh = _read_new(path, offset)
            yield from fresh
        newer = [candidate for candidate in records.log_files(directory) if path is None or candidate > path]
        if newer:
            if path is not None:  # drain what the old file got before the switch
                offset, fresh = _read_new(path, offset)
                yield from fresh
            path, offset = newer[0], 0
            continue
        time.sleep(FOLLOW_POLL_SECONDS)


def _read_new(path: Path, offset: int) -> tuple[int, list[bytes]]:
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n") + 1  # a partly written line waits for its newline
    return offset + end, data[:end].splitlines(keepends=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pgbridge")
    register(parser.add_subparsers(dest="command", required=True), DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
