"""The `pgbridge` command: serve, demo, token, approvals, audit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = ".pgbridge-demo"
DEMO_ISSUER, DEMO_AUDIENCE = "pgbridge-demo", "pgbridge"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgbridge",
        description="A PostgreSQL wire-protocol gateway to BigQuery: JWT auth, policy, approvals, masking "
        "and a tamper-evident audit log.",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (DEBUG, INFO, WARNING, ERROR)")
    parser.add_argument(
        "--log-format", choices=("json", "human"), default=_log_format_default(),
        help="stderr log lines: one JSON object each (default; or $PGBRIDGE_LOG_FORMAT) or human text",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_serve(commands)
    _add_demo(commands)
    _add_token(commands)
    _register_optional(commands, "pgbridge.policy.cli")
    _register_optional(commands, "pgbridge.audit.cli")
    _register_optional(commands, "pgbridge.ops.cli")
    return parser


def _log_format_default() -> str:
    chosen = os.environ.get("PGBRIDGE_LOG_FORMAT", "json")
    return chosen if chosen in ("json", "human") else "json"


Commands = argparse._SubParsersAction  # what add_subparsers returns
Handler = Callable[[argparse.Namespace], int]


def _command(
    commands: Commands, name: str, func: Handler, *, help: str, description: str
) -> argparse.ArgumentParser:
    """A subcommand that runs `func(args)`."""
    command: argparse.ArgumentParser = commands.add_parser(name, help=help, description=description)
    command.set_defaults(func=func)
    return command


def _data_dir_option(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--data-dir", type=Path, default=Path(DEFAULT_DATA_DIR), help=f"{what} (default {DEFAULT_DATA_DIR})"
    )


def _add_serve(commands: Commands) -> None:
    serve = _command(
        commands, "serve", _serve, help="run the gateway from a configuration file",
        description="Run the gateway from a TOML configuration file (see config.example.toml for every key).",
    )
    serve.add_argument("--config", required=True, type=Path, help="path of the TOML configuration file")
    serve.add_argument(
        "--workers",
        type=int,
        help="processes serving the port (default: [server] workers, 1; 0 = one per core, one over a "
        "writable DuckDB file)",
    )
    # Set by the supervisor for the processes it starts (pgbridge.server.multiworker).
    serve.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)


def _add_demo(commands: Commands) -> None:
    demo = _command(
        commands, "demo", _demo, help="run the gateway on the embedded demo warehouse",
        description="Create (first run) or reuse the demo's warehouse, keys, TLS certificate and "
        "config under --data-dir, then serve it and print how to connect.",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=5433, help="port to listen on (default 5433)")
    _data_dir_option(demo, "folder for the demo's files")
    demo.add_argument(
        "--admin-port", type=int, default=5434,
        help="port of the admin HTTP endpoint for approvals (default 5434; 0 = off)",
    )
    demo.add_argument("--setup-only", action="store_true", help="create the demo's files and exit")


def _add_token(commands: Commands) -> None:
    token = _command(
        commands, "token", _token, help="print a JWT signed with the demo's key",
        description="Print a JWT for the demo gateway, signed with the key under --data-dir. "
        "Use it as the password.",
    )
    token.add_argument("--sub", required=True, help="the subject: must equal the user name you connect as")
    token.add_argument("--role", action="append", default=[], help="a role claim (repeatable)")
    token.add_argument(
        "--claim", action="append", default=[], metavar="KEY=VALUE",
        help="an extra claim, e.g. country=DE (repeatable)",
    )
    token.add_argument("--ttl", type=int, default=3600, help="seconds until the token expires (default 3600)")
    _data_dir_option(token, "the demo's folder holding the signing key")


def _register_optional(commands: Commands, module_name: str) -> None:
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return
    module.register(commands, DEFAULT_DATA_DIR)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from pgbridge.ops.logs import configure

    configure(args.log_format, args.log_level)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a clean message, not a traceback, for expected failures
        import duckdb

        from pgbridge.config_base import ConfigError
        from pgbridge.wire.errors import PgError

        if isinstance(error, duckdb.IOException) and "lock" in str(error):
            print(
                "pgbridge: the warehouse file is in use by another process (is another pgbridge running on "
                "this data directory? stop it, or use --data-dir for a second demo)",
                file=sys.stderr,
            )
            return 2
        if isinstance(error, ConfigError | PgError | OSError):
            print(f"pgbridge: {error}", file=sys.stderr)
            return 2
        raise


def _serve(args: argparse.Namespace) -> int:
    from pgbridge.config import load_config
    from pgbridge.server import multiworker

    config = load_config(args.config)
    count = multiworker.resolve_workers(config, args.workers)
    if args.worker_index is not None:  # one of the supervisor's workers
        slot = multiworker.WorkerSlot(args.worker_index, count, args.run_dir)
        return _run_gateway(multiworker.worker_config(config, slot), worker=slot)
    if count > 1:
        return multiworker.supervise(args.config, count, args.log_level)
    return _run_gateway(config)


def _run_gateway(config: Any, banner: str | None = None, worker: Any = None) -> int:
    from pgbridge.server.listener import Listener

    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()

    async def run() -> None:
        from pgbridge.ops.signals import serve_until_stopped

        listener = await Listener.open(config, worker=worker)
        if banner:
            print(banner, flush=True)
        await serve_until_stopped(listener)  # SIGTERM drains, SIGHUP reloads

    asyncio.run(run())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from pgbridge.config import load_config
    from pgbridge.demo.setup import ensure_demo

    data_dir: Path = args.data_dir
    print(f"pgbridge demo: preparing {data_dir}/ (first run builds 1.1M rows, a few seconds)...", flush=True)
    config_path = ensure_demo(data_dir, args.host, args.port, args.admin_port)
    if args.setup_only:
        print(f"pgbridge demo: ready; config at {config_path}")
        return 0
    config = load_config(config_path)
    return _run_gateway(config, _demo_banner(data_dir, args.host, args.port, args.admin_port))


def _demo_banner(data_dir: Path, host: str, port: int, admin_port: int = 0) -> str:
    exe = _self_command()
    conninfo = (
        f"host={host} port={port} dbname=pgbridge user=alice sslmode=verify-full "
        f"sslrootcert={data_dir}/server.crt"
    )
    return f"""
