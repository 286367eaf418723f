"""Gateway configurations for the two backends: the demo's own text, only [backend] swapped.

Both gateways run exactly the demo configuration (roles, masking, audit, approvals), so a
difference between their answers can only come from the backend. The text is the demo's
(pgbridge.demo.config_text) with the port left as `{port}` for running_gateway to fill in.
"""

from __future__ import annotations

from pgbridge.demo.config_text import render

_PORT_SENTINEL = 1  # replaced by "{port}", which running_gateway fills with a free port
_DUCKDB_BACKEND = '[backend]\nkind = "duckdb"\n\n[backend.duckdb]\ndatabase = "warehouse.duckdb"\n'


def demo_config_text() -> str:
    """The demo config as running_gateway expects it (port placeholder)."""
    text = render("127.0.0.1", _PORT_SENTINEL)
    return _replace_once(text, f"\nport = {_PORT_SENTINEL}\n", "\nport = {port}\n")


def bigquery_backend_section(
    project: str, api_endpoint: str, storage_endpoint: str, **extra: str | int | float
) -> str:
    lines = [
        "[backend]",
        'kind = "bigquery"',
        f'project = "{project}"',
        'credentials = "anonymous"',
        f'api_endpoint = "{api_endpoint}"',
        f'storage_endpoint = "{storage_endpoint}"',
        'location = "US"',
        'default_dataset = "shop"',
    ]
    lines += [f"{key} = {_toml(value)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def bigquery_config_text(
    project: str, api_endpoint: str, storage_endpoint: str, **extra: str | int | float
) -> str:
    """The demo config with its [backend] section pointing at a BigQuery (emulator) endpoint."""
    section = bigquery_backend_section(project, api_endpoint, storage_endpoint, **extra)
    return _replace_once(demo_config_text(), _DUCKDB_BACKEND, section)


def _toml(value: str | int | float) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _replace_once(text: str, old: str, new: str) -> str:
    # The demo text is the lead's: if it changes shape, say so instead of running another config.
    if text.count(old) != 1:
        raise RuntimeError(
            f"the demo config no longer contains {old!r} exactly once; update tests/e2e/configs.py"
        )
    return text.replace(old, new)
