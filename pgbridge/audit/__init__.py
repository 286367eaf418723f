"""Tamper-evident audit log: hash-chained, Ed25519-signed JSON lines written before a statement
runs, the results a client saw recorded beside them, and the tools to verify and replay them.
"""
