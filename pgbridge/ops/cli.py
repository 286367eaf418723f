"""`pgbridge check-config FILE`: validate a configuration without starting anything.

It reads the file as `serve` would (every key, type and range), then opens what the file
names without serving: the token key (or the JWKS address's syntax), the TLS certificate
and key, the masking hash key, the audit signing key. It does not connect to the backend or
touch the audit log, so it can run beside a live gateway before a SIGHUP.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any, default_data_dir: str) -> None:
    command = commands.add_parser(
        "check-config", help="validate a configuration file without starting anything",
        description="Validate a configuration file: every key, and the keys and certificates it names. "
        "Exit 0 when `serve` or a SIGHUP reload would accept it, 2 with the reason otherwise.",
    )
    command.add_argument("file", type=Path, help="path of the TOML configuration file")
    command.set_defaults(func=check_config)


def check_config(args: argparse.Namespace) -> int:
    from pgbridge.audit.settings import load_signing_key
    from pgbridge.auth.jwt import VerifierKeys
    from pgbridge.config import load_config
    from pgbridge.server.gateway import make_tls_context

    config = load_config(args.file)  # ConfigError, OSError: main() prints it and exits 2
    try:
        VerifierKeys.load(config.auth)
        make_tls_context(config)
        if config.audit.enabled:
            load_signing_key(config.audit.signing_key_file)
    except ValueError as error:  # a file that is there but does not hold a key
        print(f"pgbridge: {args.file}: {error}", file=sys.stderr)
        return 2
    roles = ", ".join(sorted(config.policy.roles)) or "none"
    print(f"OK: {args.file} (backend {config.backend.kind}; roles: {roles}; "
          f"{len(config.masking.rules)} masking rules)")
    return 0
