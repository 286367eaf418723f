"""The code stays ruff- and mypy-clean: the standard holds in CI, not only on someone's laptop."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# mypy's --strict, flag by flag: pyproject.toml sets them for the server and the policy.
STRICT_FLAGS = (
    "disallow_any_generics",
    "disallow_subclassing_any",
    "disallow_untyped_calls",
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "disallow_untyped_decorators",
    "warn_return_any",
    "no_implicit_reexport",
    "strict_equality",
    "extra_checks",
)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_is_clean() -> None:
    done = _run("ruff", "check", "pgbridge", "tests", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    done = _run("mypy", "pgbridge")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_strict_on_the_server_and_the_policy() -> None:
    """The security path (session, pipeline stages, policy) is checked with every strict flag."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    overrides = config["tool"]["mypy"]["overrides"]
    for package in ("pgbridge.server.*", "pgbridge.policy.*"):
        covering = [o for o in overrides if package in o["module"]]
        flags = {flag for o in covering for flag in STRICT_FLAGS if o.get(flag) is True}
        assert flags == set(STRICT_FLAGS), f"{package} misses {sorted(set(STRICT_FLAGS) - flags)}"
