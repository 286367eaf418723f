"""pgbridge.wire stays stdlib-only and fast enough for the row path."""

from __future__ import annotations

import subprocess
import sys
import time

from pgbridge.wire import messages as m
from pgbridge.wire.codec import BackendDecoder, FrontendDecoder, data_row, encode_frontend
from tests.wire.test_codec import STARTUP

# A guard against the row path becoming several times slower (a pass took 0.7-1.2 s
# with this 2-core machine at load 8), not a benchmark: bench/ measures speed.
MAX_SECONDS = 2.0


def test_wire_imports_no_io_or_arrow() -> None:
    code = (
        "import sys\n"
        "import pgbridge.wire, pgbridge.wire.codec, pgbridge.wire.values, pgbridge.wire.messages\n"
        "bad = sorted(n for n in ('socket', 'asyncio', 'pyarrow', 'ssl', 'selectors') if n in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _decode_all(decoder: BackendDecoder | FrontendDecoder, stream: bytes) -> tuple[int, float]:
    """Messages decoded and the fastest of three passes: a busy machine slows a pass, never
    speeds one, so the minimum measures the decoder rather than the neighbours."""
    passes = []
    for _ in range(3):
        fresh = type(decoder)()
        start = time.perf_counter()
        count = 0
        for i in range(0, len(stream), 65536):
            fresh.feed(stream[i : i + 65536])
            while fresh.next_message() is not None:
                count += 1
        passes.append((count, time.perf_counter() - start))
    return passes[0][0], min(elapsed for _, elapsed in passes)


def test_decode_100k_data_rows_fast() -> None:
    row = data_row([b"12345", b"some text value", None, b"2024-01-02 03:04:05+00"])
    count, elapsed = _decode_all(BackendDecoder(), row * 100_000)
    assert count == 100_000
    assert elapsed < MAX_SECONDS, f"{elapsed:.3f}s"


def test_decode_100k_frontend_messages_fast() -> None:
    bind = encode_frontend(m.Bind("", "s1", (1,), (b"\x00\x00\x00\x01",), (1,)))
    execute = encode_frontend(m.Execute("", 0))
    sync = encode_frontend(m.Sync())
    stream = encode_frontend(STARTUP) + (bind + execute + sync) * 33_334
    count, elapsed = _decode_all(FrontendDecoder(), stream)
    assert count == 1 + 3 * 33_334
    assert elapsed < MAX_SECONDS, f"{elapsed:.3f}s"
