"""A gateway configuration that lets masking alone decide what the demo's policy stops first.

The demo's analyst may not write, so those corpus cases are refused by the policy before
masking is consulted. This config is the demo's with a `clerk` role that may write
shop.products without approval but is masked like every role but admin: what reaches the
backend then depends on masking's lineage and inference guard only. (It used to grant the
analyst UNNEST and generate_series too; the demo itself grants them now, issue 13.)
"""

from __future__ import annotations

import re

from pgbridge.demo.config_text import render

_CLERK = """
[policy.roles.clerk]
datasets = ["shop"]
statements = ["select", "insert", "update", "delete"]
write_tables = ["shop.products"]
"""


def extended_config() -> str:
    """The demo config (port left as `{port}` for running_gateway) with the clerk role."""
    text = re.sub(r"(?m)^port = 0$", "port = {port}", render("127.0.0.1", 0), count=1)
    assert "[policy.roles.analyst]\n" in text, "the demo config has no analyst role"
    return text + _CLERK
