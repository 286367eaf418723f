"""COPY ... TO STDOUT in text and CSV format, as CopyData messages (one per row, like PostgreSQL).

Values are the same text renderings as DataRow's text format; COPY then escapes them.
Text format (CopyAttributeOutText): backslash, the delimiter, and \\b \\f \\n \\r \\t \\v
become backslash sequences, NULL is \\N. CSV (CopyAttributeOutCSV): a value is quoted when
it holds the delimiter, a quote, CR or LF, or equals the NULL string (so an empty string is
"" and NULL is empty), or is \\. alone in a one-column copy; quotes inside are doubled.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pgbridge.encode import arrowutil as au
from pgbridge.encode.render import Renderers
from pgbridge.encode.result import join_rows
from pgbridge.encode.settings import EncodeSettings
from pgbridge.typemap import OutputColumn
from pgbridge.wire.errors import PgError, SqlState

_TEXT_ESCAPES = [("\b", "\\b"), ("\f", "\\f"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\v", "\\v")]


class CopyTextEncoder:
    def __init__(
        self,
        columns: Sequence[OutputColumn],
        settings: EncodeSettings,
        csv: bool = False,
        header: bool = False,
        delimiter: str | None = None,
        null: str | None = None,
    ) -> None:
        self.columns = list(columns)
        self.csv = csv
        self.delimiter = delimiter if delimiter is not None else ("," if csv else "\t")
        self.null = null if null is not None else ("" if csv else "\\N")
        self._check_options()
        self._header_pending = header
        self.renderers = Renderers(settings)

    def _check_options(self) -> None:
        if len(self.delimiter.encode()) != 1:
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED, "COPY delimiter must be a single one-byte character"
            )
        if self.delimiter in "\r\n" or (not self.csv and self.delimiter == "\\"):
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED,
                "COPY delimiter cannot be newline, carriage return or backslash",
            )
        if "\r" in self.null or "\n" in self.null:
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED,
                "COPY null representation cannot use newline or carriage return",
            )
        if self.csv and self.delimiter == '"':
            raise PgError(SqlState.FEATURE_NOT_SUPPORTED, "COPY delimiter and quote must be different")

    def copy_out_response(self) -> bytes:
        """CopyOutResponse ('H'): overall text format, every column text."""
        body = struct.pack("!bh", 0, len(self.columns)) + struct.pack(
            f"!{len(self.columns)}h", *[0] * len(self.columns)
        )
        return b"H" + struct.pack("!i", len(body) + 4) + body

    def encode(self, batch: pa.RecordBatch | pa.Table) -> bytes:
        """CopyData ('d') messages, one per row (plus the header line before the first batch)."""
        out = b""
        if self._header_pending:
            self._header_pending = False
            names = pa.array([c.name for c in self.columns], pa.string())
            line = self.delimiter.join(self._escape(names, single=len(self.columns) == 1).to_pylist()) + "\n"
            out = _copy_data(line.encode())
        if batch.num_rows == 0:
            return out
        fields = [
            self._escape(
                self.renderers.text(c.type, batch.column(i)).cast(pa.string()), single=len(self.columns) == 1
            )
            for i, c in enumerate(self.columns)
        ]
        if fields:
            lines = pc.binary_join_element_wise(
                *fields, self.delimiter, null_handling="replace", null_replacement=self.null
            )
        else:
            lines = pa.array([""] * batch.num_rows, pa.string())
        lengths = au.byte_lengths(lines) + 1 + 4
        header = np.zeros(len(lines), dtype=[("tag", "S1"), ("length", ">i4")])
        header["tag"], header["length"] = b"d", lengths
        head = au.from_matrix(header.view(np.uint8).reshape(len(lines), 5))
        return out + join_rows([head, au.as_binary(lines), au.const_binary(b"\n", len(lines))])

    def _escape(self, values: pa.Array, single: bool) -> pa.Array:
        return self._escape_csv(values, single) if self.csv else self._escape_text(values)

    def _escape_text(self, values: pa.Array) -> pa.Array:
        specials = "\\\b\f\n\r\t\v" + self.delimiter
        pattern = "[" + "".join(f"\\x{ord(c):02x}" if ord(c) < 0x80 else c for c in specials) + "]"
        if not pc.any(pc.match_substring_regex(values, pattern)).as_py():
            return values
        values = pc.replace_substring(values, "\\", "\\\\")
        for char, escaped in _TEXT_ESCAPES:
            values = pc.replace_substring(values, char, escaped)
        if self.delimiter not in "\b\f\n\r\t\v\\":
            values = pc.replace_substring(values, self.delimiter, "\\" + self.delimiter)
        return values

    def _escape_csv(self, values: pa.Array, single: bool) -> pa.Array:
        delimiter = f"\\x{ord(self.delimiter):02x}" if ord(self.delimiter) < 0x80 else self.delimiter
        needs = pc.match_substring_regex(values, f'[{delimiter}"\\r\\n]')
        needs = pc.or_(needs, pc.equal(values, self.null))
        if single:
            needs = pc.or_(needs, pc.equal(values, "\\."))
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
        return pc.if_else(needs, quoted, values)


    def finish(self) -> bytes:
        """Nothing follows the last row in text and CSV formats."""
        return b""


def _copy_data(payload: bytes) -> bytes:
    return b"d" + struct.pack("!i", len(payload) + 4) + payload
