"""String-like values: text family, "char", bytea, json/jsonb, uuid.

jsonb is the one that needs real work: PostgreSQL does not echo jsonb text, it prints its
parsed form (keys ordered by length then bytes, the last duplicate winning, ", " and ": "
separators, numbers in numeric's canonical form), so encode_text must do the same to be
byte-identical. Binary jsonb is a version byte (1) followed by that text.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from pgbridge.wire._numbers import format_numeric
from pgbridge.wire.errors import PgError, SqlState

_NAMEDATALEN = 64


def check_text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"text needs a str, not {type(value).__name__}")
    if "\0" in value:
        raise PgError(SqlState.CHARACTER_NOT_IN_REPERTOIRE, 'invalid byte sequence for encoding "UTF8": 0x00')
    return value


def parse_name(text: str) -> str:
    # namein truncates to NAMEDATALEN - 1 bytes, never splitting a character.
    raw = text.encode("utf-8")
    if len(raw) < _NAMEDATALEN:
        return text
    return raw[: _NAMEDATALEN - 1].decode("utf-8", "ignore")


# --- "char": one byte, shown as \ooo when it has the high bit set -----------------------------


def parse_char_text(text: str) -> str:
    if re.fullmatch(r"\\[0-7]{3}", text):
        return chr(int(text[1:], 8) & 0xFF)
    raw = text.encode("utf-8")
    return chr(raw[0]) if raw else ""


def format_char_text(value: object) -> str:
    code = _char_code(value)
    if code >= 0x80:
        return f"\\{code:03o}"
    return chr(code) if code else ""


def char_binary(value: object) -> bytes:
    return bytes([_char_code(value)])


def parse_char_binary(data: bytes) -> str:
    if len(data) != 1:
        raise ValueError
    return chr(data[0]) if data[0] else ""


def _char_code(value: object) -> int:
    if not isinstance(value, str) or len(value) > 1 or (value and ord(value) > 0xFF):
        raise TypeError('"char" needs a str of at most one Latin-1 character')
    return ord(value) if value else 0


# --- bytea ---------------------------------------------------------------------------------

_ESCAPE_RE = re.compile(rb"\\(\\|[0-3][0-7][0-7])")


def parse_bytea_text(text: str) -> bytes:
    if text.startswith("\\x"):
        return _parse_hex(text[2:])
    raw = text.encode("utf-8")
    if b"\\" not in raw:
        return raw
    _check_escapes(raw)
    return _ESCAPE_RE.sub(lambda m: m.group(1) if m.group(1) == b"\\" else bytes([int(m.group(1), 8)]), raw)


def _parse_hex(text: str) -> bytes:
    # hex_decode reports these as invalid parameter values (22023), not syntax errors.
    digits = re.sub(r"[ \t\n\r]", "", text)
    bad = re.search(r"[^0-9a-fA-F]", digits)
    if bad:
        raise PgError(SqlState.INVALID_PARAMETER_VALUE, f'invalid hexadecimal digit: "{bad.group(0)}"')
    if len(digits) % 2:
        raise PgError(SqlState.INVALID_PARAMETER_VALUE, "invalid hexadecimal data: odd number of digits")
    return bytes.fromhex(digits)


def _check_escapes(raw: bytes) -> None:
    # Every backslash must start \\ or \ooo; anything else is invalid input for bytea.
    stripped = _ESCAPE_RE.sub(b"", raw)
    if b"\\" in stripped:
        raise ValueError("invalid input syntax for type bytea")


def check_bytes(value: object) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"bytea needs bytes, not {type(value).__name__}")
    return bytes(value)


def format_bytea_text(value: object) -> str:
    return "\\x" + check_bytes(value).hex()


# --- json / jsonb ----------------------------------------------------------------------------


def _reject_constant(name: str) -> object:
    raise ValueError(f"Token \"{name}\" is invalid.")


def _loads(text: str) -> object:
    try:
        return json.loads(
            text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant,
            object_pairs_hook=dict,
        )
    except RecursionError:
        raise PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, "json value is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(exc.msg) from None


def parse_json(text: str) -> str:
    _loads(text)
    return text


def check_json(value: object) -> str:
    if isinstance(value, str):
        return check_text(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _dump_jsonb(value: object) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: (len(kv[0].encode("utf-8")), kv[0].encode("utf-8")))
        return "{" + ", ".join(f"{_dump_string(k)}: {_dump_jsonb(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump_jsonb(v) for v in value) + "]"
    if isinstance(value, str):
        return _dump_string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return format_numeric(value)


def _dump_string(text: str) -> str:
    if "\0" in text:
        raise ValueError("unsupported Unicode escape sequence: \\u0000 cannot be converted to text")
    return json.dumps(text, ensure_ascii=False)


def normalize_jsonb(text: str) -> str:
    """jsonb's canonical text, as jsonb_out prints it."""
    try:
        return _dump_jsonb(_loads(text))
    except RecursionError:
        raise PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, "json value is nested too deeply") from None


def parse_jsonb_binary(data: bytes) -> str:
    if not data or data[0] != 1:
        raise ValueError("unsupported jsonb version number")
    return parse_json(data[1:].decode("utf-8"))


def jsonb_binary(value: object) -> bytes:
    return b"\x01" + normalize_jsonb(check_json(value)).encode("utf-8")


# --- uuid ------------------------------------------------------------------------------------

_UUID_RE = re.compile(r"(\{)?([0-9a-f]{4}(?:-?[0-9a-f]{4}){7})(?(1)\})", re.ASCII | re.I)


def parse_uuid(text: str) -> str:
    match = _UUID_RE.fullmatch(text)
    if match is None:
        raise ValueError
    h = match.group(2).replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def check_uuid(value: object) -> str:
    return parse_uuid(str(value))  # accepts uuid.UUID too, without importing it


def uuid_binary(value: object) -> bytes:
    return bytes.fromhex(check_uuid(value).replace("-", ""))


def parse_uuid_binary(data: bytes) -> str:
    if len(data) != 16:
        raise ValueError
    return parse_uuid(data.hex())
