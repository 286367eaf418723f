"""Translate: a resolved PostgreSQL statement to BigQuery SQL that answers what PostgreSQL would.

Owns the pipeline (pipeline.py for queries, dml.py for INSERT / UPDATE / DELETE), the typer
(typer.py, with scopes.py typing columns from their scopes), the registry of typing rules and
fix-ups (registry.py) with its one list of constructs (catalogue.py), the fix-up walk
(rewrite.py), the leaves every construct shares (build.py, checks.py, rowrefs.py, timefix.py,
zones.py) and, in constructs/, one module per SQL construct.

Inside, a module imports only modules of the groups before its own: zones, timefix, rowrefs;
typer; registry, build, checks, scopes, rewrite; constructs/; catalogue; dml; pipeline; cache.
From outside it may import: sqlglot, pgbridge.sql.names, pgbridge.sql.pgtypes,
pgbridge.sql.literals, pgbridge.backends.base, pgbridge.typemap, pgbridge.wire.errors,
pgbridge.encode.jsonfmt.
"""
