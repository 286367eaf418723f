"""Garbage in, PgError out: the decoders never raise anything else and never spin.

Seeded, so a failure reproduces. Two kinds of input: pure random bytes, and valid streams
with a few bytes flipped, which reach much deeper into the body parsers.
"""

from __future__ import annotations

import random
import struct

from pgbridge.wire import messages as m
from pgbridge.wire.codec import BackendDecoder, FrontendDecoder, encode, encode_frontend
from pgbridge.wire.errors import PgError
from tests.wire.test_codec import BACKEND, FRONTEND_TYPED, STARTUP

STARTUP_BYTES = encode_frontend(STARTUP)
VALID_TYPED = b"".join(encode_frontend(x) for x in FRONTEND_TYPED)
VALID_BACKEND = b"".join(encode(x) for x in BACKEND)


def drain(decoder: FrontendDecoder | BackendDecoder, data: bytes, rng: random.Random) -> None:
    """Feed in random chunks; each message consumes bytes, so the loop is bounded."""
    pos = 0
    steps = 0
    while pos < len(data):
        size = rng.randint(1, 64)
        decoder.feed(data[pos : pos + size])
        pos += size
        while True:
            steps += 1
            assert steps < 10 * len(data) + 100, "decoder is not making progress"
            try:
                msg = decoder.next_message()
            except PgError as err:
                assert err.sqlstate in ("08P01", "0A000")
                assert err.severity == "FATAL"
                if decoder.broken is not None:  # framing lost: sticky, nothing buffered
                    assert decoder.buffered_bytes == 0
                    return
                continue
            if msg is None:
                break


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        i = rng.randrange(len(buf))
        if choice < 0.6:
            buf[i] = rng.randrange(256)
        elif choice < 0.8:
            del buf[i]
        else:
            buf[i:i] = bytes([rng.randrange(256)])
    return bytes(buf)


def test_random_bytes_in_startup_phase() -> None:
    rng = random.Random(1)
    for _ in range(1500):
        data = rng.randbytes(rng.randint(0, 200))
        if rng.random() < 0.5:  # a plausible small length prefix reaches the packet parser
            data = struct.pack("!i", rng.randint(0, 40)) + data
        drain(FrontendDecoder(max_message_size=4096), data, rng)


def test_random_bytes_in_typed_phase() -> None:
    rng = random.Random(2)
    types = b"QPBDECHSXdcfFp"
    for _ in range(1500):
        body = rng.randbytes(rng.randint(0, 60))
        typed = bytes([rng.choice(types)]) + struct.pack("!i", len(body) + 4) + body
        data = STARTUP_BYTES + (typed if rng.random() < 0.7 else rng.randbytes(rng.randint(0, 200)))
        drain(FrontendDecoder(max_message_size=4096), data, rng)


def test_mutated_valid_frontend_streams() -> None:
    rng = random.Random(3)
    for _ in range(1500):
        drain(FrontendDecoder(max_message_size=4096), mutate(STARTUP_BYTES + VALID_TYPED, rng), rng)


def test_mutated_valid_backend_streams() -> None:
    rng = random.Random(4)
    for _ in range(1500):
        drain(BackendDecoder(max_message_size=4096), mutate(VALID_BACKEND, rng), rng)


def test_random_lengths_wait_rather_than_spin() -> None:
    decoder = FrontendDecoder()
    decoder.feed(STARTUP_BYTES + b"Q" + struct.pack("!i", 1_000_000) + b"abc")
    assert decoder.next_message() == STARTUP
    assert decoder.next_message() is None
    assert decoder.next_message() is None
    assert decoder.buffered_bytes == 8


def test_copy_data_stream_is_exact() -> None:
    rng = random.Random(5)
    payloads = [rng.randbytes(rng.randint(0, 300)) for _ in range(300)]
    data = STARTUP_BYTES + b"".join(encode_frontend(m.CopyData(p)) for p in payloads)
    decoder = FrontendDecoder()
    out = []
    for i in range(0, len(data), 97):
        decoder.feed(data[i : i + 97])
        while (msg := decoder.next_message()) is not None:
            out.append(msg)
    assert out == [STARTUP] + [m.CopyData(p) for p in payloads]
