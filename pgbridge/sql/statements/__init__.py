"""Statements: text in, classified statements out.

Owns the one tokenization of a text (sqlglot's PostgreSQL tokenizer, tokens.py) that every
later reader shares, the split of a simple query into statements, the strict syntax check,
classification (session command, catalog query, data query, DML, ...), the command model
(model.py) and the parsers of the session commands sqlglot does not model.

May import: sqlglot, pgbridge.wire.errors. Nothing else of pgbridge.sql.
"""
