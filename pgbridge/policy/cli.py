"""`pgbridge approvals list | show | approve | deny` over the approvals store file.

Works on the same SQLite file the gateway uses (DATA_DIR/approvals.sqlite, or --store), or on
the PostgreSQL store several gateways share (--url, the `[policy.store] url`), so an approver
can decide without the HTTP endpoint. The approver names
themselves with --by; the store refuses a decision by the requester itself.
Exit status: 0 done, 1 refused (not found, not pending, four eyes), 2 bad usage (argparse).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pgbridge.policy.approvals import (
    STATUSES,
    ApprovalError,
    ApprovalRequest,
    ApprovalStore,
    SqliteApprovalStore,
)
from pgbridge.wire.errors import PgError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], default_data_dir: Path) -> None:
    """Add the `approvals` command to a parent parser's subparsers."""
    # --data-dir / --store are accepted before or after the action; after it they win.
    parser = subparsers.add_parser("approvals", help="list and decide approval requests",
                                   description="List, show, approve and deny approval requests in the "
                                   "store the gateway uses.", parents=[_where(Path(default_data_dir), None)])
    where = _where(argparse.SUPPRESS, argparse.SUPPRESS)
    actions = parser.add_subparsers(dest="approvals_action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list requests", parents=[where])
    listing.add_argument("--status", choices=STATUSES, default=None)
    listing.set_defaults(func=_list)
    show = actions.add_parser("show", help="show one request with its SQL", parents=[where])
    show.add_argument("id")
    show.set_defaults(func=_show)
    for name, approve in (("approve", True), ("deny", False)):
        decide = actions.add_parser(name, help=f"{name} a pending request", parents=[where])
        decide.add_argument("id")
        decide.add_argument("--by", required=True, help="your name, recorded as the approver")
        decide.add_argument("--reason", default=None)
        decide.set_defaults(func=_decide, approve=approve)


def _where(data_dir: Path | str, store: Path | str | None) -> argparse.ArgumentParser:
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--data-dir", type=Path, default=data_dir,
                       help="the gateway's data folder holding approvals.sqlite")
    where.add_argument("--store", type=Path, default=store,
                       help="the approvals database file (default: DATA_DIR/approvals.sqlite)")
    where.add_argument("--url", default=store,
                       help="the PostgreSQL store several gateways share ([policy.store] url)")
    return where


def main(argv: Sequence[str] | None = None, default_data_dir: Path = Path(".")) -> int:
    parser = argparse.ArgumentParser(prog="pgbridge")
    register(parser.add_subparsers(dest="command", required=True), default_data_dir)
    args = parser.parse_args(argv)
    return int(args.func(args))


def _store(args: argparse.Namespace) -> ApprovalStore:
    if getattr(args, "url", None):
        from pgbridge.policy.approvals_pg import PostgresApprovalStore

        try:
            return PostgresApprovalStore(args.url, max_size=1).open()
        except PgError as exc:
            raise SystemExit(f"error: {exc.message}") from None
    return SqliteApprovalStore(args.store or args.data_dir / "approvals.sqlite")


def _list(args: argparse.Namespace) -> int:
    requests = _store(args).list(args.status)
    if not requests:
        print("no approval requests" + (f" with status {args.status}" if args.status else ""))
    for request in requests:
        sql = " ".join(request.sql.split())
        sql = sql if len(sql) <= 60 else sql[:57] + "..."
        print(f"{request.id}  {request.status:<8}  {_when(request.created_at)}  {request.requester}  {sql}")
    return 0


def _show(args: argparse.Namespace) -> int:
    request = _store(args).get(args.id)
    if request is None:
        print(f"error: no approval request {args.id!r}", file=sys.stderr)
        return 1
    _print_request(request)
    return 0


def _decide(args: argparse.Namespace) -> int:
    try:
        request = _store(args).decide(args.id, args.by, args.approve, args.reason)
    except ApprovalError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"{request.id} {request.status} by {request.approver}")
    return 0


def _print_request(request: ApprovalRequest) -> None:
    fields = [
        ("id", request.id), ("status", request.status), ("requester", request.requester),
        ("rule", request.rule), ("why", request.message), ("created", _when(request.created_at)),
        ("expires", _when(request.expires_at)), ("approver", request.approver),
        ("reason", request.reason), ("params", request.params_digest),
    ]
    for name, value in fields:
        if value:
            print(f"{name + ':':<11}{value}")
    print("sql:")
    print(request.sql)


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


if __name__ == "__main__":
    sys.exit(main())
