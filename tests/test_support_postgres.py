import psycopg


def test_real_postgres_answers(postgres):
    with psycopg.connect(postgres.dsn) as conn:
        assert conn.execute("select 1 + 1").fetchone() == (2,)
        assert conn.info.server_version >= 150000
