"""The demo's configuration file, written into its data folder on every start.

Paths are relative to the file's folder. The policy, masking and audit sections exercise
every rule the gateway has, so a new user sees each one work (README, "The demo").
"""

from __future__ import annotations

_BASE = """\
# pgbridge demo configuration (written by `pgbridge demo`; edits are overwritten on its next start).
# Every key is documented in config.example.toml.

[server]
host = "@HOST@"
port = @PORT@
require_tls = true
tls_cert_file = "server.crt"
tls_key_file = "server.key"
admin_http_port = @ADMIN_PORT@

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

[audit]
enabled = true
directory = "audit"
signing_key_file = "audit-signing-key.pem"
fsync = "batch"
record_results = true
record_max_rows = 1000

[masking]
hash_key_file = "masking-hash.key"

[[masking.rules]]
pattern = "shop.customers.ssn"
strategy = "partial"
keep = 4
exempt_roles = ["admin"]

[[masking.rules]]
pattern = "shop.customers.card_number"
strategy = "partial"
keep = 4
exempt_roles = ["admin"]

[[masking.rules]]
pattern = "shop.customers.phone"
strategy = "hash"
exempt_roles = ["admin"]

[[masking.rules]]
pattern = "shop.customers.email"
strategy = "email"
exempt_roles = ["admin"]

# Every rule kind is exercised:
#   analyst  - reads dataset shop, no DML; a query estimated to scan over 20 MB waits for approval
#   support  - reads only customers and orders, and only the rows of its own `country` claim
#   approver - decides approval requests (console, CLI or admin JSON API); reads nothing
#   admin    - reads everything; may run DML on shop, every DML statement needs approval
# The readers may call the table-valued functions that read only their arguments (unnest,
# generate_series, in FROM and in the select list) within the cost rules, which count the
# rows they make; admin may call every function the translator knows.
[policy]
max_bytes_billed = 10_000_000_000

[policy.approvals]
store = "approvals.sqlite"
mode = "wait"
wait_timeout_seconds = 300
pending_ttl_seconds = 86400
approved_ttl_seconds = 3600
approver_role = "approver"

[policy.roles.analyst]
datasets = ["shop"]
statements = ["select"]
max_rows = 100_000
max_bytes = 20_000_000
over_max_bytes = "approve"
approval_mode = "wait"
queries_per_minute = 600
max_connections = 20
functions = ["UNNEST", "EXPLODING_GENERATE_SERIES"]

[policy.roles.support]
tables = ["shop.customers", "shop.orders"]
max_rows = 10_000
max_bytes = 100_000_000
over_max_bytes = "deny"
functions = ["UNNEST", "EXPLODING_GENERATE_SERIES"]

[policy.roles.support.row_filters]
"shop.customers" = "country = {claims.country}"
"shop.orders" = "customer_id IN (SELECT id FROM shop.customers WHERE country = {claims.country})"

[policy.roles.approver]
statements = ["select"]

[policy.roles.admin]
datasets = ["*"]
statements = ["select", "insert", "update", "delete", "merge"]
write_tables = ["shop.*"]
approve_statements = ["insert", "update", "delete", "merge"]
approval_mode = "wait"
functions = ["*"]
"""


def render(host: str, port: int, admin_port: int = 0) -> str:
    return _BASE.replace("@HOST@", host).replace("@PORT@", str(port)).replace("@ADMIN_PORT@", str(admin_port))
