"""What no log may contain: a token (any JWT-shaped string, and every token minted for a test
gateway), private key material (PEM blocks, and the bodies of every key file the run made),
the masking hash key in any usual encoding, and the demo's clear masked values."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from pathlib import Path

from tests.masking_wire.clear_values import ClearValues

JWT_SHAPE = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,}")
PEM_PRIVATE = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----")
PRIVATE_FILES = ("token-signing.key", "server.key", "audit-signing-key.pem")
RAW_KEYS = ("masking-hash.key",)


def key_material(roots: Iterable[Path]) -> set[bytes]:
    """Strings that only a leaked key would put in a log, from every key file under `roots`."""
    found: set[bytes] = set()
    for root in roots:
        for name in PRIVATE_FILES:
            for path in root.rglob(name):
                lines = path.read_bytes().splitlines()
                body = b"".join(line for line in lines if not line.startswith(b"-----"))
                found.add(body[:40])
                found.add(body[-40:])
        for name in RAW_KEYS:
            for path in root.rglob(name):
                raw = path.read_bytes()
                found.update({raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)})
    return {item for item in found if len(item) >= 16}


def findings(data: bytes, tokens: Iterable[str], keys: set[bytes], clear: ClearValues) -> list[str]:
    """Why `data` must not be a log; [] when it may."""
    found = [f"jwt:{m.group(0)[:20]!r}..." for m in JWT_SHAPE.finditer(data)]
    found += [f"token signature of {t[:12]}..." for t in tokens if t.rsplit(".", 1)[-1].encode() in data]
    if PEM_PRIVATE.search(data):
        found.append("a PEM private key block")
    found += [f"key material {k[:8]!r}..." for k in keys if k in data]
    found += clear.leaks(data)
    return found
