"""The suite's plumbing, one of each; tests/conftest.py turns it into session fixtures.

- demo.py        the demo's files: built once per run (`demo_dir`), copied for every gateway
- gateway.py     `pgbridge serve` as a subprocess on a free port, tokens minted for it
- postgres.py    the run's one PostgreSQL 15 cluster; `database_for` gives a consumer its own
- psql.py        psql against a gateway or PostgreSQL
- rawclient.py   a protocol-level client on pgbridge's codec that records every byte
- clients.py     asyncpg and psycopg connections to a gateway
- cli.py         `pgbridge` commands (audit verify, approvals approve...) in their own process
- httpserver.py  a local HTTP server for the fakes (BigQuery REST, JWKS)
- bqemulator.py  the BigQuery emulator, from its own virtual environment
"""
