"""postgres-mcp (PyPI, restricted mode; its own Python 3.12 virtual environment:
scripts/install-test-deps.d/tools.sh) started over stdio by the MCP Python SDK's client, as an
agent host starts it, and its five database tools called in turn: list_schemas, list_objects,
get_object_details, explain_query, execute_sql. Prints one JSON document: each tool's text and
whether the server flagged it an error. Usage: python postgres_mcp_probe.py DATABASE_URI SQL"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

CALLS = (
    ("list_schemas", {}),
    ("list_objects", {"schema_name": "public", "object_type": "table"}),
    ("get_object_details", {"schema_name": "public", "object_name": "customers", "object_type": "table"}),
    ("explain_query", {"sql": "SELECT id, amount FROM orders WHERE amount > 100"}),
    ("execute_sql", {"sql": "SQL"}),
)


async def main(uri: str, sql: str) -> dict[str, object]:
    server = StdioServerParameters(
        command=os.path.join(os.path.dirname(sys.executable), "postgres-mcp"),
        args=["--access-mode=restricted"],
        env={**os.environ, "DATABASE_URI": uri},
    )
    out: dict[str, object] = {}
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        out["tools"] = sorted(tool.name for tool in (await session.list_tools()).tools)
        for name, arguments in CALLS:
            if name == "execute_sql":
                arguments = {"sql": sql}
            result = await session.call_tool(name, arguments)
            out[name] = {"isError": bool(result.isError), "text": result.content[0].text}
    return out


print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
