"""Parsers for SET, RESET, SHOW, transaction control, DISCARD, DEALLOCATE, FETCH, CLOSE, LISTEN, LOCK.

Each takes the statement (its text and tokens) and returns (command, CommandComplete tag). The grammar
follows PostgreSQL's gram.y (VariableSetStmt, VariableShowStmt, TransactionStmt, FetchStmt,
...), including its special forms: SET TIME ZONE, SET NAMES, SET SCHEMA, SET SESSION
CHARACTERISTICS, SHOW TRANSACTION ISOLATION LEVEL.
"""

from __future__ import annotations

import re

from pgbridge.sql.statements.cursor import Cursor, Lexeme, syntax_error
from pgbridge.sql.statements.model import (
    CloseCommand,
    DeallocateCommand,
    DiscardCommand,
    FetchCommand,
    ListenCommand,
    LockCommand,
    ResetCommand,
    SetCommand,
    ShowCommand,
    TransactionCommand,
)
from pgbridge.sql.statements.tokens import Source

# Settings whose list values PostgreSQL quotes like identifiers when it shows them.
_LIST_QUOTE = {
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
}
# SET/SHOW/RESET spellings that name a setting differently from the setting itself.
_SPECIAL_NAMES = {
    ("time", "zone"): "timezone",
    ("session", "authorization"): "session_authorization",
    ("transaction", "isolation"): "transaction_isolation",
}
_PLAIN_IDENT = re.compile(r"[a-z_][a-z0-9_$]*")


