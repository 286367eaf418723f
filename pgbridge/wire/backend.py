"""Backend (server -> client) messages: build and parse.

The builders are what the session calls on every statement, so the hot ones (DataRow,
RowDescription, CommandComplete, ReadyForQuery, ParameterStatus) are plain functions over
struct and bytes joins with constants prebuilt, and `encode` dispatches message objects to
them. ErrorResponse and NoticeResponse carry their fields in the order PostgreSQL sends them
(S, V, C, M, D, H, P) with S and V both holding the severity. The parsers exist for tests
and for clients written on top of this codec.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence

from pgbridge.typemap import OutputColumn
from pgbridge.wire import messages as m
from pgbridge.wire._reader import BodyReader, protocol_violation
from pgbridge.wire._writer import encode_with, typed
from pgbridge.wire.errors import PgError, SqlState

_I32 = struct.Struct("!i")
_DATA_ROW_HDR = struct.Struct("!ciH")
_FIELD = struct.Struct("!IhIhih")
_NULL = b"\xff\xff\xff\xff"

_READY = {s: b"Z\0\0\0\x05" + s.encode("ascii") for s in "ITE"}


def _cstr(text: str) -> bytes:
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raise PgError(SqlState.CHARACTER_NOT_IN_REPERTOIRE, f"text {text!r} is not valid UTF-8") from None
    if b"\0" in raw:
        raise PgError(SqlState.CHARACTER_NOT_IN_REPERTOIRE, 'invalid byte sequence for encoding "UTF8": 0x00')
    return raw + b"\0"


def ready_for_query(status: str) -> bytes:
    try:
        return _READY[status]
    except KeyError:
        raise ValueError(f"ReadyForQuery status must be 'I', 'T' or 'E', not {status!r}") from None


def command_complete(tag: str) -> bytes:
    return typed(b"C", _cstr(tag))


def parameter_status(name: str, value: str) -> bytes:
    return typed(b"S", _cstr(name) + _cstr(value))


def data_row(values: Sequence[bytes | None]) -> bytes:
    """One DataRow; each value is already encoded (text or binary), None is SQL NULL."""
    parts = [b""]
    append = parts.append
    pack = _I32.pack
    size = 6
    for value in values:
        if value is None:
            append(_NULL)
            size += 4
        else:
            append(pack(len(value)))
            append(value)
            size += 4 + len(value)
    parts[0] = _DATA_ROW_HDR.pack(b"D", size, len(values))
    return b"".join(parts)


def row_description(fields: Sequence[m.FieldDescription]) -> bytes:
    parts = [struct.pack("!H", len(fields))]
    for f in fields:
        parts.append(_cstr(f.name))
        parts.append(
            _FIELD.pack(f.table_oid, f.column_attnum, f.type_oid, f.type_size, f.type_modifier, f.format)
        )
    return typed(b"T", b"".join(parts))


def field_description(column: OutputColumn, format: int = 0) -> m.FieldDescription:
    """The RowDescription entry for a result column, in the format the client asked for."""
    return m.FieldDescription(
        column.name, column.table_oid, column.column_attnum, column.type.oid, column.type.typlen,
        column.type_modifier, format,
    )


def _field_list(fields: Iterable[tuple[str, str | None]]) -> bytes:
    # A NUL inside a message would cut the field short and desynchronise the client, and an
    # error must always be deliverable, so NULs are shown as \0 rather than refused.
    parts = []
    for code, value in fields:
        if value is not None:
            raw = value.encode("utf-8", "replace").replace(b"\0", b"\\0")
            parts.append(code.encode("ascii") + raw + b"\0")
    parts.append(b"\0")
    return b"".join(parts)


def notice_response(
    severity: str, sqlstate: str, message: str, detail: str | None = None, hint: str | None = None
) -> bytes:
    fields = (("S", severity), ("V", severity), ("C", sqlstate), ("M", message), ("D", detail), ("H", hint))
    return typed(b"N", _field_list(fields))


def error_response(err: PgError) -> bytes:
    position = None if err.position is None else str(err.position)
    fields = (
        ("S", err.severity), ("V", err.severity), ("C", err.sqlstate), ("M", err.message),
        ("D", err.detail), ("H", err.hint), ("P", position),
    )
    return typed(b"E", _field_list(fields))


def _copy_response(code: bytes, overall: int, formats: tuple[int, ...]) -> bytes:
    return typed(code, struct.pack(f"!bH{len(formats)}h", overall, len(formats), *formats))


_ENCODERS: dict[type, Callable[..., bytes]] = {
    m.AuthenticationOk: lambda msg: b"R\0\0\0\x08\0\0\0\0",
    m.AuthenticationCleartextPassword: lambda msg: b"R\0\0\0\x08\0\0\0\x03",
    m.ParameterStatus: lambda msg: parameter_status(msg.name, msg.value),
    m.BackendKeyData: lambda msg: typed(b"K", struct.pack("!ii", msg.process_id, msg.secret_key)),
    m.ReadyForQuery: lambda msg: ready_for_query(msg.status),
    m.RowDescription: lambda msg: row_description(msg.fields),
    m.DataRow: lambda msg: data_row(msg.values),
    m.CommandComplete: lambda msg: command_complete(msg.tag),
    m.EmptyQueryResponse: lambda msg: b"I\0\0\0\x04",
    m.ErrorResponse: lambda msg: typed(b"E", _field_list(msg.fields.items())),
    m.NoticeResponse: lambda msg: typed(b"N", _field_list(msg.fields.items())),
    m.ParseComplete: lambda msg: b"1\0\0\0\x04",
    m.BindComplete: lambda msg: b"2\0\0\0\x04",
    m.CloseComplete: lambda msg: b"3\0\0\0\x04",
    m.NoData: lambda msg: b"n\0\0\0\x04",
    m.ParameterDescription: lambda msg: typed(
        b"t", struct.pack(f"!H{len(msg.oids)}I", len(msg.oids), *msg.oids)
    ),
    m.PortalSuspended: lambda msg: b"s\0\0\0\x04",
    m.CopyOutResponse: lambda msg: _copy_response(b"H", msg.format, msg.column_formats),
    m.CopyInResponse: lambda msg: _copy_response(b"G", msg.format, msg.column_formats),
    m.CopyData: lambda msg: typed(b"d", bytes(msg.data)),
    m.CopyDone: lambda msg: b"c\0\0\0\x04",
}


def encode(msg: m.BackendMessage) -> bytes:
    """The bytes the server sends for `msg`."""
    return encode_with(_ENCODERS, msg, "backend")


# --- parsing (tests, clients) ----------------------------------------------------------------


def _authentication(r: BodyReader) -> m.BackendMessage:
    code = r.int32()
    if code == 0:
        return m.AuthenticationOk()
    if code == 3:
        return m.AuthenticationCleartextPassword()
    raise PgError(
        SqlState.FEATURE_NOT_SUPPORTED, f"authentication request {code} is not supported", severity="FATAL"
    )


def _fields(r: BodyReader) -> dict[str, str]:
    fields: dict[str, str] = {}
    while True:
        code = r.byte()
        if code == "\0":
            return fields
        fields[code] = r.cstring()


def _row_description(r: BodyReader) -> m.RowDescription:
    count = r.uint16()
    r.counted(count, 19)
    fields = []
    for _ in range(count):
        name = r.cstring()
        table_oid, attnum, type_oid, size, modifier, fmt = _FIELD.unpack(r.raw(_FIELD.size))
        fields.append(m.FieldDescription(name, table_oid, attnum, type_oid, size, modifier, fmt))
    return m.RowDescription(tuple(fields))


def _ready(r: BodyReader) -> m.ReadyForQuery:
    status = r.byte()
    if status not in ("I", "T", "E"):
        raise protocol_violation(f"invalid ReadyForQuery status {status!r}")
    return m.ReadyForQuery(status)


def _copy_response_parser(
    cls: type[m.CopyOutResponse] | type[m.CopyInResponse],
) -> Callable[[BodyReader], m.BackendMessage]:
    def parse(r: BodyReader) -> m.BackendMessage:
        overall = r.raw(1)[0]
        return cls(overall, r.int16_list())

    return parse


def _parameter_description(r: BodyReader) -> m.ParameterDescription:
    count = r.uint16()
    r.counted(count, 4)
    return m.ParameterDescription(tuple(r.uint32() for _ in range(count)))


_PARSERS: dict[int, tuple[str, Callable[[BodyReader], m.BackendMessage]]] = {
    ord("R"): ("Authentication", _authentication),
    ord("S"): ("ParameterStatus", lambda r: m.ParameterStatus(r.cstring(), r.cstring())),
    ord("K"): ("BackendKeyData", lambda r: m.BackendKeyData(r.int32(), r.int32())),
    ord("Z"): ("ReadyForQuery", _ready),
    ord("T"): ("RowDescription", _row_description),
    ord("D"): ("DataRow", lambda r: m.DataRow(r.values())),
    ord("C"): ("CommandComplete", lambda r: m.CommandComplete(r.cstring())),
    ord("I"): ("EmptyQueryResponse", lambda r: m.EmptyQueryResponse()),
    ord("E"): ("ErrorResponse", lambda r: m.ErrorResponse(_fields(r))),
    ord("N"): ("NoticeResponse", lambda r: m.NoticeResponse(_fields(r))),
    ord("1"): ("ParseComplete", lambda r: m.ParseComplete()),
    ord("2"): ("BindComplete", lambda r: m.BindComplete()),
    ord("3"): ("CloseComplete", lambda r: m.CloseComplete()),
    ord("n"): ("NoData", lambda r: m.NoData()),
    ord("t"): ("ParameterDescription", _parameter_description),
    ord("s"): ("PortalSuspended", lambda r: m.PortalSuspended()),
    ord("H"): ("CopyOutResponse", _copy_response_parser(m.CopyOutResponse)),
    ord("G"): ("CopyInResponse", _copy_response_parser(m.CopyInResponse)),
    ord("d"): ("CopyData", lambda r: m.CopyData(r.rest())),
    ord("c"): ("CopyDone", lambda r: m.CopyDone()),
}
BACKEND_TYPES = frozenset(_PARSERS)


def parse_backend(type_byte: int, body: bytes) -> m.BackendMessage:
    """One backend message body; `type_byte` must be in BACKEND_TYPES."""
    what, parser = _PARSERS[type_byte]
    reader = BodyReader(body, what)
    message = parser(reader)
    reader.end()
    return message
