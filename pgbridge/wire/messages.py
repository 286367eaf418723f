"""PostgreSQL v3 protocol messages as plain data.

One frozen, slotted dataclass per message, named as in the PostgreSQL documentation
("Message Formats"). They carry no behaviour beyond small helpers that spell out protocol
rules a caller would otherwise repeat (how Bind's format-code lists apply). Turning them
into bytes and back is codec.py's job; keeping the two apart lets tests build messages
without touching the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- Frontend: startup phase (untyped, length-prefixed packets) ---------------------------


@dataclass(frozen=True, slots=True)
class SSLRequest:
    pass


@dataclass(frozen=True, slots=True)
class GSSENCRequest:
    pass


@dataclass(frozen=True, slots=True)
class CancelRequest:
    process_id: int
    secret_key: int


@dataclass(frozen=True, slots=True)
class StartupMessage:
    protocol: int
    parameters: dict[str, str] = field(default_factory=dict)


# --- Frontend: typed messages ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PasswordMessage:
    password: str


@dataclass(frozen=True, slots=True)
class Query:
    sql: str


@dataclass(frozen=True, slots=True)
class Parse:
    name: str
    sql: str
    param_oids: tuple[int, ...] = ()


def _format_at(formats: tuple[int, ...], index: int) -> int:
    # "zero to use the default format (text) for all; one to apply the single code to all;
    # or equal to the actual number" (protocol docs, Bind). A mismatched count is the
    # session's error to report, so an index past the list reads as text here.
    if not formats:
        return 0
    if len(formats) == 1:
        return formats[0]
    return formats[index] if index < len(formats) else 0


@dataclass(frozen=True, slots=True)
class Bind:
    portal: str
    statement: str
    param_formats: tuple[int, ...] = ()
    params: tuple[bytes | None, ...] = ()
    result_formats: tuple[int, ...] = ()

    def param_format(self, index: int) -> int:
        """The format code (0 text, 1 binary) that applies to parameter `index` (0-based)."""
        return _format_at(self.param_formats, index)

    def result_format(self, index: int) -> int:
        """The format code the client asked for result column `index` (0-based)."""
        return _format_at(self.result_formats, index)


@dataclass(frozen=True, slots=True)
class Describe:
    kind: str  # 'S' statement or 'P' portal
    name: str


@dataclass(frozen=True, slots=True)
class Execute:
    portal: str
    max_rows: int = 0  # 0: no limit


@dataclass(frozen=True, slots=True)
class Close:
    kind: str  # 'S' statement or 'P' portal
    name: str


@dataclass(frozen=True, slots=True)
class Flush:
    pass


@dataclass(frozen=True, slots=True)
class Sync:
    pass


@dataclass(frozen=True, slots=True)
class Terminate:
    pass


@dataclass(frozen=True, slots=True)
class CopyData:
    """Both directions: COPY payload bytes."""

    data: bytes


@dataclass(frozen=True, slots=True)
class CopyDone:
    """Both directions."""


@dataclass(frozen=True, slots=True)
class CopyFail:
    message: str


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """The legacy fast-path call; decoded only so the session can refuse it by name."""

    function_oid: int
    arg_formats: tuple[int, ...] = ()
    args: tuple[bytes | None, ...] = ()
    result_format: int = 0


# --- Backend -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthenticationOk:
    pass


@dataclass(frozen=True, slots=True)
class AuthenticationCleartextPassword:
    pass


@dataclass(frozen=True, slots=True)
class ParameterStatus:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class BackendKeyData:
    process_id: int
    secret_key: int


@dataclass(frozen=True, slots=True)
class ReadyForQuery:
    status: str  # 'I' idle, 'T' in transaction, 'E' in failed transaction


@dataclass(frozen=True, slots=True)
class FieldDescription:
    name: str
    table_oid: int = 0
    column_attnum: int = 0
    type_oid: int = 25
    type_size: int = -1
    type_modifier: int = -1
    format: int = 0


@dataclass(frozen=True, slots=True)
class RowDescription:
    fields: tuple[FieldDescription, ...]


@dataclass(frozen=True, slots=True)
class DataRow:
    values: tuple[bytes | None, ...]


@dataclass(frozen=True, slots=True)
class CommandComplete:
    tag: str


@dataclass(frozen=True, slots=True)
class EmptyQueryResponse:
    pass


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    fields: dict[str, str]  # field type code ('S', 'V', 'C', 'M', ...) -> value


@dataclass(frozen=True, slots=True)
class NoticeResponse:
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class ParseComplete:
    pass


@dataclass(frozen=True, slots=True)
class BindComplete:
    pass


@dataclass(frozen=True, slots=True)
class CloseComplete:
    pass


@dataclass(frozen=True, slots=True)
class NoData:
    pass


@dataclass(frozen=True, slots=True)
class ParameterDescription:
    oids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PortalSuspended:
    pass


@dataclass(frozen=True, slots=True)
class CopyOutResponse:
    format: int  # 0 text, 1 binary (overall)
    column_formats: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CopyInResponse:
    format: int
    column_formats: tuple[int, ...]


StartupPhaseMessage = SSLRequest | GSSENCRequest | CancelRequest | StartupMessage
FrontendMessage = (
    SSLRequest | GSSENCRequest | CancelRequest | StartupMessage | PasswordMessage | Query | Parse
    | Bind | Describe | Execute | Close | Flush | Sync | Terminate | CopyData | CopyDone | CopyFail
    | FunctionCall
)
BackendMessage = (
    AuthenticationOk | AuthenticationCleartextPassword | ParameterStatus | BackendKeyData
    | ReadyForQuery | RowDescription | DataRow | CommandComplete | EmptyQueryResponse
    | ErrorResponse | NoticeResponse | ParseComplete | BindComplete | CloseComplete | NoData
    | ParameterDescription | PortalSuspended | CopyOutResponse | CopyInResponse | CopyData | CopyDone
)

# Protocol constants (protocol docs, "Message Formats").
PROTOCOL_3_0 = 196608
SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104
CANCEL_REQUEST_CODE = 80877102