pgbridge demo is listening on {host}:{port} (embedded DuckDB warehouse, dataset `shop`).

Connect with psql as an analyst (the password is a JWT):
  PGPASSWORD="$({exe} token --sub alice --role analyst --data-dir {data_dir})" psql "{conninfo}"

Then try:  \\dt shop.*     SELECT name, email, ssn FROM shop.customers LIMIT 5;
Other roles: --role admin (clear values, DML needs approval), --role support --claim country=DE (row filter),
             --role approver (decides approvals: {exe} approvals list --data-dir {data_dir}).
{_console_line(exe, data_dir, admin_port)}Audit log: {exe} audit verify --data-dir {data_dir}
Evidence:  {exe} audit report --since YYYY-MM-DD --out report.html --data-dir {data_dir}
Press Ctrl-C to stop.
"""


def _console_line(exe: str, data_dir: Path, admin_port: int) -> str:
    if not admin_port:
        return ""
    return (f"Approver console: http://127.0.0.1:{admin_port}/console/  (sign in with the token of "
            f"{exe} token --sub carol --role approver --data-dir {data_dir})\n")


def _self_command() -> str:
    import shutil

    found = shutil.which("pgbridge")
    candidate = Path(sys.executable).with_name("pgbridge")
    if found and Path(found).resolve() == candidate.resolve():
        return "pgbridge"
    if candidate.exists():
        with contextlib.suppress(ValueError):
            return str(candidate.relative_to(Path.cwd()))
        return str(candidate)
    return f"{sys.executable} -m pgbridge.cli"


def _token(args: argparse.Namespace) -> int:
    from pgbridge.auth.jwt import sign_token
    from pgbridge.demo.setup import TOKEN_KEY

    key_path = args.data_dir / TOKEN_KEY
    if not key_path.exists():
        print(
            f"pgbridge: no signing key at {key_path}; run `pgbridge demo` (or --setup-only) first",
            file=sys.stderr,
        )
        return 2
    extra: dict[str, Any] = {}
    for item in args.claim:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"pgbridge: --claim takes KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        extra[key] = value
    print(
        sign_token(
            key_path.read_bytes(),
            args.sub,
            args.role,
            args.ttl,
            issuer=DEMO_ISSUER,
            audience=DEMO_AUDIENCE,
            extra_claims=extra,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
