"""Session settings (GUCs) answered locally with PostgreSQL's semantics.

Drivers SET and SHOW a handful of settings on connect and expect Postgres's answers: the
canonical spelling (`SHOW timezone` is a column named TimeZone), ParameterStatus when a
reported setting changes, 42704 for an unknown name, 55P02 for a read-only one. Values the
gateway cannot honour (a DateStyle other than ISO, an encoding other than UTF8) are refused
with 0A000 rather than accepted and silently ignored.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from pgbridge.wire.errors import PgError, SqlState, unsupported


@dataclass(frozen=True)
class Setting:
    name: str  # canonical spelling, as SHOW names its column
    default: str
    reported: bool = False  # sent as ParameterStatus on change (GUC_REPORT)
    read_only: bool = False
    normalize: Callable[[str], str] | None = None


def _bool(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("on", "true", "yes", "1", "t", "y"):
        return "on"
    if lowered in ("off", "false", "no", "0", "f", "n"):
        return "off"
    raise PgError(SqlState.INVALID_PARAMETER_VALUE, f"invalid boolean value: {value!r}")


def _must_be_on(name: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if _bool(value) != "on":
            raise unsupported(f"{name} = off")
        return "on"

    return check


def _encoding(value: str) -> str:
    if value.strip().strip("'").replace("-", "").replace("_", "").upper() in ("UTF8", "UNICODE"):
        return "UTF8"
    raise unsupported(f"client_encoding {value!r}", hint="pgbridge speaks UTF8 only")


def _datestyle(value: str) -> str:
    parts = {part.strip().upper() for part in value.split(",") if part.strip()}
    if (
        parts <= {"ISO", "MDY", "DMY", "YMD", "US", "EURO", "EUROPEAN", "NONEURO", "NONEUROPEAN"}
        and "ISO" in parts
    ):
        order = "DMY" if parts & {"DMY", "EURO", "EUROPEAN"} else "YMD" if "YMD" in parts else "MDY"
        return f"ISO, {order}"
    raise unsupported(f"DateStyle {value!r}", hint="pgbridge renders dates in ISO style only")


def _intervalstyle(value: str) -> str:
    if value.strip().lower() == "postgres":
        return "postgres"
    raise unsupported(f"IntervalStyle {value!r}", hint="pgbridge renders intervals in postgres style only")


def _timezone(value: str) -> str:
    text = value.strip()
    if text.upper() in ("UTC", "GMT", "Z", "ZULU", "UCT"):
        return "UTC" if text.upper() != "GMT" else "GMT"
    if text.lower() == "local" or text.upper() == "DEFAULT":
        return "UTC"
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise PgError(
            SqlState.INVALID_PARAMETER_VALUE, f'invalid value for parameter "TimeZone": "{text}"'
        ) from None
    return text


_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def _milliseconds(value: str) -> str:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*", value)
    if not match:
        raise PgError(SqlState.INVALID_PARAMETER_VALUE, f"invalid value for a time setting: {value!r}")
    number = float(match.group(1)) * _UNITS_MS[match.group(2) or "ms"]
    return str(int(number))


def _extra_float_digits(value: str) -> str:
    try:
        digits = int(value)
    except ValueError:
        raise PgError(
            SqlState.INVALID_PARAMETER_VALUE, f"invalid value for extra_float_digits: {value!r}"
        ) from None
    if not -15 <= digits <= 3:
        raise PgError(
            SqlState.INVALID_PARAMETER_VALUE,
            f'{digits} is outside the valid range for parameter "extra_float_digits" (-15 .. 3)',
        )
    return str(digits)


def _bytea_output(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("hex", "escape"):
        return lowered
    raise PgError(SqlState.INVALID_PARAMETER_VALUE, f'invalid value for parameter "bytea_output": "{value}"')


def _approval_mode(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("wait", "ticket", "default"):
        return lowered
    raise PgError(SqlState.INVALID_PARAMETER_VALUE, 'pgbridge.approval must be "wait" or "ticket"')


def _isolation(value: str) -> str:
    lowered = " ".join(value.strip().lower().replace("_", " ").split())
    if lowered in ("read committed", "read uncommitted", "repeatable read", "serializable"):
        return lowered
    raise PgError(
        SqlState.INVALID_PARAMETER_VALUE, f'invalid value for parameter "transaction_isolation": "{value}"'
    )


SETTINGS: tuple[Setting, ...] = (
    Setting("application_name", "", reported=True),
    Setting("client_encoding", "UTF8", reported=True, normalize=_encoding),
    Setting("DateStyle", "ISO, MDY", reported=True, normalize=_datestyle),
    Setting("IntervalStyle", "postgres", reported=True, normalize=_intervalstyle),
    Setting("TimeZone", "UTC", reported=True, normalize=_timezone),
    Setting("integer_datetimes", "on", reported=True, read_only=True),
    Setting("is_superuser", "off", reported=True, read_only=True),
    Setting("server_encoding", "UTF8", reported=True, read_only=True),
    Setting("server_version", "15.8", reported=True, read_only=True),
    Setting("server_version_num", "150008", read_only=True),
    Setting("session_authorization", "", reported=True, read_only=True),
    Setting(
        "standard_conforming_strings",
        "on",
        reported=True,
        normalize=_must_be_on("standard_conforming_strings"),
    ),
    Setting("default_transaction_read_only", "off", reported=True, normalize=_bool),
    Setting("in_hot_standby", "off", reported=True, read_only=True),
    Setting("search_path", '"$user", public'),
    Setting("statement_timeout", "0", normalize=_milliseconds),
    Setting("lock_timeout", "0", normalize=_milliseconds),
    Setting("idle_in_transaction_session_timeout", "0", normalize=_milliseconds),
    Setting("extra_float_digits", "1", normalize=_extra_float_digits),
    Setting("bytea_output", "hex", normalize=_bytea_output),
    Setting("transaction_isolation", "read committed", normalize=_isolation),
    Setting("default_transaction_isolation", "read committed", normalize=_isolation),
    Setting("transaction_read_only", "off", normalize=_bool),
    Setting("max_identifier_length", "63", read_only=True),
    Setting("lc_messages", "C"),
    Setting("lc_monetary", "C"),
    Setting("lc_numeric", "C"),
    Setting("lc_time", "C"),
    Setting("lc_collate", "C", read_only=True),
    Setting("lc_ctype", "C", read_only=True),
    Setting("row_security", "on", normalize=_bool),
    Setting("client_min_messages", "notice"),
    Setting("work_mem", "4MB"),
    Setting("geqo", "on", normalize=_bool),
    Setting("jit", "off", normalize=_bool),
    Setting("max_parallel_workers_per_gather", "2"),
    Setting("synchronous_commit", "on"),
    # pg_dump sets these before it reads (setup_connection); they change nothing a client sees.
    Setting("synchronize_seqscans", "on", normalize=_bool),
    Setting("quote_all_identifiers", "off", normalize=_bool),
    Setting("pgbridge.approval", "default", normalize=_approval_mode),
)

# What SHOW ALL says of each setting (PostgreSQL's own descriptions where it has the setting).
DESCRIPTIONS: dict[str, str] = {
    "application_name": "Sets the application name to be reported.",
    "client_encoding": "Sets the client's character set encoding.",
    "DateStyle": "Sets the display format for date and time values.",
    "IntervalStyle": "Sets the display format for interval values.",
    "TimeZone": "Sets the time zone for displaying and interpreting time stamps.",
    "integer_datetimes": "Shows whether datetimes are integer based.",
    "is_superuser": "Shows whether the current user is a superuser.",
    "server_encoding": "Shows the server (database) character set encoding.",
    "server_version": "Shows the server version.",
    "server_version_num": "Shows the server version as an integer.",
    "session_authorization": "Sets the session user name.",
    "standard_conforming_strings": "Causes '...' strings to treat backslashes literally.",
    "default_transaction_read_only": "Sets the default read-only status of new transactions.",
    "in_hot_standby": "Shows whether hot standby is currently active.",
    "search_path": "Sets the schema search order for names that are not schema-qualified.",
    "statement_timeout": "Sets the maximum allowed duration of any statement (ms).",
    "lock_timeout": "Accepted for compatibility; BigQuery takes no locks.",
    "idle_in_transaction_session_timeout": "Accepted for compatibility.",
    "extra_float_digits": "Sets the number of digits displayed for floating-point values.",
    "bytea_output": "Sets the output format for bytea.",
    "transaction_isolation": "Sets the current transaction's isolation level.",
    "default_transaction_isolation": "Sets the transaction isolation level of each new transaction.",
    "transaction_read_only": "Sets the current transaction's read-only status.",
    "max_identifier_length": "Shows the maximum identifier length.",
    "lc_messages": "Sets the language in which messages are displayed.",
    "lc_monetary": "Sets the locale for formatting monetary amounts.",
    "lc_numeric": "Sets the locale for formatting numbers.",
    "lc_time": "Sets the locale for formatting date and time values.",
    "lc_collate": "Shows the collation order locale.",
    "lc_ctype": "Shows the character classification and case conversion locale.",
    "row_security": "Enable row security.",
    "client_min_messages": "Sets the message levels that are sent to the client.",
    "work_mem": "Accepted for compatibility.",
    "geqo": "Accepted for compatibility.",
    "jit": "Accepted for compatibility.",
    "max_parallel_workers_per_gather": "Accepted for compatibility.",
    "synchronous_commit": "Accepted for compatibility.",
    "synchronize_seqscans": "Accepted for compatibility (pg_dump sets it).",
    "quote_all_identifiers": "Accepted for compatibility (pg_dump sets it).",
    "pgbridge.approval": "How this session waits for approvals: wait or ticket.",
}
_BY_NAME = {setting.name.lower(): setting for setting in SETTINGS}


@dataclass
class SessionSettings:
    """One session's settings, with the ParameterStatus changes not yet sent."""

    values: dict[str, str] = field(default_factory=dict)
    pending_reports: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    # SET LOCAL: the value each setting had before its first SET LOCAL in this transaction
    # block (None: a custom setting that was not set), restored when the block ends.
    before_local: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def initial(cls, overrides: dict[str, str]) -> SessionSettings:
        session = cls({s.name: s.default for s in SETTINGS})
        for name, value in overrides.items():
            setting = _BY_NAME[name.lower()]
            session.values[setting.name] = value
        return session

    def get(self, name: str) -> str:
        setting = _BY_NAME.get(name.lower())
        if setting is not None:
            return self.values[setting.name]
        if name.lower() in self.custom:
            return self.custom[name.lower()]
        raise PgError(SqlState.UNDEFINED_OBJECT, f'unrecognized configuration parameter "{name}"')

    def canonical_name(self, name: str) -> str:
        setting = _BY_NAME.get(name.lower())
        return setting.name if setting else name.lower()

    def set(self, name: str, value: str | None) -> None:
        """SET name = value (None: DEFAULT)."""
        setting = _BY_NAME.get(name.lower())
        if setting is None:
            # PostgreSQL accepts any two-part custom setting, but pgbridge's own namespace only
            # holds what it knows: `SET pgbridge.role = 'admin'` must not look like it worked.
            if "." in name and not name.lower().startswith("pgbridge."):
                self.custom[name.lower()] = value or ""
                return
            raise PgError(SqlState.UNDEFINED_OBJECT, f'unrecognized configuration parameter "{name}"')
        if setting.read_only:
            raise PgError(SqlState.CANT_CHANGE_RUNTIME_PARAM, f'parameter "{setting.name}" cannot be changed')
        new = setting.default if value is None else (setting.normalize(value) if setting.normalize else value)
        if new != self.values[setting.name] and setting.reported:
            self.pending_reports[setting.name] = new
        self.values[setting.name] = new

    def set_local(self, name: str, value: str | None) -> None:
        """SET LOCAL name = value: until the transaction block ends (end_transaction)."""
        key = self.canonical_name(name)
        if key not in self.before_local:
            known = _BY_NAME.get(key.lower()) is not None
            self.before_local[key] = self.get(key) if known else self.custom.get(key)
        self.set(name, value)

    def end_transaction(self) -> None:
        """The block ended: SET LOCAL values give way to what was there before (reported
        settings with a ParameterStatus, as for any change)."""
        for key, value in self.before_local.items():
            setting = _BY_NAME.get(key.lower())
            if setting is None:
                if value is None:
                    self.custom.pop(key, None)
                else:
                    self.custom[key] = value
            elif value is not None and value != self.values[setting.name]:
                if setting.reported:
                    self.pending_reports[setting.name] = value
                self.values[setting.name] = value
        self.before_local.clear()

    def reset_all(self) -> None:
        for setting in SETTINGS:
            if not setting.read_only and setting.name not in ("application_name", "session_authorization"):
                self.set(setting.name, None)
        self.custom.clear()

    def take_reports(self) -> dict[str, str]:
        reports, self.pending_reports = self.pending_reports, {}
        return reports

    def reported(self) -> dict[str, str]:
        return {s.name: self.values[s.name] for s in SETTINGS if s.reported}

    def show_all(self) -> list[tuple[str, str, str]]:
        return sorted(
            ((s.name, self.values[s.name], DESCRIPTIONS[s.name]) for s in SETTINGS),
            key=lambda r: r[0].lower(),
        )

    @property
    def statement_timeout_ms(self) -> int:
        return int(self.values["statement_timeout"])

    def search_path(self, user: str) -> tuple[str, ...]:
        return parse_search_path(self.values["search_path"], user)


def parse_search_path(value: str, user: str) -> tuple[str, ...]:
    """'"$user", public, "My Schema"' -> ('<user>', 'public', 'My Schema') following identifier rules."""
    names: list[str] = []
    for raw in _split_identifiers(value):
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            name = raw[1:-1].replace('""', '"')
        else:
            name = raw.lower()
        names.append(user if name == "$user" else name)
    return tuple(name for name in names if name)


def _split_identifiers(value: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]
