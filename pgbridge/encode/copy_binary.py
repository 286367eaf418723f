"""COPY ... TO STDOUT (FORMAT binary): what Arrow-native readers (ADBC's PostgreSQL driver,
DuckDB's postgres scanner, polars through ADBC) read tables with.

PostgreSQL's binary COPY stream (copyto.c): the 11-byte signature PGCOPY\\n\\377\\r\\n\\0, an
int32 flags field and an int32 header-extension length (both 0), then per row an int16 field
count and per field an int32 length (-1 for NULL) and the value in its binary send format,
and finally an int16 -1. PostgreSQL sends each row as one CopyData message and the header in
the same message as the first row (it is buffered until the first row ends), the trailer in a
message of its own (with the header, when no row came).

A row's CopyData body is exactly a DataRow's body with every column in binary format, so the
rows are the DataRow encoder's (one vectorised way to lay rows out), retagged 'd'.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from pgbridge.encode.columns import BINARY
from pgbridge.encode.result import ResultEncoder
from pgbridge.encode.settings import EncodeSettings
from pgbridge.typemap import OutputColumn

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
TRAILER = struct.pack("!h", -1)


class CopyBinaryEncoder:
    def __init__(self, columns: Sequence[OutputColumn], settings: EncodeSettings) -> None:
        self.columns = list(columns)
        self._rows = ResultEncoder(self.columns, [BINARY] * len(self.columns), settings)
        self._header_pending = True

    def copy_out_response(self) -> bytes:
        """CopyOutResponse ('H'): overall binary format, every column binary."""
        count = len(self.columns)
        body = struct.pack("!bh", 1, count) + struct.pack(f"!{count}h", *[1] * count)
        return b"H" + struct.pack("!i", len(body) + 4) + body

    def encode(self, batch: pa.RecordBatch | pa.Table) -> bytes:
        """A CopyData message per row (the first one carrying the header)."""
        encoded = self._rows.encode_rows(batch)
        if not len(encoded):
            return b""
        data = bytearray(encoded.data)
        starts = np.concatenate(([0], encoded.ends[:-1]))
        tags = np.frombuffer(data, dtype=np.uint8)
        tags[starts] = ord("d")
        del tags  # the bytearray grows below: no view of it may remain
        if self._header_pending:
            self._header_pending = False
            length = struct.unpack_from("!i", data, 1)[0] + len(SIGNATURE)
            data[0:5] = b"d" + struct.pack("!i", length) + SIGNATURE
        return bytes(data)

    def finish(self) -> bytes:
        """The trailer's CopyData (with the header when no row was sent)."""
        payload = (SIGNATURE if self._header_pending else b"") + TRAILER
        self._header_pending = False
        return b"d" + struct.pack("!i", len(payload) + 4) + payload