def quote_ident(name: str) -> str:
    """PostgreSQL's quote_ident: quote unless the name is a plain lower-case identifier."""
    if _PLAIN_IDENT.fullmatch(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def parse_set(source: Source) -> tuple[SetCommand, str]:
    cur = Cursor(source)
    cur.expect("set")
    local = cur.accept("local")
    if not local and not cur.is_word("authorization", offset=1):
        cur.accept("session")
    if cur.is_word("characteristics"):
        cur.expect("characteristics")
        cur.expect("as")
        cur.expect("transaction")
        return _transaction_modes_set(cur, "default_", local), "SET"
    if cur.accept("transaction"):
        return _transaction_modes_set(cur, "", local), "SET"
    return _set_variable(cur, local), "SET"


def _set_variable(cur: Cursor, local: bool) -> SetCommand:
    if cur.accept("time"):
        cur.expect("zone")
        return SetCommand("timezone", _time_zone_value(cur), local)
    if cur.accept("names"):
        return SetCommand("client_encoding", _values(cur, "client_encoding"), local)
    if cur.accept("schema"):
        return SetCommand("search_path", _values(cur, "search_path"), local)
    if cur.is_word("session") and cur.is_word("authorization", offset=1):
        cur.pos += 2
        return SetCommand("session_authorization", _values(cur, "session_authorization"), local)
    if cur.accept("role"):
        return SetCommand("role", _values(cur, "role"), local)
    name = _dotted_name(cur)
    if not (cur.accept("to") or cur.accept_punct("=")):
        found = cur.peek()
        raise syntax_error(f'syntax error at or near "{found.value if found else "end of input"}"')
    return SetCommand(name, _values(cur, name), local)


def _dotted_name(cur: Cursor) -> str:
    name = cur.name().lower()
    while cur.accept_punct("."):
        name += "." + cur.name().lower()
    return name


def _time_zone_value(cur: Cursor) -> str | None:
    if cur.accept("local", "default"):
        cur.expect_end()
        return None
    if cur.accept("interval"):
        value = cur.next().value
        cur.pos = len(cur.lexemes)  # HOUR TO MINUTE qualifiers do not change the value
        return value
    return _values(cur, "timezone")


def _values(cur: Cursor, name: str) -> str | None:
    if cur.accept("default"):
        cur.expect_end()
        return None
    items: list[str] = []
    while True:
        items.append(_value_item(cur, name))
        if not cur.accept_punct(","):
            break
    cur.expect_end()
    return ", ".join(items)


def _value_item(cur: Cursor, name: str) -> str:
    token = cur.next()
    if token.kind == "punct" and token.value in "+-":
        follow = cur.next()
        return token.value + follow.value if token.value == "-" else follow.value
    if token.kind == "punct":
        raise syntax_error(f'syntax error at or near "{token.value}"', token.start)
    if name in _LIST_QUOTE and token.kind != "number":
        return quote_ident(token.value)
    return token.value


_MODE_SETTINGS = {
    "isolation": "transaction_isolation",
    "read": "transaction_read_only",
    "not": "transaction_deferrable",
    "deferrable": "transaction_deferrable",
}


def _transaction_modes_set(cur: Cursor, prefix: str, local: bool) -> SetCommand:
    modes = _transaction_modes(cur)
    cur.expect_end()
    if not modes:
        raise syntax_error("SET TRANSACTION needs a transaction mode")
    pairs = [_mode_setting(mode, prefix) for mode in modes]
    return SetCommand(pairs[0][0], pairs[0][1], local, tuple(pairs[1:]))


def _mode_setting(mode: str, prefix: str) -> tuple[str, str]:
    if mode.startswith("isolation level "):
        return prefix + "transaction_isolation", mode.removeprefix("isolation level ")
    if mode.startswith("read "):
        return prefix + "transaction_read_only", "on" if mode == "read only" else "off"
    return prefix + "transaction_deferrable", "off" if mode.startswith("not") else "on"


def _transaction_modes(cur: Cursor) -> list[str]:
    """ISOLATION LEVEL x | READ ONLY | READ WRITE | [NOT] DEFERRABLE, comma or space separated."""
    modes: list[str] = []
    while not cur.at_end():
        if cur.accept_punct(","):
            continue
        if cur.accept("isolation"):
            cur.expect("level")
            level = cur.expect("serializable", "repeatable", "read")
            if level != "serializable":
                level += " " + cur.expect("read", "committed", "uncommitted")
            modes.append("isolation level " + level)
        elif cur.accept("read"):
            modes.append("read " + cur.expect("only", "write"))
        elif cur.accept("not"):
            cur.expect("deferrable")
            modes.append("not deferrable")
        else:
            cur.expect("deferrable")
            modes.append("deferrable")
    return modes


def parse_reset(source: Source) -> tuple[ResetCommand, str]:
    cur = Cursor(source)
    cur.expect("reset")
    return ResetCommand(_setting_name(cur)), "RESET"


def parse_show(source: Source) -> tuple[ShowCommand, str]:
    cur = Cursor(source)
    cur.expect("show")
    return ShowCommand(_setting_name(cur)), "SHOW"


def _setting_name(cur: Cursor) -> str:
    first = cur.peek()
    second = cur.peek(1)
    if first and second and first.kind == "word" and second.kind == "word":
        special = _SPECIAL_NAMES.get((first.value, second.value))
        if special:
            cur.pos = len(cur.lexemes)  # SHOW TRANSACTION ISOLATION LEVEL: the rest is fixed words
            return special
    name = _dotted_name(cur)
    cur.expect_end()
    return name


def parse_transaction(source: Source) -> tuple[TransactionCommand, str]:
    cur = Cursor(source)
    word = cur.next().value
    if word in ("begin", "start"):
        if word == "start":
            cur.expect("transaction")
        else:
            cur.accept("work", "transaction")
        modes = tuple(_transaction_modes(cur))
        return TransactionCommand("begin", modes=modes), "BEGIN" if word == "begin" else "START TRANSACTION"
    if word == "savepoint":
        return TransactionCommand("savepoint", _end_name(cur)), "SAVEPOINT"
    if word == "release":
        cur.accept("savepoint")
        return TransactionCommand("release", _end_name(cur)), "RELEASE"
    if word == "prepare":
        cur.expect("transaction")
        return TransactionCommand("prepare", _end_string(cur)), "PREPARE TRANSACTION"
    return _commit_or_rollback(cur, word)


def _commit_or_rollback(cur: Cursor, word: str) -> tuple[TransactionCommand, str]:
    action = "commit" if word in ("commit", "end") else "rollback"
    if cur.accept("prepared"):
        return TransactionCommand(action + "_prepared", _end_string(cur)), f"{action.upper()} PREPARED"
    cur.accept("work", "transaction")
    if action == "rollback" and cur.accept("to"):
        cur.accept("savepoint")
        return TransactionCommand("rollback_to", _end_name(cur)), "ROLLBACK"
    chain = False
    if cur.accept("and"):
        chain = not cur.accept("no")
        cur.expect("chain")
    cur.expect_end()
    return TransactionCommand(action, chain=chain), action.upper()


def _end_name(cur: Cursor) -> str:
    name = cur.name()
    cur.expect_end()
    return name


def _end_string(cur: Cursor) -> str:
    token = cur.next()
    if token.kind != "string":
        raise syntax_error(f'syntax error at or near "{token.value}": expected a quoted string')
    cur.expect_end()
    return token.value


_DISCARD_TAGS = {
    "all": "DISCARD ALL",
    "plans": "DISCARD PLANS",
    "sequences": "DISCARD SEQUENCES",
    "temp": "DISCARD TEMP",
    "temporary": "DISCARD TEMP",
}


def parse_discard(source: Source) -> tuple[DiscardCommand, str]:
    cur = Cursor(source)
    cur.expect("discard")
    what = cur.expect(*_DISCARD_TAGS)
    cur.expect_end()
    return DiscardCommand("temp" if what == "temporary" else what), _DISCARD_TAGS[what]


def parse_deallocate(source: Source) -> tuple[DeallocateCommand, str]:
    cur = Cursor(source)
    cur.expect("deallocate")
    cur.accept("prepare")
    name = _name_or_all(cur)
    return DeallocateCommand(name), "DEALLOCATE ALL" if name is None else "DEALLOCATE"


def parse_close(source: Source) -> tuple[CloseCommand, str]:
    cur = Cursor(source)
    cur.expect("close")
    name = _name_or_all(cur)
    return CloseCommand(name), "CLOSE CURSOR ALL" if name is None else "CLOSE CURSOR"


def _name_or_all(cur: Cursor) -> str | None:
    """The statement's last word: a name, or ALL (None)."""
    if cur.accept("all"):
        cur.expect_end()
        return None
    return _end_name(cur)


def parse_listen(source: Source) -> tuple[ListenCommand, str]:
    cur = Cursor(source)
    word = cur.expect("listen", "unlisten")
    if word == "unlisten" and cur.accept_punct("*"):
        cur.expect_end()
        return ListenCommand(None), "UNLISTEN"
    return ListenCommand(_end_name(cur)), word.upper()


def parse_fetch(source: Source) -> tuple[FetchCommand, str]:
    cur = Cursor(source)
    move = cur.expect("fetch", "move") == "move"
    direction, count = _fetch_direction(cur)
    cur.accept("from", "in")
    cursor = _end_name(cur)
    return FetchCommand(direction, count, cursor, move), "MOVE" if move else "FETCH"


_ONE_ROW = ("next", "prior", "first", "last")


def _fetch_direction(cur: Cursor) -> tuple[str, int | None]:
    if _is_count(cur.peek()):
        return "forward", _count(cur)
    if cur.accept(*_ONE_ROW):
        return cur.lexemes[cur.pos - 1].value, 1
    if cur.accept("all"):
        return "all", None
    if cur.accept("absolute", "relative"):
        return cur.lexemes[cur.pos - 1].value, _count(cur)
    if cur.accept("forward", "backward"):
        direction = cur.lexemes[cur.pos - 1].value
        if cur.accept("all"):
            return direction, None
        return direction, _count(cur) if _is_count(cur.peek()) else 1
    return "next", 1


def _is_count(token: Lexeme | None) -> bool:
    return token is not None and (token.kind == "number" or (token.kind == "punct" and token.value in "+-"))


def _count(cur: Cursor) -> int:
    token = cur.next()
    sign = 1
    if token.kind == "punct" and token.value in "+-":
        sign = -1 if token.value == "-" else 1
        token = cur.next()
    if token.kind != "number" or not token.value.lstrip("+-").isdigit():
        raise syntax_error(f'syntax error at or near "{token.value}": expected a row count')
    return sign * int(token.value)


# LOCK's modes (gram.y's lock_type); PostgreSQL's default is the strongest.
_LOCK_MODES = (
    "access share",
    "row share",
    "row exclusive",
    "share update exclusive",
    "share row exclusive",
    "share",
    "exclusive",
    "access exclusive",
)


def parse_lock(source: Source) -> tuple[LockCommand, str]:
    """LOCK [TABLE] [ONLY] name [*] [, ...] [IN mode MODE] [NOWAIT]."""
    cur = Cursor(source)
    cur.expect("lock")
    cur.accept("table")
    tables = [_lock_target(cur)]
    while cur.accept_punct(","):
        tables.append(_lock_target(cur))
    mode = "access exclusive"
    if cur.accept("in"):
        words = []
        while not cur.is_word("mode"):
            words.append(cur.expect("access", "row", "share", "update", "exclusive"))
        cur.expect("mode")
        mode = " ".join(words)
        if mode not in _LOCK_MODES:
            raise syntax_error(f'syntax error at or near "{words[-1] if words else "MODE"}"')
    cur.accept("nowait")
    cur.expect_end()
    return LockCommand(tuple(tables), mode), "LOCK TABLE"


def _lock_target(cur: Cursor) -> str:
    cur.accept("only")
    name = _dotted_name(cur)
    cur.accept_punct("*")
    return name
