"""Message bytes, for both directions (backend.py, frontend.py).

A typed message is its type byte, then an int32 length that counts itself and the body but not
the type byte, then the body (protocol docs, "Message Formats"). A message given as an object
goes to its encoder through a table keyed by its class, one table per direction.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping

_HDR = struct.Struct("!ci")


def typed(code: bytes, body: bytes) -> bytes:
    return _HDR.pack(code, len(body) + 4) + body


def encode_with(encoders: Mapping[type, Callable[..., bytes]], msg: object, direction: str) -> bytes:
    """`msg`'s bytes, by its class's entry in `encoders` (TypeError: not a `direction` message)."""
    try:
        encoder = encoders[type(msg)]
    except KeyError:
        raise TypeError(f"not a {direction} message: {msg!r}") from None
    return encoder(msg)
