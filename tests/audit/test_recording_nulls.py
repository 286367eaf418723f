"""A recording carries nothing from under a NULL: Arrow leaves a NULL slot's bytes as they were
in the producer's memory (found: a masked query's NULL sum carried clear phone digits a masking
view had read), and the IPC blob would copy them into the audit log."""

from __future__ import annotations

import pyarrow as pa
import zstandard

from pgbridge.audit.recording import decode_blob, encode_blob, scrubbed

SECRET = b"123-45-6789"


def _dirty_batch() -> pa.RecordBatch:
    # Two int64 slots whose bytes spell a secret, the first marked NULL: what a warehouse's
    # reused buffer can look like.
    values = pa.py_buffer(SECRET.ljust(16, b"\0"))
    validity = pa.py_buffer(bytes([0b10]))
    column = pa.Array.from_buffers(pa.int64(), 2, [validity, values], null_count=1)
    text = pa.array([None, "x"], pa.string())
    return pa.RecordBatch.from_arrays([column, text], names=["n", "t"])


def test_a_null_slots_bytes_do_not_reach_the_blob() -> None:
    dirty = _dirty_batch()
    assert SECRET[:8] in dirty.column(0).buffers()[1].to_pybytes()  # the test's premise
    clean = scrubbed(dirty)
    assert SECRET[:8] not in clean.column(0).buffers()[1].to_pybytes()
    assert clean.equals(dirty)  # the same values and NULLs
    blob = encode_blob(clean.schema, [clean], "s1", False)
    second = int.from_bytes(SECRET[8:].ljust(8, b"\0"), "little")
    assert decode_blob(blob).to_pylist() == [{"n": None, "t": None}, {"n": second, "t": "x"}]
    assert SECRET[:8] not in _raw(blob)


def _raw(blob: bytes) -> bytes:
    return zstandard.ZstdDecompressor().decompress(blob, max_output_size=1 << 20)


def test_a_batch_without_nulls_is_kept_as_it_is() -> None:
    batch = pa.RecordBatch.from_arrays([pa.array([1, 2])], names=["n"])
    assert scrubbed(batch) is batch
