"""The default dataset is listed as `public`; looked up by its own name it is found there too.

`SELECT ... FROM shop.customers` works, so a DBA's next step, psql's `\\d shop.customers`,
must too: it used to answer "Did not find any relation named "shop.customers"" because psql
matches `nspname` against '^(shop)$' and only `public` is listed.
"""

from __future__ import annotations

from tests.support.gateway import RunningGateway
from tests.support.psql import run_psql


def test_psql_describes_a_table_by_its_dataset_name(gateway: RunningGateway) -> None:
    done = run_psql(gateway, "-X", "-c", r"\d shop.customers")
    assert done.returncode == 0, done.stderr
    assert 'Table "public.customers"' in done.stdout
    assert "lifetime_value" in done.stdout
    by_public = run_psql(gateway, "-X", "-c", r"\d public.customers")
    assert by_public.stdout == done.stdout


def test_a_listing_by_the_dataset_name_lists_public(gateway: RunningGateway) -> None:
    done = run_psql(gateway, "-X", "-A", "-t", "-c", r"\dt shop.*")
    assert done.returncode == 0, done.stderr
    listed = sorted(line.split("|")[1] for line in done.stdout.splitlines())
    assert listed == ["customers", "orders", "products"]
    query = "SELECT nspname FROM pg_namespace WHERE nspname = 'shop'"
    schemas = run_psql(gateway, "-X", "-A", "-t", "-c", query)
    assert schemas.stdout.split() == []  # a lookup, not a listing: no schema of that name


def test_other_names_are_still_unknown(gateway: RunningGateway) -> None:
    done = run_psql(gateway, "-X", "-c", r"\d nowhere.customers")
    assert "Did not find any relation" in done.stderr
