"""The container image. Docker is not available here, so the image's install steps live in
scripts/install-image.sh: these tests check that the Dockerfile is the image the issue asks
for and runs exactly that script, then run the script's two steps as the Dockerfile does (into
a temporary prefix) and serve the demo from what it installed, health check included."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ops.support import ops_config
from tests.support.gateway import wait_for_port
from tests.support.postgres import free_port

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
SCRIPT = "install-image.sh"


def _stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), one list per stage."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def _script_runs(stage: list[str]) -> list[list[str]]:
    """The install-script commands a stage RUNs, as argument lists."""
    return [line.split()[1:] for line in stage if line.startswith("RUN ") and SCRIPT in line]


def _healthcheck() -> list[str]:
    (line,) = [line for line in _stages()[-1] if line.startswith("HEALTHCHECK")]
    return list(json.loads(line.split(" CMD ", 1)[1]))


def test_the_dockerfile_is_two_slim_stages_running_the_install_script() -> None:
    build, final = _stages()
    assert build[0] == "FROM python:3.11-slim AS build" and final[0] == "FROM python:3.11-slim"
    assert _script_runs(build) == [["scripts/install-image.sh", "build", "/src", "/opt/pgbridge"]]
    assert [run[1:] for run in _script_runs(final)] == [["runtime", "/opt/pgbridge"]]
    assert all(SCRIPT in line for line in final if line.startswith("RUN "))  # nothing else installed
    assert not any(re.search(r"apt-get|gcc|build-essential|pip ", line) for line in final)
    assert "COPY --from=build /opt/pgbridge /opt/pgbridge" in final
    user = [line for line in final if line.startswith("USER ")]
    assert user == ["USER pgbridge"] and final.index(user[0]) > final.index(next(
        line for line in final if line.startswith("RUN ")))
    volumes = json.loads(next(line for line in final if line.startswith("VOLUME ")).split(" ", 1)[1])
    assert volumes == ["/etc/pgbridge", "/var/lib/pgbridge"]
    assert "/healthz" in next(line for line in final if "PGBRIDGE_HEALTH_URL=" in line)
    assert _healthcheck()[0] == "/opt/pgbridge/venv/bin/python"
    assert (ROOT / "scripts" / SCRIPT).stat().st_mode & 0o111  # executable as the RUN lines call it


@pytest.mark.slow
def test_the_install_script_builds_a_gateway_that_serves(
    demo_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    prefix, root = tmp_path / "opt-pgbridge", tmp_path / "root"
    src = tmp_path / "src"  # what the build stage COPYs: pyproject.toml, README.md, pgbridge/, the script
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "pgbridge", src / "pgbridge", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{Path(sys.base_prefix) / 'bin'}:{env['PATH']}"  # a plain python3, not this venv's
    (build,) = _script_runs(_stages()[0])
    (runtime,) = _script_runs(_stages()[1])
    script = str(ROOT / "scripts" / SCRIPT)
    for argv in ([script, "build", str(src), str(prefix)], [script, "runtime", str(prefix)]):
        assert argv[1:2] == (build if argv[1] == "build" else runtime)[1:2]
        done = subprocess.run(argv, env={**env, "PGBRIDGE_IMAGE_ROOT": str(root)}, capture_output=True,
                              text=True, timeout=1500)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (root / "etc/pgbridge").is_dir() and (root / "var/lib/pgbridge").stat().st_mode & 0o777 == 0o700

    data_dir = demo_copy("ops-image")
    port, admin_port = free_port(), free_port()
    config = data_dir / "pgbridge.toml"
    config.write_text(ops_config(admin_port).replace("{port}", str(port)))
    log_path = tmp_path / "gateway.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(prefix / "venv/bin/pgbridge"), "serve", "--config", str(config)],
                                   stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        wait_for_port("127.0.0.1", admin_port, process, log_path, timeout=90)
        check = [arg.replace("/opt/pgbridge", str(prefix)) for arg in _healthcheck()]
        health = subprocess.run(check, timeout=30, env={
            **env, "PGBRIDGE_HEALTH_URL": f"http://127.0.0.1:{admin_port}/healthz"})
        assert health.returncode == 0
        # the installed code, not this checkout's, is what runs
        assert str(src) not in log_path.read_text() and (prefix / "venv/bin/pgbridge").exists()
        process.terminate()
        assert process.wait(60) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
