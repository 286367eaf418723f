"""Frontend (client -> server) message bodies: parse and build.

`parse_startup` and `parse_typed` turn one already-framed body into a message object;
`encode_frontend` does the reverse (clients and tests use it). Framing, buffering and the
size limit live in codec.py, so everything here sees exactly one message's bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from pgbridge.wire import messages as m
from pgbridge.wire._reader import BodyReader, protocol_violation
from pgbridge.wire._writer import encode_with, typed

_I32 = struct.Struct("!i")


def parse_startup(body: bytes) -> m.StartupPhaseMessage:
    """One startup-phase packet body (everything after the length word)."""
    reader = BodyReader(body, "startup packet")
    code = reader.uint32()
    if code == m.SSL_REQUEST_CODE or code == m.GSSENC_REQUEST_CODE:
        reader.end()
        return m.SSLRequest() if code == m.SSL_REQUEST_CODE else m.GSSENCRequest()
    if code == m.CANCEL_REQUEST_CODE:
        reader.what = "CancelRequest"
        message = m.CancelRequest(reader.int32(), reader.int32())
        reader.end()
        return message
    if code != m.PROTOCOL_3_0:
        raise protocol_violation(
            f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: server supports 3.0 to 3.0"
        )
    reader.what = "StartupMessage"
    return m.StartupMessage(code, _startup_parameters(reader))


def _startup_parameters(reader: BodyReader) -> dict[str, str]:
    # "A zero byte is required as a terminator after the last name/value pair."
    params: dict[str, str] = {}
    while True:
        name = reader.cstring()
        if not name:
            break
        params[name] = reader.cstring()
    reader.end()
    return params


def _query(r: BodyReader) -> m.Query:
    return m.Query(r.cstring())


def _parse(r: BodyReader) -> m.Parse:
    name, sql = r.cstring(), r.cstring()
    count = r.uint16()
    r.counted(count, 4)
    oids = tuple(r.uint32() for _ in range(count))
    return m.Parse(name, sql, oids)


def _bind(r: BodyReader) -> m.Bind:
    portal, statement = r.cstring(), r.cstring()
    return m.Bind(portal, statement, r.int16_list(), r.values(), r.int16_list())


def _kind_and_name(r: BodyReader) -> tuple[str, str]:
    kind = r.byte()
    if kind not in ("S", "P"):
        raise protocol_violation(f"invalid {r.what} message subtype {ord(kind)}: expected 'S' or 'P'")
    return kind, r.cstring()


def _describe(r: BodyReader) -> m.Describe:
    return m.Describe(*_kind_and_name(r))


def _close(r: BodyReader) -> m.Close:
    return m.Close(*_kind_and_name(r))


def _execute(r: BodyReader) -> m.Execute:
    return m.Execute(r.cstring(), r.int32())


def _function_call(r: BodyReader) -> m.FunctionCall:
    oid = r.uint32()
    formats = r.int16_list()
    args = r.values()
    return m.FunctionCall(oid, formats, args, r.int16())


_FLUSH, _SYNC, _TERMINATE, _COPY_DONE = m.Flush(), m.Sync(), m.Terminate(), m.CopyDone()

_PARSERS: dict[int, tuple[str, Callable[[BodyReader], m.FrontendMessage]]] = {
    ord("Q"): ("Query", _query),
    ord("P"): ("Parse", _parse),
    ord("B"): ("Bind", _bind),
    ord("D"): ("Describe", _describe),
    ord("E"): ("Execute", _execute),
    ord("C"): ("Close", _close),
    ord("H"): ("Flush", lambda r: _FLUSH),
    ord("S"): ("Sync", lambda r: _SYNC),
    ord("X"): ("Terminate", lambda r: _TERMINATE),
    ord("d"): ("CopyData", lambda r: m.CopyData(r.rest())),
    ord("c"): ("CopyDone", lambda r: _COPY_DONE),
    ord("f"): ("CopyFail", lambda r: m.CopyFail(r.cstring())),
    ord("F"): ("FunctionCall", _function_call),
    ord("p"): ("PasswordMessage", lambda r: m.PasswordMessage(r.cstring())),
}
FRONTEND_TYPES = frozenset(_PARSERS)


def parse_typed(type_byte: int, body: bytes) -> m.FrontendMessage:
    """One typed message body; `type_byte` must be in FRONTEND_TYPES."""
    if type_byte == 0x64:  # CopyData: the bulk path, no reader needed
        return m.CopyData(body)
    what, parser = _PARSERS[type_byte]
    reader = BodyReader(body, what)
    message = parser(reader)
    reader.end()
    return message


# --- encoding (clients, tests) ---------------------------------------------------------------


def _cstr(text: str) -> bytes:
    raw = text.encode("utf-8")
    if b"\0" in raw:
        raise ValueError(f"a protocol string cannot contain NUL: {text!r}")
    return raw + b"\0"


def _untyped(body: bytes) -> bytes:
    return _I32.pack(len(body) + 4) + body


def _int16s(values: tuple[int, ...]) -> bytes:
    return struct.pack(f"!H{len(values)}h", len(values), *values)


def _values(values: tuple[bytes | None, ...]) -> bytes:
    parts = [struct.pack("!H", len(values))]
    for value in values:
        parts.append(b"\xff\xff\xff\xff" if value is None else _I32.pack(len(value)) + value)
    return b"".join(parts)


def _encode_startup(msg: m.StartupMessage) -> bytes:
    pairs = b"".join(_cstr(k) + _cstr(v) for k, v in msg.parameters.items())
    return _untyped(struct.pack("!I", msg.protocol) + pairs + b"\0")


def _encode_parse(msg: m.Parse) -> bytes:
    oids = struct.pack(f"!H{len(msg.param_oids)}I", len(msg.param_oids), *msg.param_oids)
    return typed(b"P", _cstr(msg.name) + _cstr(msg.sql) + oids)


def _encode_bind(msg: m.Bind) -> bytes:
    body = _cstr(msg.portal) + _cstr(msg.statement) + _int16s(msg.param_formats)
    return typed(b"B", body + _values(msg.params) + _int16s(msg.result_formats))


def _encode_function_call(msg: m.FunctionCall) -> bytes:
    body = struct.pack("!I", msg.function_oid) + _int16s(msg.arg_formats) + _values(msg.args)
    return typed(b"F", body + struct.pack("!h", msg.result_format))


_ENCODERS: dict[type, Callable[..., bytes]] = {
    m.SSLRequest: lambda msg: _untyped(struct.pack("!I", m.SSL_REQUEST_CODE)),
    m.GSSENCRequest: lambda msg: _untyped(struct.pack("!I", m.GSSENC_REQUEST_CODE)),
    m.CancelRequest: lambda msg: _untyped(
        struct.pack("!Iii", m.CANCEL_REQUEST_CODE, msg.process_id, msg.secret_key)
    ),
    m.StartupMessage: _encode_startup,
    m.PasswordMessage: lambda msg: typed(b"p", _cstr(msg.password)),
    m.Query: lambda msg: typed(b"Q", _cstr(msg.sql)),
    m.Parse: _encode_parse,
    m.Bind: _encode_bind,
    m.Describe: lambda msg: typed(b"D", msg.kind.encode("ascii") + _cstr(msg.name)),
    m.Execute: lambda msg: typed(b"E", _cstr(msg.portal) + _I32.pack(msg.max_rows)),
    m.Close: lambda msg: typed(b"C", msg.kind.encode("ascii") + _cstr(msg.name)),
    m.Flush: lambda msg: b"H\0\0\0\x04",
    m.Sync: lambda msg: b"S\0\0\0\x04",
    m.Terminate: lambda msg: b"X\0\0\0\x04",
    m.CopyData: lambda msg: typed(b"d", bytes(msg.data)),
    m.CopyDone: lambda msg: b"c\0\0\0\x04",
    m.CopyFail: lambda msg: typed(b"f", _cstr(msg.message)),
    m.FunctionCall: _encode_function_call,
}


def encode_frontend(msg: m.FrontendMessage) -> bytes:
    """The bytes a client sends for `msg` (ValueError for a string holding NUL)."""
    return encode_with(_ENCODERS, msg, "frontend")
