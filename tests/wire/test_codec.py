"""Byte-level tests of every protocol message: known bytes, round trips, framing, limits."""

from __future__ import annotations

import random
import struct

import pytest

from pgbridge.wire import messages as m
from pgbridge.wire.codec import (
    BackendDecoder,
    FrontendDecoder,
    command_complete,
    data_row,
    encode,
    encode_frontend,
    error_response,
    notice_response,
    parameter_status,
    ready_for_query,
    row_description,
)
from pgbridge.wire.errors import PgError, SqlState

STARTUP = m.StartupMessage(196608, {"user": "alice", "database": "shop", "application_name": "psql"})

FRONTEND_TYPED: list[m.FrontendMessage] = [
    m.PasswordMessage("eyJhbGciOi.token.sig"),
    m.Query("SELECT 1; SELECT 'é'"),
    m.Query(""),
    m.Parse("s1", "SELECT $1::int8, $2", (20, 0)),
    m.Parse("", "SELECT 1", ()),
    m.Parse("big", "SELECT $1", (4294967295,)),
    m.Bind("p1", "s1", (1, 0), (b"\x00\x00\x00\x00\x00\x00\x00\x07", None), (1,)),
    m.Bind("", "", (), (), ()),
    m.Bind("", "", (0,), (b"",), ()),
    m.Describe("S", "s1"),
    m.Describe("P", ""),
    m.Execute("p1", 0),
    m.Execute("", 100),
    m.Close("S", "s1"),
    m.Close("P", "p1"),
    m.Flush(),
    m.Sync(),
    m.Terminate(),
    m.CopyData(b"1\tfoo\n"),
    m.CopyData(b""),
    m.CopyDone(),
    m.CopyFail("client gave up"),
    m.FunctionCall(1598, (1,), (b"\x00\x01", None), 1),
]
FRONTEND_STARTUP: list[m.FrontendMessage] = [
    m.SSLRequest(),
    m.GSSENCRequest(),
    m.CancelRequest(1234, -5678),
    STARTUP,
    m.StartupMessage(196608, {}),
]
BACKEND: list[m.BackendMessage] = [
    m.AuthenticationOk(),
    m.AuthenticationCleartextPassword(),
    m.ParameterStatus("server_version", "15.0"),
    m.BackendKeyData(42, -7),
    m.ReadyForQuery("I"),
    m.ReadyForQuery("T"),
    m.ReadyForQuery("E"),
    m.RowDescription(()),
    m.RowDescription(
        (m.FieldDescription("id", 16384, 1, 20, 8, -1, 0), m.FieldDescription("näme", 0, 0, 25, -1, -1, 1))
    ),
    m.DataRow(()),
    m.DataRow((b"1", None, b"", "é".encode())),
    m.CommandComplete("SELECT 2"),
    m.EmptyQueryResponse(),
    m.ErrorResponse(
        {"S": "ERROR", "V": "ERROR", "C": "42P01", "M": 'relation "x" does not exist', "P": "15"}
    ),
    m.NoticeResponse({"S": "NOTICE", "V": "NOTICE", "C": "00000", "M": "waiting for approval"}),
    m.ParseComplete(),
    m.BindComplete(),
    m.CloseComplete(),
    m.NoData(),
    m.ParameterDescription((20, 25, 4294967295)),
    m.ParameterDescription(()),
    m.PortalSuspended(),
    m.CopyOutResponse(0, (0, 0)),
    m.CopyInResponse(1, (1,)),
    m.CopyData(b"row\n"),
    m.CopyDone(),
]


def decode_all_frontend(data: bytes, chunks: list[int] | None = None) -> list[m.FrontendMessage]:
    decoder = FrontendDecoder()
    out: list[m.FrontendMessage] = []
    pos = 0
    for size in chunks or [len(data)]:
        decoder.feed(data[pos : pos + size])
        pos += size
        while (msg := decoder.next_message()) is not None:
            out.append(msg)
    assert decoder.buffered_bytes == 0
    return out


