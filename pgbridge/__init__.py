"""pgbridge: a PostgreSQL wire-protocol gateway to BigQuery.

Every statement passes the stages laid out in DESIGN.md: wire -> session -> classify ->
resolve -> policy -> approval -> translate -> backend -> mask -> encode -> audit.
"""

__version__ = "0.1.0"
