"""Backends run translated BigQuery SQL and stream Arrow record batches (DESIGN.md, "Backends")."""