def test_known_bytes() -> None:
    assert ready_for_query("I") == b"Z\x00\x00\x00\x05I"
    assert encode(m.ReadyForQuery("E")) == b"Z\x00\x00\x00\x05E"
    assert command_complete("SELECT 1") == b"C\x00\x00\x00\x0dSELECT 1\x00"
    assert parameter_status("a", "b") == b"S\x00\x00\x00\x08a\x00b\x00"
    assert data_row([b"1", None]) == b"D\x00\x00\x00\x0f\x00\x02\x00\x00\x00\x011\xff\xff\xff\xff"
    assert encode(m.AuthenticationOk()) == b"R\x00\x00\x00\x08\x00\x00\x00\x00"
    assert encode(m.AuthenticationCleartextPassword()) == b"R\x00\x00\x00\x08\x00\x00\x00\x03"
    assert encode(m.BackendKeyData(1, 2)) == b"K\x00\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x00\x02"
    assert encode_frontend(m.SSLRequest()) == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"
    assert encode_frontend(m.Sync()) == b"S\x00\x00\x00\x04"
    assert encode_frontend(m.Query("SELECT 1")) == b"Q\x00\x00\x00\x0dSELECT 1\x00"
    field = m.FieldDescription("a", 0, 0, 23, 4, -1, 0)
    assert row_description([field]) == (
        b"T\x00\x00\x00\x1a\x00\x01a\x00" + b"\x00" * 6 + b"\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00"
    )


def test_error_response_field_order_and_bytes() -> None:
    err = PgError(SqlState.SYNTAX_ERROR, "syntax error", detail="d", hint="h", position=8)
    body = b"SERROR\x00VERROR\x00C42601\x00Msyntax error\x00Dd\x00Hh\x00P8\x00\x00"
    assert error_response(err) == b"E" + struct.pack("!i", len(body) + 4) + body
    fatal = PgError(SqlState.PROTOCOL_VIOLATION, "bad", severity="FATAL")
    decoder = BackendDecoder()
    decoder.feed(error_response(fatal))
    assert decoder.next_message() == m.ErrorResponse(
        {"S": "FATAL", "V": "FATAL", "C": "08P01", "M": "bad"}
    )
    decoder.feed(notice_response("WARNING", "01000", "careful", hint="look"))
    assert decoder.next_message() == m.NoticeResponse(
        {"S": "WARNING", "V": "WARNING", "C": "01000", "M": "careful", "H": "look"}
    )


def test_error_response_with_nul_stays_well_framed() -> None:
    decoder = BackendDecoder()
    decoder.feed(error_response(PgError("22021", "bad \x00 byte")))
    msg = decoder.next_message()
    assert isinstance(msg, m.ErrorResponse)
    assert msg.fields["M"] == "bad \\0 byte"


@pytest.mark.parametrize("msg", FRONTEND_STARTUP + [STARTUP, *FRONTEND_TYPED], ids=repr)
def test_frontend_round_trip(msg: m.FrontendMessage) -> None:
    if isinstance(msg, m.StartupMessage | m.CancelRequest | m.SSLRequest | m.GSSENCRequest):
        stream = encode_frontend(msg)
        assert decode_all_frontend(stream) == [msg]
    else:
        stream = encode_frontend(STARTUP) + encode_frontend(msg)
        assert decode_all_frontend(stream) == [STARTUP, msg]


@pytest.mark.parametrize("msg", BACKEND, ids=repr)
def test_backend_round_trip(msg: m.BackendMessage) -> None:
    decoder = BackendDecoder()
    data = encode(msg)
    decoder.feed(data)
    assert decoder.next_message() == msg
    assert decoder.next_message() is None
    assert decoder.buffered_bytes == 0


def test_bind_format_helpers() -> None:
    assert m.Bind("", "", (), (b"1", b"2"), ()).param_format(1) == 0
    assert m.Bind("", "", (1,), (b"1", b"2"), (1,)).param_format(1) == 1
    bind = m.Bind("", "", (0, 1), (b"1", b"2"), (1, 0))
    assert (bind.param_format(0), bind.param_format(1)) == (0, 1)
    assert (bind.result_format(0), bind.result_format(1)) == (1, 0)


