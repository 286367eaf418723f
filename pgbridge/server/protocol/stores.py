"""Prepared statements and portals by name: their lifetimes and PostgreSQL's errors about them.

From the protocol docs ("Extended Query"): the unnamed statement and the unnamed portal ("")
are replaced by the next Parse or Bind that names them; "named prepared-statement objects
... must be explicitly closed before they can be redefined by another Parse message", and so
must named portals (42P05, 42P03). A portal lives until it is closed or its transaction ends;
a cursor DECLAREd WITH HOLD survives the end of its transaction. Cursors and portals share
one namespace, as in PostgreSQL.

Closing a portal must tell its producer that it ended (the audit's completion record, a job
stopped early): that is I/O, so a store never does it. Every portal it lets go of is kept in
`closed` until the driver takes it (take_closed) and finishes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from pgbridge.wire.errors import PgError, SqlState


class Holdable(Protocol):
    """What the store needs to know of a portal: whether it outlives its transaction."""

    @property
    def with_hold(self) -> bool: ...


S = TypeVar("S")
P = TypeVar("P", bound=Holdable)


class Statements(Generic[S]):
    """Prepared statements by name."""

    def __init__(self) -> None:
        self._by_name: dict[str, S] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def check_free(self, name: str) -> None:
        if name and name in self._by_name:
            raise PgError(
                SqlState.DUPLICATE_PREPARED_STATEMENT, f'prepared statement "{name}" already exists'
            )

    def add(self, name: str, statement: S) -> None:
        self.check_free(name)
        self._by_name[name] = statement

    def get(self, name: str) -> S:
        found = self._by_name.get(name)
        if found is None:
            raise PgError(SqlState.INVALID_SQL_STATEMENT_NAME, f'prepared statement "{name}" does not exist')
        return found

    def close(self, name: str) -> None:
        """Close (protocol): "It is not an error to issue Close against a nonexistent ... name"."""
        self._by_name.pop(name, None)

    def deallocate(self, name: str | None) -> None:
        """DEALLOCATE name (an error if there is none) or DEALLOCATE ALL (None: the named ones)."""
        if name is None:
            self._by_name = {k: v for k, v in self._by_name.items() if k == ""}
        else:
            self.get(name)
            del self._by_name[name]

    def clear(self) -> None:
        self._by_name.clear()


class Portals(Generic[P]):
    """Portals and cursors by name, and the ones let go of, until the driver finishes them."""

    def __init__(self) -> None:
        self._by_name: dict[str, P] = {}
        self._closed: list[P] = []

    def __iter__(self) -> Iterator[P]:
        return iter(list(self._by_name.values()))

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def add(self, name: str, portal: P) -> None:
        """Bind or DECLARE: a named portal must not exist; the unnamed one is replaced."""
        if name and name in self._by_name:
            raise PgError(SqlState.DUPLICATE_CURSOR, f'cursor "{name}" already exists')
        self._let_go(name)
        self._by_name[name] = portal

    def get(self, name: str, what: str = "portal") -> P:
        found = self._by_name.get(name)
        if found is None:
            raise PgError(SqlState.INVALID_CURSOR_NAME, f'{what} "{name}" does not exist')
        return found

    def find(self, name: str) -> P | None:
        return self._by_name.get(name)

    def close(self, name: str) -> None:
        self._let_go(name)

    def close_cursors(self) -> None:
        """CLOSE ALL: every named portal."""
        for name in [n for n in self._by_name if n]:
            self._let_go(name)

    def end_transaction(self, keep: str) -> None:
        """COMMIT / ROLLBACK: named portals without HOLD, but the one that ran the command."""
        for name in [n for n, p in self._by_name.items() if n and n != keep and not p.with_hold]:
            self._let_go(name)

    def end_implicit_transaction(self) -> None:
        """Sync or the end of a simple Query outside a block: every portal without HOLD."""
        for name in [n for n, p in self._by_name.items() if not p.with_hold]:
            self._let_go(name)

    def close_all(self) -> None:
        for name in list(self._by_name):
            self._let_go(name)

    def take_closed(self) -> list[P]:
        closed, self._closed = self._closed, []
        return closed

    def _let_go(self, name: str) -> None:
        portal = self._by_name.pop(name, None)
        if portal is not None:
            self._closed.append(portal)
