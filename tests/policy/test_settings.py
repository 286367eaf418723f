"""The [policy] table: the shipped files load, and every mistake names its key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pgbridge.config_base import ConfigError, Section
from pgbridge.policy.settings import policy_settings_from
from tests.policy.support import POLICY_DIR, demo_settings, settings_from_toml

RF = "[policy.roles.a.row_filters]\n"
RFKEY = "policy.roles.a.row_filters.shop.c"


def test_demo_policy() -> None:
    settings = demo_settings(Path("/var/lib/pgbridge"))
    assert set(settings.roles) == {"analyst", "support", "approver", "admin"}
    analyst = settings.roles["analyst"]
    assert analyst.read_tables == ("shop.*",) and analyst.statements == frozenset({"select"})
    assert (analyst.max_bytes, analyst.over_max_bytes) == (20_000_000, "approve")
    assert analyst.approval_mode == "wait"
    assert set(settings.roles["support"].row_filters) == {("shop", "customers"), ("shop", "orders")}
    assert settings.roles["admin"].approve_statements == frozenset({"insert", "update", "delete", "merge"})
    assert settings.approvals.store_path == Path("/var/lib/pgbridge/approvals.sqlite")
    assert settings.approvals.approver_role == "approver"


def test_documented_example_loads_every_key() -> None:
    table = tomllib.loads((POLICY_DIR / "config_example.toml").read_text())
    settings = policy_settings_from(Section(table["policy"], "policy"), Path("/data"))
    example = settings.roles["example"]
    assert example.functions == ("EXTERNAL_QUERY", "ML.*") and example.approval_mode == "ticket"
    assert example.bytes_per_day == 1_000_000_000_000 and example.approve_tables == ("shop.payroll",)
    assert settings.approvals.poll_interval_s == 0.2


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[policy.roles.a]\ntabels = ["shop.x"]', "policy.roles.a.tabels"),
        ('[policy.roles.a]\nstatements = ["select", "drop"]', "policy.roles.a.statements[1]"),
        ('[policy.roles.a]\ntables = ["shop"]', "policy.roles.a.tables[0]"),
        ('[policy.roles.a]\ndatasets = ["shop.x"]', "policy.roles.a.datasets[0]"),
        ('[policy.roles.a]\nwrite_tables = ["a.b.c"]', "policy.roles.a.write_tables[0]"),
        ('[policy.roles.a]\nmax_rows = 0', "policy.roles.a.max_rows"),
        ('[policy.roles.a]\nmax_bytes = "20MB"', "policy.roles.a.max_bytes"),
        ('[policy.roles.a]\nover_max_bytes = "maybe"', "policy.roles.a.over_max_bytes"),
        ('[policy.roles.a]\napproval_mode = "later"', "policy.roles.a.approval_mode"),
        ('[policy.roles.a]\nfunctions = ["f(x)"]', "policy.roles.a.functions[0]"),
        (RF + '"shop.c" = "country = "', RFKEY),
        (RF + '"shop.c" = "country = \'{claims.c}\'"', RFKEY),
        (RF + '"shop.c" = "id IN (SELECT id FROM x)"', RFKEY),
        (RF + '"shop.c" = "a = {claims.}"', RFKEY),
        (RF + '"shop.c" = "a = 1; DROP TABLE x"', RFKEY),
        (RF + '"shop.*" = "a = 1"', "policy.roles.a.row_filters.shop.*"),
        (RF + '"shop.c" = 5', RFKEY),
        ("[policy.roles]\na = 1", "policy.roles.a"),
        ('[policy.approvals]\nmode = "sometimes"', "policy.approvals.mode"),
        ("[policy.approvals]\nwait_timeout_seconds = -1", "policy.approvals.wait_timeout_seconds"),
        ('[policy.approvals]\nstroe = "x"', "policy.approvals.stroe"),
        ("[policy]\nmax_bytes_billed = 0", "policy.max_bytes_billed"),
        ("[policy]\nroles_claim = 'roles'", "policy.roles_claim"),
    ],
)
def test_errors_name_the_key(toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_toml(toml)
    assert caught.value.key == key, str(caught.value)


def test_defaults() -> None:
    settings = settings_from_toml("[policy.roles.reader]\ndatasets = ['shop']")
    role = settings.roles["reader"]
    assert role.statements == frozenset({"select"}) and role.write_tables == ()
    assert role.max_rows is None and role.max_bytes is None and role.over_max_bytes == "deny"
    assert role.max_bytes_billed == settings.max_bytes_billed == 10 * 1024**3
    assert settings.approvals.mode == "wait" and role.approval_mode == "wait"
