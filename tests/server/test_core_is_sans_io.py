"""The protocol core does no I/O: neither it nor any pgbridge module it loads imports asyncio,
socket or ssl, so it can be read, and tested, without an event loop."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pgbridge
import pgbridge.server.protocol as protocol

FORBIDDEN = {"asyncio", "socket", "ssl"}
CORE = Path(protocol.__file__).parent
ROOT = Path(pgbridge.__file__).parent.parent


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _loaded_by_the_core() -> dict[str, list[str]]:
    """What importing the core loads, in a fresh interpreter: pgbridge's files, and which of
    the forbidden modules are loaded at all."""
    probe = (
        "import json, sys; import pgbridge.server.protocol.core; "
        "print(json.dumps({'files': sorted(m.__file__ for n, m in sys.modules.items() "
        "if n.split('.')[0] == 'pgbridge' and getattr(m, '__file__', None)), "
        f"'forbidden': sorted(m for m in {sorted(FORBIDDEN)!r} if m in sys.modules)}}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded: dict[str, list[str]] = json.loads(done.stdout)
    return loaded


def test_no_module_of_the_core_imports_io():
    modules = sorted(CORE.glob("*.py"))
    assert {p.name for p in modules} >= {"core.py", "states.py", "stores.py"}
    for path in modules:
        assert not _imported(path) & FORBIDDEN, path.name


def test_nothing_of_pgbridge_the_core_loads_imports_io():
    loaded = _loaded_by_the_core()
    files = [Path(f) for f in loaded["files"]]
    assert CORE / "core.py" in files and len(files) > 5
    for path in files:
        assert not _imported(path) & FORBIDDEN, path.relative_to(ROOT)
    # No event loop and no TLS anywhere; pyarrow, which the outcomes' row streams carry,
    # loads socket for its own helpers, so that one is checked in pgbridge's files only.
    assert set(loaded["forbidden"]) <= {"socket"}
