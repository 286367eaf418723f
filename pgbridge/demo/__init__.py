"""The demo: a deterministic embedded warehouse, keys, a certificate and a config file."""
