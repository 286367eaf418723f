"""Cost of masking 4 columns of 1,000,000 rows, against no masking.

Run: .venv/bin/python bench/masking_bench.py [rows]
     .venv/bin/python bench/masking_bench.py --hmac   (exact HMAC-SHA256 implementations compared)

The rows look like shop.customers (id, name, email, phone, ssn, card_number) in Arrow batches
of 65,536 rows, as a backend streams them. Masking is the demo's plan (pgbridge/demo/config_text.py:
ssn and card_number partial keep=4, phone HMAC hash, email keeps the domain), planned once from
the SQL like the gateway does. "No masking" alone costs nothing (the batch passes through), so
the ratio is taken over what the gateway does next with every batch: the real DataRow encoder
(pgbridge.encode.ResultEncoder), in text and in binary format. The bench prints the absolute
masking time too. Hash cost depends on distinct values (one HMAC per distinct value per
batch), so it is measured with all-distinct phones and with 1,000 repeating ones.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
import time
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot

from pgbridge.auth.principal import Principal
from pgbridge.backends.base import Field
from pgbridge.encode import EncodeSettings, ResultEncoder, output_columns
from pgbridge.masking.plan import MaskPlan, plan_masks
from pgbridge.masking.settings import MaskingSettings, MaskRule
from pgbridge.masking.strategies import _HmacSha256

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
    MaskRule("shop.customers.phone", "hash", ("admin",)),
    MaskRule("shop.customers.email", "email", ("admin",)),
)


def _digits(ids: pa.Array, modulo: int, width: int) -> pa.Array:
    values = pc.cast(
        pc.add(pc.multiply(pc.bit_wise_and(pc.multiply(ids, 2654435761), 2**40 - 1), 7), 0), pa.int64()
    )
    text = pc.cast(pc.add(pc.remainder(values, modulo), modulo), pa.string())  # fixed width digits
    return pc.utf8_slice_codeunits(text, start=-width)


def make_table(rows: int, distinct_phones: int) -> pa.Table:
    ids = pa.array(range(rows), pa.int64())
    d9, d10, d16 = _digits(ids, 10**9, 9), _digits(ids, 10**10, 10), _digits(ids, 10**16, 16)
    ssn = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(d9, 0, 3),
        pc.utf8_slice_codeunits(d9, 3, 5),
        pc.utf8_slice_codeunits(d9, 5, 9),
        "-",
    )
    d10 = pc.take(d10, pc.remainder(ids, distinct_phones))
    phone = pc.binary_join_element_wise(
        "+1", pc.utf8_slice_codeunits(d10, 0, 3), pc.utf8_slice_codeunits(d10, 3, 10), "-"
    )
    email = pc.binary_join_element_wise("user", pc.cast(ids, pa.string()), "@example.com", "")
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


def encoder(result_format: int) -> ResultEncoder:
    """The gateway's DataRow encoder for these columns, all text (0) or all binary (1)."""
    return ResultEncoder(output_columns(FIELDS), [result_format], EncodeSettings())


def encode_after(plan: MaskPlan, result_format: int) -> Callable[[pa.RecordBatch], bytes]:
    """One batch through the plan, then into DataRow messages."""
    enc = encoder(result_format)
    return lambda batch: enc.encode(plan.apply(batch))


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


def hmac_variants(count: int = 65_536) -> None:
    """µs per value of exact HMAC-SHA256 ways over one batch of distinct phone-like values; each
    is checked against hmac.digest, so only the speed differs."""
    key = b"bench-key-0123456789abcdef012345"
    values = [f"+1-{i:03d}-{i * 7919 % 10**7:07d}".encode() for i in range(count)]
    expected = b"".join(hmac.digest(key, v, "sha256") for v in values)
    c_hmac = hmac.new(key, digestmod="sha256")
    block = key.ljust(64, b"\0")
    ipad, opad = bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
    variants: dict[str, Callable[[], bytes]] = {
        "precomputed inner/outer states (pgbridge)": lambda: _HmacSha256(key).digests(values),
        "hmac.digest(key, msg, 'sha256') per value": lambda: b"".join(
            hmac.digest(key, v, "sha256") for v in values
        ),
        "hmac.new(...).copy() per value (C HMAC)": lambda: b"".join(
            _copy_update(c_hmac, v).digest() for v in values
        ),
        "sha256(opad + sha256(ipad + msg)) via map": lambda: b"".join(
            map(
                _digest,
                map(
                    hashlib.sha256,
                    map(opad.__add__, map(_digest, map(hashlib.sha256, map(ipad.__add__, values)))),
                ),
            )
        ),
    }
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(7):  # round-robin, so a busy moment on the shared machine hits every way
        for label, run in variants.items():
            start = time.perf_counter()
            assert run() == expected, label
            best[label] = min(best[label], time.perf_counter() - start)
    for label, seconds in best.items():
        print(f"{label:<46} {seconds / count * 1e6:6.3f} µs/value")


def _copy_update(mac: hmac.HMAC, value: bytes) -> hmac.HMAC:
    copy = mac.copy()
    copy.update(value)
    return copy


def _digest(h: hashlib._Hash) -> bytes:
    return h.digest()


def main() -> None:
    if sys.argv[1:] == ["--hmac"]:
        hmac_variants()
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    masked, clear = plan_for(("analyst",)), plan_for(("admin",))
    assert len(masked.masks) == 4 and clear.masks == ()
    for distinct, label in ((rows, "all phones distinct"), (1000, "1,000 distinct phones")):
        batches = make_table(rows, distinct).to_batches(max_chunksize=BATCH)
        print(f"-- {rows:,} rows, {label}")
        mask_only = timed("mask 4 columns (apply only)", batches, masked.apply)
        for result_format, name in ((0, "text"), (1, "binary")):
            base = timed(
                f"no masking + encode DataRows ({name})", batches, encode_after(clear, result_format)
            )
            full = timed(
                f"mask 4 columns + encode DataRows ({name})", batches, encode_after(masked, result_format)
            )
            print(f"ratio masked/unmasked ({name}): {full / base:.2f}x")
        print(f"masking alone: {mask_only * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
