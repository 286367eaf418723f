// The reference MCP server for PostgreSQL (@modelcontextprotocol/server-postgres), started
// over stdio by the MCP client SDK as an agent host starts it, pointed at pgbridge: list its
// resources (the tables of `public`), read one (a table's columns) and call its `query` tool.
// Prints one JSON document; tests/compat/test_mcp_reference.py reads it.
// Usage: node probe.mjs DATABASE_URL SQL
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [url, sql] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command: process.execPath,
  args: ['node_modules/@modelcontextprotocol/server-postgres/dist/index.js', url],
  stderr: 'inherit',
});
const client = new Client({ name: 'pgbridge-compat', version: '1.0.0' });
await client.connect(transport);
const out = {};
const listed = await client.listResources();
out.resources = listed.resources.map((r) => ({ uri: r.uri, name: r.name }));
const customers = listed.resources.find((r) => r.name.startsWith('"customers"'));
out.read = customers ? JSON.parse((await client.readResource({ uri: customers.uri })).contents[0].text) : null;
const called = await client.callTool({ name: 'query', arguments: { sql } });
out.query = { isError: Boolean(called.isError), text: called.content[0].text };
await client.close();
console.log(JSON.stringify(out));
