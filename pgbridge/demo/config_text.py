"""The demo's configuration file, written into its data folder on every start.

Paths are relative to the file's folder. The policy, masking and audit sections exercise
every rule the gateway has, so a new user sees each one work (README, "The demo").
"""

from __future__ import annotations

_BASE = """\
# pgbridge demo configuration (written by `pgbridge demo`; edits are overwritten on its next start).
# Every key is documented in config.example.toml.

[server]
host = "{host}"
port = {port}
require_tls = true
tls_cert_file = "server.crt"
tls_key_file = "server.key"

[auth]
public_key_file = "token-signing.pub"
algorithms = ["EdDSA"]
issuer = "pgbridge-demo"
audience = "pgbridge"
user_claim = "sub"
roles_claim = "roles"

[names]
database = "pgbridge"
default_dataset = "shop"

[backend]
kind = "duckdb"

[backend.duckdb]
database = "warehouse.duckdb"
"""


def render(host: str, port: int) -> str:
    return _BASE.format(host=host, port=port)
