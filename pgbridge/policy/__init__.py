"""Policy: who may run what, decided on the parsed statement; approvals; per-principal limits.

The pipeline hands this package a resolved sqlglot AST (postgres dialect), the raw text and
a `Principal`. `PolicyEngine` answers allow / deny / approve; `apply_row_filters` rewrites
reads of filtered tables; approvals and limits live in their own modules.
"""
