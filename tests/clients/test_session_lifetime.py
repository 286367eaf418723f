"""A session lives as long as its token: the first statement after expiry gets a FATAL."""

from __future__ import annotations

import time

import psycopg
import pytest


def test_expired_session_is_closed_at_its_next_statement(gateway):
    token = gateway.token("alice", ("admin",), ttl=2)
    conn = psycopg.connect(
        host=gateway.host,
        port=gateway.port,
        dbname="pgbridge",
        user="alice",
        password=token,
        sslmode="require",
        autocommit=True,
    )
    assert conn.execute("SELECT count(*) FROM shop.products").fetchone() == (1000,)
    time.sleep(2.5)
    with pytest.raises(psycopg.OperationalError) as caught:
        conn.execute("SELECT count(*) FROM shop.products")
    assert "token has expired" in str(caught.value)
    assert conn.closed or conn.broken
