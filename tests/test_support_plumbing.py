"""The plumbing's own promises: one demo build per run, a database per consumer, a raw
client whose frame walker counts what its decoder sees."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pgbridge.wire import messages as m
from tests.support.demo import copy_demo
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.postgres import PostgresServer
from tests.support.rawclient import RawClient


def test_a_gateway_needs_a_copy_of_the_demo_rather_than_building_one(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="copy_demo"), running_gateway(tmp_path):
        pass
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_copy_is_the_template_s_files_without_a_run_s_state(demo_dir: Path, tmp_path: Path) -> None:
    copy = copy_demo(demo_dir, tmp_path / "demo")
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in demo_dir.iterdir())
    assert (copy / "warehouse.duckdb").read_bytes() == (demo_dir / "warehouse.duckdb").read_bytes()
    assert not (demo_dir / "audit").exists(), "the template was served or written"


def test_each_consumer_s_database_is_its_own(postgres: PostgresServer) -> None:
    one, other = postgres.database_for("plumbing_one"), postgres.database_for("plumbing_other")
    assert postgres.database_for("plumbing_one") == one  # created once, then reused
    with psycopg.connect(one.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS mine")
        conn.execute("CREATE TABLE mine (a int)")
    with psycopg.connect(other.dsn) as conn:
        assert conn.execute("SELECT to_regclass('mine')").fetchone() == (None,)


def test_stream_counts_what_the_decoder_sees(gateway: RunningGateway) -> None:
    sql = "SELECT id FROM shop.orders WHERE id <= 1234"
    with RawClient.login(gateway) as client:
        decoded = client.simple(sql)
        counted = client.stream(sql)
        assert client.simple("SELECT 1")[-1] == m.ReadyForQuery("I")  # the session goes on
    assert counted.rows == sum(isinstance(x, m.DataRow) for x in decoded) == 1234
    assert counted.tag == "SELECT 1234"
