"""Where an audit command finds its logs and the key it trusts; shared by the verify, export
and report commands (cli.py and report.py), so neither imports the other."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import records
from pgbridge.audit.settings import load_public_key, public_pem


def audit_dir(args: argparse.Namespace) -> Path:
    return args.audit_dir or Path(args.data_dir) / "audit"


def public_key_for(args: argparse.Namespace, first: Path) -> Ed25519PublicKey:
    """The key to trust. Never silently the copy stored with the log: whoever can rewrite the
    log could re-sign it with a key of their own and replace that copy too."""
    given = args.public_key  # one path, or a list when several gateways' logs are verified
    path = given[0] if isinstance(given, list) and given else (given or None)
    if path is None:
        beside_keys = Path(args.data_dir) / "audit-signing-key.pub"
        path = beside_keys if beside_keys.exists() else None
    if path is None:
        path = (first if first.is_dir() else first.parent) / records.PUBLIC_KEY_NAME
        print(
            f"WARNING: verifying with {path}, the public key stored beside the log itself; anyone able to "
            "rewrite the log could have replaced it too. Pass --public-key with a copy kept elsewhere, or "
            "compare the fingerprint printed below with one recorded when the gateway was set up.",
            file=sys.stderr,
        )
    try:
        return load_public_key(path)
    except (OSError, ValueError) as exc:
        print(f"pgbridge audit: cannot read the public key {path}: {exc}; give --public-key", file=sys.stderr)
        raise SystemExit(2) from None


def fingerprint(key: Ed25519PublicKey) -> str:
    return "sha256:" + hashlib.sha256(public_pem(key)).hexdigest()[:32]
