"""Several gateways' logs as one evidence trail: verify per gateway (with anchors), export merged.

    pgbridge audit verify --anchors postgresql://reader@db/audit GW1/audit GW2/audit ...
    pgbridge audit export --since ISO GW1/audit GW2/audit ...
    pgbridge audit anchors-setup --url postgresql://owner@db/audit --writer pgbridge_anchor [--reader R]

Each directory is one gateway's log: its own chain, and one more per worker of `serve
--workers N` (worker-k inside it), each checked as a chain of its own. `--public-key` may be
given once (every gateway signs with the same key) or once per directory, in the same order.
Export merges the records of all logs by time (ties by gateway, then seq); each record names
its gateway in its data, and jsonl keeps every line byte for byte, so it still verifies against
its gateway's key.
"""

from __future__ import annotations

import argparse
import heapq
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from pgbridge.audit import records
from pgbridge.audit.anchor_check import GatewayCheck, check_logs, describe, unchecked_gateways
from pgbridge.audit.export import CSV_COLUMNS, csv_row, in_range
from pgbridge.audit.reader import Line


def add_options(verify_cmd: argparse.ArgumentParser, export_cmd: argparse.ArgumentParser) -> None:
    verify_cmd.add_argument(
        "--anchors",
        metavar="URL",
        help="the anchor store: postgresql:// (a role with SELECT on the anchors table) or "
        "gs://BUCKET/PREFIX; "
        "a log that ends before its gateway's latest anchor is reported as truncated",
    )
    export_cmd.add_argument("paths", nargs="*", type=Path, help="audit directories, one per gateway")


def register_setup(commands: argparse._SubParsersAction) -> None:
    setup = commands.add_parser("anchors-setup", help="create the append-only anchors table (as its owner)")
    setup.add_argument(
        "--url", required=True, help="postgresql:// URL of the table's owner (not the gateway's role)"
    )
    setup.add_argument(
        "--writer", required=True, help="the gateways' role: gets INSERT on the checkpoint columns only"
    )
    setup.add_argument("--reader", action="append", default=[], help="a role that may read anchors (verify)")
    setup.set_defaults(func=run_setup)


def run_setup(args: argparse.Namespace) -> int:
    from pgbridge.audit.anchor_pg import TABLE, setup

    try:
        setup(args.url, args.writer, tuple(args.reader))
    except Exception as exc:  # a driver error: say it, no traceback
        print(
            f"pgbridge audit anchors-setup: {str(exc).splitlines()[0] if str(exc) else exc}", file=sys.stderr
        )
        return 1
    print(f"{TABLE} is ready; {args.writer} may only INSERT checkpoints into it")
    return 0


def wants_many(args: argparse.Namespace) -> bool:
    """Anchors, or several directories (one per gateway); several files are one chain, as before."""
    paths = getattr(args, "paths", None) or []
    return bool(getattr(args, "anchors", None)) or (len(paths) > 1 and all(p.is_dir() for p in paths))


def keyed_logs(args: argparse.Namespace, directories: list[Path]) -> list[tuple[list[Path], Any]]:
    """(paths, public key) per gateway log: each directory is one; files together are one."""
    from pgbridge.audit.locate import public_key_for

    if not all(path.is_dir() for path in directories):
        return [(directories, public_key_for(args, directories[0]))]
    keys = list(args.public_key or [])
    if len(keys) not in (0, 1, len(directories)):
        raise SystemExit("pgbridge audit: give --public-key once, or once per directory in the same order")
    pairs: list[tuple[list[Path], Any]] = []
    for index, directory in enumerate(directories):
        one = argparse.Namespace(
            **{**vars(args), "public_key": keys[index] if len(keys) > 1 else (keys or [None])[0]}
        )
        key = public_key_for(one, directory)
        pairs.extend(([chain], key) for chain in worker_chains(directory))
    return pairs


def worker_chains(directory: Path) -> list[Path]:
    """A gateway's chains: its audit directory, and one per other worker of `serve --workers N`
    (each names its gateway `<gateway_id>/w<k>`, so anchors tell the chains apart)."""
    return [chain for chain in records.chains(directory) if chain == directory or records.log_files(chain)]


def run_verify_many(args: argparse.Namespace, directories: list[Path]) -> int:
    stored = None
    if args.anchors:
        from pgbridge.audit.anchoring import read_anchors

        try:
            stored = read_anchors(args.anchors)
        except Exception as exc:
            print(
                f"pgbridge audit verify: cannot read the anchors: {str(exc).splitlines()[0]}", file=sys.stderr
            )
            return 2
    checks = check_logs(keyed_logs(args, directories), stored)
    for check in checks:
        print("\n".join(describe(check)))
    if stored is not None:
        for gateway in unchecked_gateways(checks, stored):
            print(
                f"note: the anchor store also holds checkpoints of gateway {gateway}, whose log was not given"
            )
    print(_summary(checks))
    return 0 if all(check.ok for check in checks) else 1


def _summary(checks: list[GatewayCheck]) -> str:
    good = sum(check.ok for check in checks)
    total = sum(check.report.records for check in checks)
    return f"{good} of {len(checks)} gateway log(s) verify; {total} record(s) in all"


def run_export_many(args: argparse.Namespace, directories: list[Path], since: Any, until: Any) -> int:
    checks = check_logs(keyed_logs(args, directories), None)
    failed = [check for check in checks if not check.report.ok]
    for check in failed:
        print(f"WARNING: {describe(check)[0]}", file=sys.stderr)
    if failed and not args.unverified:
        print("refusing to export an unverified log (use --unverified to export anyway)", file=sys.stderr)
        return 1
    if args.output is None:
        count = _export(directories, since, until, args.format, sys.stdout)
    else:
        with open(args.output, "w", newline="", encoding="utf-8") as out:
            count = _export(directories, since, until, args.format, out)
    print(f"exported {count} record(s) from {len(directories)} gateway log(s)", file=sys.stderr)
    return 0


def merged(directories: list[Path], since: Any, until: Any) -> Iterator[tuple[Line, dict[str, Any]]]:
    """Every log's records in the period, merged by time (then gateway, then seq)."""

    def keyed(directory: Path) -> Iterator[tuple[str, str, int, Line, dict[str, Any]]]:
        for line, record in in_range(records.log_files(directory), since, until):
            data = record["data"] if isinstance(record["data"], dict) else {}
            yield record["ts"], str(data.get("gateway", directory)), record["seq"], line, record

    chains = [chain for directory in directories for chain in worker_chains(directory)]
    for _ts, _gateway, _seq, line, record in heapq.merge(*(keyed(chain) for chain in chains)):
        yield line, record


def _export(directories: list[Path], since: Any, until: Any, fmt: str, out: TextIO) -> int:
    import csv

    count = 0
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    for line, record in merged(directories, since, until):
        if writer is None:
            out.write(line.raw.decode("ascii"))
        else:
            writer.writerow(csv_row(line, record))
        count += 1
    return count