def full_stream() -> tuple[bytes, list[m.FrontendMessage]]:
    msgs: list[m.FrontendMessage] = [m.SSLRequest()]
    # SSLRequest must be alone in the buffer, so the chunked tests start after it.
    msgs = [STARTUP, *FRONTEND_TYPED]
    return b"".join(encode_frontend(x) for x in msgs), msgs


def test_byte_by_byte_and_random_chunks_agree() -> None:
    data, expected = full_stream()
    assert decode_all_frontend(data, [1] * len(data)) == expected
    rng = random.Random(7)
    for _ in range(200):
        chunks = []
        left = len(data)
        while left:
            size = min(left, rng.randint(1, 40))
            chunks.append(size)
            left -= size
        assert decode_all_frontend(data, chunks) == expected


def test_backend_byte_by_byte() -> None:
    data = b"".join(encode(x) for x in BACKEND)
    decoder = BackendDecoder()
    got: list[m.BackendMessage] = []
    for i in range(len(data)):
        decoder.feed(data[i : i + 1])
        while (msg := decoder.next_message()) is not None:
            got.append(msg)
    assert got == BACKEND


def test_switches_to_typed_phase_only_after_startup() -> None:
    decoder = FrontendDecoder()
    assert decoder.in_startup_phase
    decoder.feed(encode_frontend(m.SSLRequest()))
    assert decoder.next_message() == m.SSLRequest()
    assert decoder.in_startup_phase
    decoder.feed(encode_frontend(STARTUP))
    assert decoder.next_message() == STARTUP
    assert not decoder.in_startup_phase


def expect_fatal(data: bytes, fragment: str, startup: bool = False) -> PgError:
    decoder = FrontendDecoder(max_message_size=1024)
    decoder.feed(data if startup else encode_frontend(STARTUP) + data)
    with pytest.raises(PgError) as info:
        while decoder.next_message() is not None:
            pass
    err = info.value
    assert (err.sqlstate, err.severity) == ("08P01", "FATAL")
    assert fragment in err.message, err.message
    return err


def test_malformed_typed_messages() -> None:
    expect_fatal(b"?\x00\x00\x00\x04", "invalid frontend message type 63")
    expect_fatal(b"Q\x00\x00\x00\x02", "invalid message length 2")
    expect_fatal(b"Q\x00\x00\x00\x07abc", "missing its NUL terminator")
    expect_fatal(b"Q\x00\x00\x00\x09abc\x00x", "1 unexpected bytes at its end")
    expect_fatal(b"Q\x00\x00\x00\x07\xff\xfe\x00", "invalid UTF-8")
    expect_fatal(b"S\x00\x00\x00\x05x", "unexpected bytes")
    expect_fatal(b"D\x00\x00\x00\x06X\x00", "invalid Describe message subtype 88")
    expect_fatal(b"B\x00\x00\x00\x0a\x00\x00\xff\xff\x00\x00", "count 65535 exceeds")
    bad_len = b"\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00"
    expect_fatal(b"B" + struct.pack("!i", 4 + len(bad_len)) + bad_len, "invalid value length -2")


def test_malformed_startup_packets() -> None:
    expect_fatal(b"\x00\x00\x00\x04", "invalid length of startup packet", startup=True)
    expect_fatal(struct.pack("!ii", 8, 0x00020000), "unsupported frontend protocol 2.0", startup=True)
    expect_fatal(struct.pack("!ii", 8, 196609), "unsupported frontend protocol 3.1", startup=True)
    expect_fatal(struct.pack("!ii", 12, 196608) + b"user", "NUL terminator", startup=True)
    expect_fatal(struct.pack("!ii", 14, 196608) + b"u\0v\0\0x", "unexpected bytes", startup=True)
    expect_fatal(struct.pack("!iiiii", 20, 80877102, 1, 2, 3), "unexpected bytes", startup=True)
    ssl_then_data = encode_frontend(m.SSLRequest()) + b"\x16\x03\x01"
    expect_fatal(ssl_then_data, "unencrypted data after SSL request", startup=True)


