"""SQL stage: split, classify, resolve and translate PostgreSQL statements (DESIGN.md)."""
