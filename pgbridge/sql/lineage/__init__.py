"""Lineage: which warehouse columns each output column derives from, and where values are used.

Owns the scope walker over the resolved AST (walker.py and its parts), its result types
(model.py) and, on one page, the allow-list of what a masked value may flow through
(flow.py). It knows nothing of masking rules: pgbridge.masking decides from what it reports.

May import: sqlglot, pgbridge.backends.base. Nothing else of pgbridge.sql.
"""
