"""A gateway configuration that lets masking alone decide what the demo's policy stops first.

The demo's analyst may not call UNNEST, GROUPING or generate_series, and may not write, so
those corpus cases are refused by the policy before masking is consulted. This config is the
demo's with those functions granted to the analyst, and with a `clerk` role that may write
shop.products without approval but is masked like every role but admin: what reaches the
backend then depends on masking's lineage and inference guard only.
"""

from __future__ import annotations

import re

from pgbridge.demo.config_text import render

EXTRA_FUNCTIONS = ("UNNEST", "GROUPING", "EXPLODING_GENERATE_SERIES")
_CLERK = """
[policy.roles.clerk]
datasets = ["shop"]
statements = ["select", "insert", "update", "delete"]
write_tables = ["shop.products"]
"""


def extended_config() -> str:
    """The demo config (port left as `{port}` for running_gateway) with the grants above."""
    text = re.sub(r"(?m)^port = 0$", "port = {port}", render("127.0.0.1", 0), count=1)
    grant = "functions = [" + ", ".join(f'"{name}"' for name in EXTRA_FUNCTIONS) + "]\n"
    head, marker, tail = text.partition("[policy.roles.analyst]\n")
    assert marker, "the demo config has no analyst role"
    return head + marker + grant + tail + _CLERK
