"""A bounds-checked cursor over one message body.

Every read checks that the bytes are there, so a lying count or a missing NUL terminator
becomes a protocol error naming the message instead of an IndexError or a silent
misparse. Once a body is parsed, `end()` insists nothing is left over: trailing bytes mean
the client and we disagree about the format, and guessing would be unsafe.
"""

from __future__ import annotations

import struct

from pgbridge.wire.errors import PgError, SqlState

_I16 = struct.Struct("!h")
_U16 = struct.Struct("!H")
_I32 = struct.Struct("!i")
_U32 = struct.Struct("!I")


def protocol_violation(message: str) -> PgError:
    """08P01 FATAL: the byte stream cannot be trusted any more."""
    return PgError(SqlState.PROTOCOL_VIOLATION, message, severity="FATAL")


class BodyReader:
    __slots__ = ("data", "pos", "what")

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what  # message name, for error text

    def _need(self, n: int) -> int:
        start = self.pos
        if n < 0 or start + n > len(self.data):
            raise protocol_violation(f"invalid {self.what} message: insufficient data left in message")
        self.pos = start + n
        return start

    def int16(self) -> int:
        return int(_I16.unpack_from(self.data, self._need(2))[0])

    def uint16(self) -> int:
        return int(_U16.unpack_from(self.data, self._need(2))[0])

    def int32(self) -> int:
        return int(_I32.unpack_from(self.data, self._need(4))[0])

    def uint32(self) -> int:
        return int(_U32.unpack_from(self.data, self._need(4))[0])

    def byte(self) -> str:
        start = self._need(1)
        return chr(self.data[start])

    def raw(self, n: int) -> bytes:
        start = self._need(n)
        return self.data[start : start + n]

    def rest(self) -> bytes:
        start = self.pos
        self.pos = len(self.data)
        return self.data[start:]

    def cstring(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise protocol_violation(f"invalid {self.what} message: string is missing its NUL terminator")
        raw = self.data[self.pos : end]
        self.pos = end + 1
        return self.text(raw)

    def text(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise protocol_violation(
                f"invalid {self.what} message: invalid UTF-8 byte sequence at byte {exc.start}"
            ) from None

    def counted(self, count: int, width: int) -> None:
        """Refuse a count that cannot fit in what is left, before allocating for it."""
        if count * width > len(self.data) - self.pos:
            raise protocol_violation(f"invalid {self.what} message: count {count} exceeds the message length")

    def values(self) -> tuple[bytes | None, ...]:
        """An int16 count, then that many (int32 length or -1 for NULL, bytes) values."""
        count = self.uint16()
        self.counted(count, 4)
        out: list[bytes | None] = []
        for _ in range(count):
            length = self.int32()
            if length == -1:
                out.append(None)
            elif length < -1:
                raise protocol_violation(f"invalid {self.what} message: invalid value length {length}")
            else:
                out.append(self.raw(length))
        return tuple(out)

    def int16_list(self) -> tuple[int, ...]:
        count = self.uint16()
        self.counted(count, 2)
        start = self._need(2 * count)
        return struct.unpack_from(f"!{count}h", self.data, start)

    def end(self) -> None:
        if self.pos != len(self.data):
            raise protocol_violation(
                f"invalid {self.what} message: {len(self.data) - self.pos} unexpected bytes at its end"
            )
