"""The allow-list: one module per SQL construct, each with its typing rules and fix-ups.

A typing rule returns the node's PostgreSQL type (pgtypes spelling) or refuses with 0A000
when BigQuery would compute something different and no fix-up rewrites it exactly; a node
with no rule is refused by the typer. A fix-up rewrites a typed node into the BigQuery
spelling of what PostgreSQL computes. Each module opens with the PostgreSQL/BigQuery
differences it handles; every rule is exercised by the differential corpus in tests/sql
against a real PostgreSQL, the refusals by the refusal corpus.

Each module registers into its own `construct`; translate/catalogue.py lists them. A module
may import the translate leaves (typer, registry, build, checks, rowrefs, timefix, zones) and
other construct modules for their checks, never the catalogue.
"""