def test_framing_error_is_sticky_and_stops_buffering() -> None:
    decoder = FrontendDecoder()
    decoder.feed(encode_frontend(STARTUP) + b"\x01junk")
    decoder.next_message()
    for _ in range(2):
        with pytest.raises(PgError, match="invalid frontend message type 1"):
            decoder.next_message()
    decoder.feed(b"x" * 1000)
    assert decoder.buffered_bytes == 0


def test_body_error_leaves_framing_usable() -> None:
    decoder = FrontendDecoder()
    decoder.feed(encode_frontend(STARTUP) + b"Q\x00\x00\x00\x05x" + encode_frontend(m.Sync()))
    decoder.next_message()
    with pytest.raises(PgError):
        decoder.next_message()
    assert decoder.next_message() == m.Sync()


def test_oversized_message_refused_before_body_arrives() -> None:
    decoder = FrontendDecoder(max_message_size=1000)
    decoder.feed(encode_frontend(STARTUP))
    decoder.next_message()
    decoder.feed(b"Q" + struct.pack("!i", 1001))
    with pytest.raises(PgError) as info:
        decoder.next_message()
    assert info.value.message == "message of 1001 bytes exceeds the limit of 1000"
    assert (info.value.sqlstate, info.value.severity) == ("08P01", "FATAL")
    assert decoder.buffered_bytes == 0
    # at the limit is fine
    ok = FrontendDecoder(max_message_size=1000)
    ok.feed(encode_frontend(STARTUP) + encode_frontend(m.Query("x" * 995)))
    assert ok.next_message() == STARTUP
    assert ok.next_message() == m.Query("x" * 995)


def test_default_limit_is_64_mib_and_adjustable() -> None:
    decoder = FrontendDecoder()
    assert decoder.max_message_size == 64 * 1024 * 1024
    decoder.max_message_size = 100
    decoder.feed(encode_frontend(STARTUP) + b"p" + struct.pack("!i", 10_000))
    decoder.next_message()
    with pytest.raises(PgError, match="message of 10000 bytes exceeds the limit of 100"):
        decoder.next_message()


def test_startup_packet_limit_applies_before_authentication() -> None:
    decoder = FrontendDecoder()
    decoder.feed(struct.pack("!ii", 10_001, 196608))
    with pytest.raises(PgError, match="startup packet of 10001 bytes exceeds the limit of 10000"):
        decoder.next_message()


def test_unknown_type_refused_at_first_byte() -> None:
    decoder = FrontendDecoder()
    decoder.feed(encode_frontend(STARTUP) + b"G")  # CopyInResponse is a backend type
    decoder.next_message()
    with pytest.raises(PgError, match="invalid frontend message type 71"):
        decoder.next_message()


def test_encoders_refuse_nul_in_strings() -> None:
    with pytest.raises(PgError) as info:
        command_complete("SELECT\x001")
    assert info.value.sqlstate == "22021"
    with pytest.raises(ValueError):
        encode_frontend(m.Query("a\x00b"))
    with pytest.raises(ValueError):
        ready_for_query("X")
    with pytest.raises(TypeError):
        encode(m.Query("x"))  # type: ignore[arg-type]


def test_field_description_from_output_column() -> None:
    from pgbridge.typemap import PG_TYPES, OutputColumn
    from pgbridge.wire.codec import field_description

    column = OutputColumn("total", PG_TYPES["numeric"], type_modifier=-1, table_oid=16400, column_attnum=3)
    assert field_description(column, 1) == m.FieldDescription("total", 16400, 3, 1700, -1, -1, 1)
    assert field_description(OutputColumn("n", PG_TYPES["int8"])).type_size == 8
