"""Names: which tables and columns a statement means, and what its outputs are called.

Owns name resolution (search_path, schemas to BigQuery datasets, tables and columns
qualified by sqlglot's qualify) and PostgreSQL's output column names (FigureColname).

May import: sqlglot, pgbridge.sql.statements, pgbridge.sql.pgtypes, pgbridge.backends.base,
pgbridge.wire.errors.
"""
