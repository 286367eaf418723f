"""Two real gateways with the demo configuration, one per backend, and `any_gateway` over both.

- duckdb: the session's `gateway` (tests/conftest.py): `pgbridge serve` over a copy of the
  run's demo, with the demo's own config.
- bigquery: `pgbridge serve` over another copy, its [backend] swapped for the bigquery backend
  on the bqemulator (real google-cloud-bigquery client, anonymous credentials), which holds
  the same `shop` rows, loaded from that copy's warehouse (tests/e2e/demo_seed.py).

Both copies come from the one demo built per run, so they share the token key, the masking
hash key and the rows: the same query must give the same answer on both. If the emulator
cannot be installed or started the fixture fails with the reason. Tests that use the
bigquery gateway are marked `emulator`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.boundary import HELD_SCHEMA, Boundary, as_real_bigquery, held
from tests.e2e.configs import bigquery_config_text
from tests.e2e.demo_seed import seed_demo
from tests.e2e.hold_proxy import hold_proxy
from tests.support.bqemulator import Emulator, running_emulator
from tests.support.gateway import RunningGateway, running_gateway

# The bigquery backend runs on the emulator: its tests are in the `emulator` lane.
BACKENDS = ("duckdb", pytest.param("bigquery", marks=pytest.mark.emulator))


@pytest.fixture(scope="session")
def duckdb_gateway(gateway: RunningGateway) -> RunningGateway:
    """The demo config on the duckdb backend: the session's gateway (rows a test adds, it
    deletes again, so every backend keeps the same rows)."""
    return gateway


@pytest.fixture(scope="session")
def bigquery_data_dir(demo_copy: Callable[[str], Path]) -> Path:
    return demo_copy("e2e-bigquery")


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
def boundary(demo_copy: Callable[[str], Path], e2e_emulator: Emulator) -> Iterator[Boundary]:
    """A third gateway, bigquery backend, whose REST endpoint is the proxy (tests/e2e/boundary.py)."""
    data_dir = demo_copy("e2e-boundary")
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
