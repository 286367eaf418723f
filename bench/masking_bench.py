"""Cost of masking 4 columns of 1,000,000 rows, against no masking.

Run: .venv/bin/python bench/masking_bench.py [rows]

The rows look like shop.customers (id, name, email, phone, ssn, card_number) in Arrow batches
of 65,536 rows, as a backend streams them. Masking is the demo plan (ssn and card_number
partial keep=4, phone redact, email HMAC hash), planned once from the SQL like the gateway
does. "No masking" alone costs nothing (the batch passes through), so the ratio is taken over
a stand-in for the next stage, a vectorised text encoding of every column (pyarrow.compute
casts plus binary_join, the approach DESIGN.md measured for DataRow encoding); the bench
prints the absolute masking time too. Hash cost depends on distinct values (one HMAC per
distinct value per batch), so it is measured with all-distinct and with repeating emails.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot

from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Field
from pgbridge.masking.plan import MaskPlan, plan_masks
from pgbridge.masking.settings import MaskingSettings, MaskRule

BATCH = 65_536
FIELDS = tuple(
    Field(n, t)
    for n, t in (
        ("id", "INT64"),
        ("name", "STRING"),
        ("email", "STRING"),
        ("phone", "STRING"),
        ("ssn", "STRING"),
        ("card_number", "STRING"),
    )
)
RULES = (
    MaskRule("shop.customers.ssn", "partial", ("admin",), {"keep": 4}),
    MaskRule("shop.customers.card_number", "partial", ("admin",), {"keep": 4}),
    MaskRule("shop.customers.phone", "redact", ("admin",)),
    MaskRule("shop.customers.email", "hash", ("admin",), allow_equality=True),
)


def _digits(ids: pa.Array, modulo: int, width: int) -> pa.Array:
    values = pc.cast(
        pc.add(pc.multiply(pc.bit_wise_and(pc.multiply(ids, 2654435761), 2**40 - 1), 7), 0), pa.int64()
    )
    text = pc.cast(pc.add(pc.remainder(values, modulo), modulo), pa.string())  # fixed width digits
    return pc.utf8_slice_codeunits(text, start=-width)


def make_table(rows: int, distinct_emails: int) -> pa.Table:
    ids = pa.array(range(rows), pa.int64())
    d9, d10, d16 = _digits(ids, 10**9, 9), _digits(ids, 10**10, 10), _digits(ids, 10**16, 16)
    ssn = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(d9, 0, 3),
        pc.utf8_slice_codeunits(d9, 3, 5),
        pc.utf8_slice_codeunits(d9, 5, 9),
        "-",
    )
    phone = pc.binary_join_element_wise(
        "+1", pc.utf8_slice_codeunits(d10, 0, 3), pc.utf8_slice_codeunits(d10, 3, 10), "-"
    )
    user = pc.cast(pc.remainder(ids, distinct_emails), pa.string())
    email = pc.binary_join_element_wise("user", user, "@example.com", "")
    name = pc.binary_join_element_wise("Customer ", pc.cast(ids, pa.string()), "")
    return pa.table([ids, name, email, phone, ssn, d16], names=[f.name for f in FIELDS])


def plan_for(roles: tuple[str, ...]) -> MaskPlan:
    ast = sqlglot.parse_one(
        "SELECT id, name, email, phone, ssn, card_number FROM shop.customers", read="postgres"
    )
    settings = MaskingSettings(RULES, b"bench-key-0123456789abcdef012345")
    return plan_masks(
        ast,
        lambda d, t: FIELDS if (d, t) == ("shop", "customers") else None,
        Principal("bench", roles),
        settings,
    )


def encode_text(batch: pa.RecordBatch) -> pa.Array:
    """Stand-in for the encode stage: every column to text, one tab-joined line per row."""
    columns = [pc.fill_null(pc.cast(c, pa.string()), "\\N") for c in batch.columns]
    return pc.binary_join_element_wise(*columns, "\t")


def timed(label: str, batches: list[pa.RecordBatch], step: Callable[[pa.RecordBatch], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for batch in batches:
            step(batch)
        best = min(best, time.perf_counter() - start)
    rows = sum(b.num_rows for b in batches)
    print(f"{label:<52} {best * 1000:8.1f} ms  {rows / best / 1e6:6.2f} M rows/s")
    return best


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    masked, clear = plan_for(("analyst",)), plan_for(("admin",))
    assert len(masked.masks) == 4 and clear.masks == ()
    for distinct, label in ((rows, "all emails distinct"), (1000, "1,000 distinct emails")):
        batches = make_table(rows, distinct).to_batches(max_chunksize=BATCH)
        print(f"-- {rows:,} rows, {label}")
        mask_only = timed("mask 4 columns (apply only)", batches, masked.apply)
        base = timed("no masking + text encode", batches, lambda b: encode_text(clear.apply(b)))
        full = timed("mask 4 columns + text encode", batches, lambda b: encode_text(masked.apply(b)))
        print(
            f"ratio masked/unmasked (with encode): {full / base:.2f}x; masking alone {mask_only * 1e3:.0f} ms"
        )


if __name__ == "__main__":
    main()
