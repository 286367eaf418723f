"""Two real gateways with the demo configuration, one per backend, and `any_gateway` over both.

- duckdb: `pgbridge serve` over a copy of a demo folder (the demo's own config).
- bigquery: `pgbridge serve` over another copy, its [backend] swapped for the bigquery backend
  on the bqemulator (real google-cloud-bigquery client, anonymous credentials), which holds
  the same `shop` rows, loaded from that copy's warehouse (tests/e2e/demo_seed.py).

Both copies come from one demo folder built here, so they share the token key, the masking
hash key and the rows: the same query must give the same answer on both. The demo folder is
built here rather than copied from the session `demo_dir`, whose DuckDB file another gateway
holds open. If the emulator cannot be installed or started the fixture fails with the reason.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgbridge.demo.setup import ensure_demo
from tests.e2e.boundary import HELD_SCHEMA, Boundary, as_real_bigquery, held
from tests.e2e.configs import bigquery_config_text
from tests.e2e.demo_seed import seed_demo
from tests.e2e.hold_proxy import hold_proxy
from tests.support.bqemulator import Emulator, running_emulator
from tests.support.gateway import RunningGateway, running_gateway

BACKENDS = ("duckdb", "bigquery")


@pytest.fixture(scope="session")
def e2e_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("e2e") / "demo"
    ensure_demo(path, "127.0.0.1", 5433)
    return path


def copy_demo(source: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A private copy of the demo folder (DuckDB locks its file; audit logs stay apart)."""
    target = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(
        source, target, ignore=shutil.ignore_patterns("audit", "gateway-*.log", "approvals.sqlite*")
    )
    return target


@pytest.fixture(scope="session")
def duckdb_gateway(e2e_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    with running_gateway(copy_demo(e2e_demo, tmp_path_factory, "e2e-duckdb")) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def bigquery_data_dir(e2e_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_demo(e2e_demo, tmp_path_factory, "e2e-bigquery")


@pytest.fixture(scope="session")
def e2e_emulator(bigquery_data_dir: Path) -> Iterator[Emulator]:
    with running_emulator(
        lambda client: seed_demo(client, bigquery_data_dir / "warehouse.duckdb")
    ) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def bigquery_gateway(bigquery_data_dir: Path, e2e_emulator: Emulator) -> Iterator[RunningGateway]:
    text = bigquery_config_text(e2e_emulator.project, e2e_emulator.rest_url, e2e_emulator.grpc_url)
    with running_gateway(bigquery_data_dir, text) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def boundary(
    e2e_demo: Path, e2e_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Boundary]:
    """A third gateway, bigquery backend, whose REST endpoint is the proxy (tests/e2e/boundary.py)."""
    data_dir = copy_demo(e2e_demo, tmp_path_factory, "e2e-boundary")
    with hold_proxy(e2e_emulator.rest_url, held, HELD_SCHEMA, as_real_bigquery) as proxy:
        text = bigquery_config_text(e2e_emulator.project, proxy.url, e2e_emulator.grpc_url)
        with running_gateway(data_dir, text) as gateway:
            yield Boundary(gateway, proxy)


@pytest.fixture(scope="session", params=BACKENDS)
def any_gateway(request: pytest.FixtureRequest) -> RunningGateway:
    """The gateway of each backend in turn: every test using it runs on both."""
    gateway: RunningGateway = request.getfixturevalue(f"{request.param}_gateway")
    return gateway


@pytest.fixture(params=BACKENDS)
def any_boundary_gateway(request: pytest.FixtureRequest) -> RunningGateway:
    """duckdb, then the bigquery gateway at the HTTP boundary: for what the emulator gets wrong."""
    if request.param == "duckdb":
        duckdb: RunningGateway = request.getfixturevalue("duckdb_gateway")
        return duckdb
    boundary: Boundary = request.getfixturevalue("boundary")
    return boundary.gateway


@pytest.fixture
def backend_kind(any_gateway: RunningGateway, request: pytest.FixtureRequest) -> str:
    kind: str = request.node.callspec.params["any_gateway"]
    return kind


@pytest.fixture(scope="session")
def both_gateways(
    duckdb_gateway: RunningGateway, bigquery_gateway: RunningGateway
) -> dict[str, RunningGateway]:
    return {"duckdb": duckdb_gateway, "bigquery": bigquery_gateway}
