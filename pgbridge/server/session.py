"""The query phase of one connection, driven over asyncio: the protocol core's I/O half.

The core (pgbridge.server.protocol) decides what each message means for the protocol's
state and writes the replies; the handlers (pgbridge.server.handlers) say what a statement
returns. What is left here needs an event loop: each statement's work runs as a task that a
CancelRequest or statement_timeout can stop; rows are pulled and sent with backpressure
(delivery.py); portals the core let go of are finished (their audit completion) before the
next message, or in the background where the client should not wait for a job to stop
(Close, and the end of an implicit transaction).

From the protocol docs, at the branch points that matter here:
- "When an error is detected while processing any extended-query message, the backend
  issues ErrorResponse, then reads and discards messages until a Sync is reached."
- A simple Query with several statements runs them in order and stops at the first error;
  one ReadyForQuery follows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pgbridge.server.context import Prepared, SessionContext
from pgbridge.server.delivery import Delivery
from pgbridge.server.encoders import result_encoder, row_description
from pgbridge.server.error_text import internal_error
from pgbridge.server.handlers.dispatch import Handlers
from pgbridge.server.handlers.guards import check_failed_transaction
from pgbridge.server.handlers.port import PipelinePort
from pgbridge.server.outcomes import CommandDone, CopyOut, EmptyQuery, RowStream, TxChange
from pgbridge.server.portals import Portal
from pgbridge.server.protocol.core import ProtocolCore, bind_values
from pgbridge.server.protocol.states import Action
from pgbridge.sql.statements.split import split_statements
from pgbridge.sql.statements.tokens import Source
from pgbridge.wire import messages as m
from pgbridge.wire.errors import PgError, SqlState

Send = Callable[[bytes], Awaitable[None]]
T = TypeVar("T")
log = logging.getLogger("pgbridge.session")

# After these the client waits for a reply: what the core wrote goes out.
_REPLIES = frozenset({Action.QUERY, Action.SYNC, Action.FLUSH, Action.REFUSE_FUNCTION_CALL})
# The portals these let go of are finished without making the client wait (a job may take a
# while to stop); the others are finished before the next message is read.
_FINISH_LATER = frozenset({Action.CLOSE, Action.SYNC, Action.QUERY})


class Session:
    def __init__(
        self, ctx: SessionContext, pipeline: PipelinePort, core: ProtocolCore[Prepared, Portal], send: Send
    ) -> None:
        self.ctx = ctx
        self.core = core
        self._send = send  # write once the socket has drained (backpressure)
        self.handlers = Handlers(ctx, pipeline, core)
        self.delivery = Delivery(core, self.flush, self._cancel_error)
        self._running: asyncio.Task[Any] | None = None
        self._cancel_reason: str | None = None
        self._finishing: set[asyncio.Task[None]] = set()
        core.notices = ctx.notices  # the pipeline's notices go out with the next reply
        ctx.notify = self._notify_now

    async def flush(self) -> None:
        await self._send(self.core.data_to_send())

    async def _notify_now(self, severity: str, sqlstate: str, message: str) -> None:
        self.core.notify(severity, sqlstate, message)
        await self.flush()

    # -- entry points from the connection --------------------------------------------------------

    async def handle(self, message: object) -> Action:
        """One frontend message of the query phase; returns what the transition table made of it."""
        action = self.core.receive(message)
        try:
            await self._dispatch(action, message)
        except PgError as error:
            if error.is_fatal:
                raise
            self.core.fail(error)
        await self._finish_closed(wait=action not in _FINISH_LATER)
        if action in _REPLIES:
            await self.flush()
        return action

    def cancel(self, reason: str) -> bool:
        """Stop the running statement (CancelRequest, statement_timeout, disconnect)."""
        task = self._running
        if task is None or task.done():
            return False
        self._cancel_reason = reason
        task.cancel()
        return True

    async def close(self) -> None:
        """The connection ends: every portal is finished."""
        self.core.portals.close_all()
        for portal in self.core.portals.take_closed():
            try:
                await portal.finish(None)
            except Exception:
                log.exception("finishing a portal at disconnect")
        if self._finishing:
            await asyncio.gather(*self._finishing, return_exceptions=True)

    async def _dispatch(self, action: Action, message: object) -> None:
        match action, message:
            case Action.QUERY, m.Query(sql=sql):
                await self._simple_query(sql)
            case Action.PARSE, m.Parse() as parse:
                self.core.statements.check_free(parse.name)
                statement = await self.handlers.parse_one(parse.sql)
                prepared = await self._guarded(self.handlers.prepare(statement, parse.param_oids))
                self.core.parsed(parse.name, prepared)
            case Action.BIND, m.Bind() as bind:
                await self._bind(bind)
            case Action.DESCRIBE, m.Describe() as describe:
                await self._describe(describe)
            case Action.EXECUTE, m.Execute() as execute:
                await self._execute(execute)
            case Action.CLOSE, m.Close(kind=kind, name=name):
                self.core.close(kind, name)
            case Action.SYNC, _:
                self.core.ready()
            case Action.REFUSE_FUNCTION_CALL, _:
                # Not an extended-query message: the error is followed by ReadyForQuery.
                refusal = "the fast-path function call interface is not supported"
                self.core.fail(PgError(SqlState.FEATURE_NOT_SUPPORTED, refusal))
                self.core.ready()
            case ((Action.FLUSH | Action.IGNORE | Action.TERMINATE), _):
                return

    # -- simple query ------------------------------------------------------------------------------

    async def _simple_query(self, sql: str) -> None:
        try:
            sources = split_statements(sql)
            if not sources:
                self.core.complete(EmptyQuery())
            for source in sources:
                await self._guarded(self._simple_statement(source))
                await self._finish_closed(wait=True)
        except PgError as error:
            if error.is_fatal:
                raise
            self.core.fail(error)
        self.core.ready()

    async def _simple_statement(self, source: Source) -> None:
        outcome = await self.handlers.simple(source)
        match outcome:
            case RowStream():
                portal = Portal("", None, (), ())
                portal.attach(outcome, result_encoder(outcome.columns, (), self.ctx.settings))
                self.core.send_bytes(portal.rows_encoder.row_description())
                await self.delivery.rows(portal, 0)
            case CopyOut():
                await self.delivery.copy(outcome, self.ctx.settings)
            case _:
                self.core.complete(outcome)

    # -- extended query ------------------------------------------------------------------------------

    async def _bind(self, message: m.Bind) -> None:
        prepared = self.core.statements.get(message.statement)
        oids = await self.handlers.describe.param_oids(prepared)
        params = bind_values(message, oids)
        self.core.bound(message.portal, Portal(message.portal, prepared, params, message.result_formats))

    async def _describe(self, message: m.Describe) -> None:
        settings = self.ctx.settings
        if message.kind == "S":
            prepared = self.core.statements.get(message.name)
            columns = await self._guarded(self.handlers.describe.columns(prepared))
            oids = await self.handlers.describe.param_oids(prepared)
            self.core.described(row_description(columns, (), settings), oids)
            return
        portal = self.core.portals.get(message.name)
        if portal.encoder is not None:  # it runs already: its own columns and formats
            self.core.described(portal.encoder.row_description())
            return
        assert portal.prepared is not None  # a portal made by Bind
        columns = await self._guarded(self.handlers.describe.columns(portal.prepared))
        self.core.described(row_description(columns, portal.result_formats, settings))

    async def _execute(self, message: m.Execute) -> None:
        portal = self.core.portals.get(message.portal)
        if portal.local_tag is not None:  # ran to its end already: the same tag again
            self.core.complete(CommandDone(portal.local_tag), portal.name)
            return
        if portal.stream is None and not await self._start(portal):
            return
        await self._guarded(self.delivery.rows(portal, message.max_rows))

    async def _start(self, portal: Portal) -> bool:
        """Run the portal's statement; True when it returned rows, now attached to the portal."""
        assert portal.prepared is not None  # a portal made by Bind
        statement = portal.prepared.statement
        check_failed_transaction(self.core.tx, statement)
        outcome = await self._guarded(self.handlers.run(statement, portal.params, portal.prepared))
        match outcome:
            case RowStream():
                encoder = result_encoder(outcome.columns, portal.result_formats, self.ctx.settings)
                portal.attach(outcome, encoder)
                return True
            case CopyOut():
                await self._guarded(self.delivery.copy(outcome, self.ctx.settings))
            case CommandDone() | TxChange():
                portal.local_tag = outcome.tag
                self.core.complete(outcome, portal.name)
            case EmptyQuery():
                self.core.complete(outcome)
        return False

    # -- tasks, cancel, timeouts ---------------------------------------------------------------------

    async def _guarded(self, work: Awaitable[T]) -> T:
        """Run one statement's work as a task that CancelRequest and statement_timeout can stop."""
        self._cancel_reason = None
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        self._running = task
        timeout_ms = self.ctx.settings.statement_timeout_ms
        handle = None
        if timeout_ms:
            handle = asyncio.get_running_loop().call_later(timeout_ms / 1000, self.cancel, "timeout")
        try:
            return await task
        except asyncio.CancelledError:
            if self._cancel_reason is None or not task.cancelled() and not task.done():
                raise
            raise self._cancel_error() from None
        except PgError:
            raise
        except RecursionError:
            raise PgError(
                "54001", "stack depth limit exceeded", hint="the statement is nested too deeply; simplify it"
            ) from None
        except Exception as error:
            # A bug must cost one statement, not the session: report it (without its text,
            # which may quote generated SQL) and keep going.
            raise internal_error(error) from None
        finally:
            if handle is not None:
                handle.cancel()
            self._running = None

    def _cancel_error(self) -> PgError:
        if self._cancel_reason == "timeout":
            return PgError(SqlState.QUERY_CANCELED, "canceling statement due to statement timeout")
        if self._cancel_reason == "shutdown":  # the grace period of a SIGTERM drain ran out
            shutdown = "terminating connection due to administrator command"
            return PgError(SqlState.ADMIN_SHUTDOWN, shutdown, "FATAL")
        return PgError(SqlState.QUERY_CANCELED, "canceling statement due to user request")

    async def _finish_closed(self, wait: bool) -> None:
        for portal in self.core.portals.take_closed():
            if wait:
                await portal.finish(None)
            else:
                task = asyncio.ensure_future(portal.finish(None))
                self._finishing.add(task)
                task.add_done_callback(self._finishing.discard)
