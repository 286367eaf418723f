// node-postgres against pgbridge: a parameterised query (extended protocol) and a catalog
// query listing tables, an IN ($1,$2,$3) list. Prints one JSON document; tests/compat/test_node.py reads it.
// Usage: node probe.js (connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGCA)
const fs = require('fs');
const { Client } = require('pg');

async function main() {
  const client = new Client({
    database: 'pgbridge',
    ssl: { ca: fs.readFileSync(process.env.PGCA) },  // full verification: chain and host name
  });
  await client.connect();
  const out = { version: require('pg/package.json').version };
  const customers = await client.query(
    'SELECT id, name, lifetime_value, created_at FROM shop.customers WHERE id = $1 OR id = $2 ORDER BY id', [1, '2']);
  out.rows = customers.rows.map((r) => [r.id, r.name, r.lifetime_value, r.created_at.toISOString()]);
  out.types = customers.fields.map((f) => f.dataTypeID);
  const tables = await client.query(
    'SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = $1 ' +
    'ORDER BY table_name', ['public']);
  out.tables = tables.rows.map((r) => [r.table_schema, r.table_name, r.table_type]);
  const classes = await client.query(
    "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
    "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1");
  out.relnames = classes.rows.map((r) => r.relname);
  // Parameter lists written without spaces ($1,$2,$3), as query builders write them.
  const listed = await client.query('SELECT id FROM shop.products WHERE id IN ($1,$2,$3) ORDER BY id', [3, 1, 2]);
  out.in_list = listed.rows.map((r) => r.id);
  await client.end();
  console.log(JSON.stringify(out));
}

main().catch((err) => { console.error(err.stack || String(err)); process.exit(1); });
