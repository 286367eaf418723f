"""The demo's clear personal values, and a scanner that finds any of them in raw bytes.

A masked query may return any of the 100,000 customers (LIMIT without ORDER BY picks no
particular rows), so the check is against every customer, not a sample: each value shape
has a regular expression that lists the candidates in the received bytes, and a candidate
is a leak when it is one of the clear values. Besides the values as stored, the forms a
careless transformation would produce are searched too: ssn and phone with the separators
removed, and the email's local part (which carries the customer id, so it is unique).
The values are read from a copy of the warehouse file with DuckDB itself, not through the
gateway under test (the gateway process holds the file's lock).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Each pattern captures candidates with a lookahead, so overlapping ones are all seen.
_SHAPES: dict[str, bytes] = {
    "ssn": rb"(?=(\d{3}-\d{2}-\d{4}))",
    # Standalone: nine digits inside a longer hex or digit run (a hash in the audit chain) are
    # not an ssn, and with 100,000 customers some such run matches one by chance.
    "ssn_digits": rb"(?<![0-9A-Za-z])(?=(\d{9})(?![0-9A-Za-z]))",
    "card": rb"(?=(\d{16}))",
    "phone": rb"(?=(\+1-555-\d{3}-\d{4}))",
    "phone_digits": rb"(?=(1555\d{7}))",
    "email": rb"(?=([a-z][a-z.\-]*[a-z]\d+@[a-z.]+[a-z]))",
    "email_local": rb"(?=([a-z][a-z.\-]*[a-z]\d+))",
}
_COMPILED = {kind: re.compile(pattern) for kind, pattern in _SHAPES.items()}


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    phone: str
    ssn: str
    card_number: str


@dataclass
class ClearValues:
    """Every clear ssn, card number, phone and email of the demo, by the shape searched."""

    by_kind: dict[str, frozenset[bytes]]
    customers: dict[int, Customer]

    def leaks(self, data: bytes) -> list[str]:
        """The clear values (and derived forms) found anywhere in `data`; [] when none."""
        found: set[str] = set()
        for kind, pattern in _COMPILED.items():
            known = self.by_kind[kind]
            found.update(f"{kind}:{m.decode()}" for m in pattern.findall(data) if m in known)
        return sorted(found)


def load(warehouse: Path, scratch: Path) -> ClearValues:
    """Read the customers' personal columns from a private copy of the warehouse file."""
    copy = scratch / "warehouse-copy.duckdb"
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy), read_only=True)
    try:
        rows = con.execute("SELECT id, email, phone, ssn, card_number FROM shop.customers").fetchall()
    finally:
        con.close()
    customers = {row[0]: Customer(*row) for row in rows}
    return ClearValues(_index(customers.values()), customers)


def _index(customers: object) -> dict[str, frozenset[bytes]]:
    kinds: dict[str, set[bytes]] = {kind: set() for kind in _SHAPES}
    for c in customers:  # type: ignore[attr-defined]
        kinds["ssn"].add(c.ssn.encode())
        kinds["ssn_digits"].add(c.ssn.replace("-", "").encode())
        kinds["card"].add(c.card_number.encode())
        kinds["phone"].add(c.phone.encode())
        kinds["phone_digits"].add(re.sub(r"\D", "", c.phone).encode())
        kinds["email"].add(c.email.encode())
        kinds["email_local"].add(c.email.split("@")[0].encode())
    return {kind: frozenset(values) for kind, values in kinds.items()}
