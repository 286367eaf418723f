"""Shared helpers for the policy tests: the demo policy, principals, and a stand-in resolver."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from pgbridge.auth.principal import Principal
from pgbridge.config_base import Section
from pgbridge.policy.inspect import is_cte_reference
from pgbridge.policy.settings import PolicySettings, policy_settings_from

POLICY_DIR = Path(__file__).resolve().parents[2] / "pgbridge" / "policy"


def demo_settings(base_dir: Path = Path("/tmp")) -> PolicySettings:
    table = tomllib.loads((POLICY_DIR / "demo_policy.toml").read_text())
    return policy_settings_from(Section(table["policy"], "policy"), base_dir)


def settings_from_toml(text: str, base_dir: Path = Path("/tmp")) -> PolicySettings:
    table = tomllib.loads(text)
    return policy_settings_from(Section(table.get("policy", {}), "policy"), base_dir)


def principal(*roles: str, subject: str = "alice", **claims: Any) -> Principal:
    return Principal(subject=subject, roles=tuple(roles), claims=claims)


def resolve(text: str, dataset: str = "shop", qualify: bool = True) -> exp.Expr:
    """Parse the first statement and qualify bare table names, as the resolver would."""
    ast = sqlglot.parse(text, read="postgres")[0]
    assert ast is not None
    if qualify:
        for table in ast.find_all(exp.Table):
            bare = isinstance(table.this, exp.Identifier) and table.args.get("db") is None
            if bare and not is_cte_reference(table):
                table.set("db", exp.to_identifier(dataset))
    return ast
