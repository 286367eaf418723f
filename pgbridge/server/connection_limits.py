"""Admission: how many connections may be open, and how many of those may not have
authenticated yet.

A connection takes a slot when it is accepted, before a byte is read, and gives it back when it
closes, however it ends. Until it has authenticated it also holds one of the fewer
unauthenticated slots, so sockets that connect and then say nothing (or stop after an
SSLRequest, or drip a startup packet) cannot use up the gateway. Together with the
authentication timeout (pgbridge.server.connection), each such socket lives a bounded time.

Compared with PostgreSQL 15: the postmaster forks a backend per socket and refuses one with
"sorry, too many clients already" (53300) once about twice max_connections children exist; a
backend takes one of the max_connections slots (its PGPROC) after reading the startup packet,
before authentication. Here every open socket counts against max_connections from accept on,
and unauthenticated ones also against max_unauthenticated_connections, so a flood of
half-open sockets leaves authenticated sessions their room instead of competing with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Slot:
    """One admitted connection's hold on the counts; released exactly once."""

    _admission: Admission
    authenticated: bool = False
    released: bool = field(default=False)

    def authenticate(self) -> None:
        """The connection authenticated: it keeps its slot but no longer an unauthenticated one."""
        if not self.authenticated and not self.released:
            self.authenticated = True
            self._admission.unauthenticated -= 1

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        self._admission.open -= 1
        if not self.authenticated:
            self._admission.unauthenticated -= 1


class Admission:
    """Counts of open and unauthenticated connections, against their limits (one event loop)."""

    def __init__(self, max_connections: int, max_unauthenticated: int) -> None:
        self.max_connections = max_connections
        self.max_unauthenticated = max_unauthenticated
        self.open = 0
        self.unauthenticated = 0

    def admit(self) -> Slot | None:
        """A slot for a newly accepted connection, or None when it must be turned away."""
        if self.open >= self.max_connections or self.unauthenticated >= self.max_unauthenticated:
            return None
        self.open += 1
        self.unauthenticated += 1
        return Slot(self)
