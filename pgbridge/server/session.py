"""The query phase of one connection: simple and extended protocol, portals, cursors, COPY.

This is the protocol's bookkeeping (STYLE.md, "bookkeeping apart from meaning"): it sends
ReadyForQuery with the right transaction status, discards extended-protocol messages after
an error until Sync, keeps prepared statements and portals, and turns the pipeline's
outcomes into RowDescription / DataRow / CommandComplete. What a statement means is the
pipeline's business (pgbridge.server.pipeline) or, for SET / BEGIN / SHOW, local.py's.

From the protocol docs, at the branch points that matter here:
- "When an error is detected while processing any extended-query message, the backend
  issues ErrorResponse, then reads and discards messages until a Sync is reached."
- "If the Execute [row limit] is reached before the portal is exhausted, PortalSuspended."
- A simple Query with several statements runs them in order and stops at the first error;
  one ReadyForQuery follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from pgbridge.server import local
from pgbridge.server.error_text import internal_error, stream_failure, without_sql
from pgbridge.server.local import FAILED, IDLE, IN_TRANSACTION, TransactionState
from pgbridge.server.outcomes import CommandDone, Outcome, RowStream
from pgbridge.server.pipeline import Pipeline, Prepared, SessionContext
from pgbridge.server.portals import Portal
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import Kind, Statement
from pgbridge.sql.statements.split import split_statements
from pgbridge.sql.statements.tokens import Source
from pgbridge.typemap import PG_TYPES, OutputColumn
from pgbridge.wire import codec
from pgbridge.wire import messages as m
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.wire.values import decode_param

Send = Callable[[bytes], Awaitable[None]]
log = logging.getLogger("pgbridge.session")
PLAN_CACHE_SIZE = 128


class StatementCanceled(Exception):
    """Raised inside a statement's task when a CancelRequest or statement_timeout stops it."""


class Session:
    def __init__(
        self, ctx: SessionContext, pipeline: Pipeline, send: Send, write: Callable[[bytes], None]
    ) -> None:
        self.ctx = ctx
        self.pipeline = pipeline
        self._send = send  # write and wait for the socket to drain (backpressure)
        self._write = write  # buffer only
        self.tx = TransactionState()
        self.prepared: dict[str, Prepared] = {}
        self.portals: dict[str, Portal] = {}
        self.ignore_till_sync = False
        self._running: asyncio.Task[Any] | None = None
        self._plans: OrderedDict[tuple[str, str, str, int], Prepared] = OrderedDict()
        self._cancel_reason: str | None = None
        ctx.notify = self._notify_now

    async def _notify_now(self, severity: str, sqlstate: str, message: str) -> None:
        await self._send(codec.notice_response(severity, sqlstate, message))

    # -- entry points from the connection -----------------------------------------------

    async def handle(self, message: object) -> None:
        if isinstance(message, m.Query):
            await self.simple_query(message.sql)
        elif isinstance(message, m.Sync):
            await self.sync()
        elif isinstance(message, m.Flush):
            await self._send(b"")
        elif self.ignore_till_sync:
            return
        else:
            try:
                await self._extended(message)
            except PgError as error:
                if error.is_fatal:
                    raise
                self.ignore_till_sync = True
                self._fail_transaction()
                await self._error(error)

    async def _extended(self, message: object) -> None:
        if isinstance(message, m.Parse):
            await self.parse(message)
        elif isinstance(message, m.Bind):
            await self.bind(message)
        elif isinstance(message, m.Describe):
            await self.describe(message)
        elif isinstance(message, m.Execute):
            await self.execute(message)
        elif isinstance(message, m.Close):
            self.close(message)
            self._write(codec.encode(m.CloseComplete()))
        elif isinstance(message, m.FunctionCall):
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED, "the fast-path function call interface is not supported"
            )
        elif isinstance(message, m.CopyData | m.CopyDone | m.CopyFail):
            return  # stray COPY data outside COPY FROM: PostgreSQL ignores it too
        else:
            raise PgError(
                SqlState.PROTOCOL_VIOLATION,
                f"unexpected message {type(message).__name__} in the query phase",
                severity="FATAL",
            )

    def cancel(self, reason: str) -> bool:
        """Stop the running statement (CancelRequest or statement_timeout)."""
        task = self._running
        if task is None or task.done():
            return False
        self._cancel_reason = reason
        task.cancel()
        return True

    # -- simple query --------------------------------------------------------------------

    async def simple_query(self, sql: str) -> None:
        self.ignore_till_sync = False
        try:
            sources = split_statements(sql)
        except PgError as error:
            await self._error(error)
            sources = None
        if sources == []:
            self._write(codec.encode(m.EmptyQueryResponse()))
        for source in sources or ():
            try:
                await self._guarded(self._simple_statement(source))
            except PgError as error:
                if error.is_fatal:
                    raise
                self._fail_transaction()
                await self._error(error)
                break
        self._end_implicit_transaction()
        await self._ready()

    async def _simple_statement(self, source: Source) -> None:
        key = self._plan_key(source.text)
        cached = self._plans.get(key)
        statement = cached.statement if cached is not None else await self._parse(source)
        self._check_failed_transaction(statement)
        portal = Portal("", cached, (), ())
        outcome = await self._run_statement(statement, (), portal)
        if cached is None and portal.prepared is not None:
            self._remember_plan(key, portal.prepared)
        if outcome is None:
            return
        if isinstance(outcome, CommandDone):
            await self._flush_notices()
            self._write(codec.command_complete(outcome.tag))
            return
        portal = Portal("", None, (), ())
        portal.attach(outcome, self._encoder(outcome, ()))
        self._write(portal.encoder.row_description())
        await self._stream(portal, 0)

    # -- extended query ------------------------------------------------------------------

    async def parse(self, message: m.Parse) -> None:
        if message.name and message.name in self.prepared:
            raise PgError(
                SqlState.DUPLICATE_PREPARED_STATEMENT, f'prepared statement "{message.name}" already exists'
            )
        sources = split_statements(message.sql)
        if len(sources) > 1:
            raise PgError(SqlState.SYNTAX_ERROR, "cannot insert multiple commands into a prepared statement")
        statement = await self._parse(sources[0] if sources else "")
        prepared = await self._guarded(self._prepare(statement, message.param_oids))
        self.prepared[message.name] = prepared
        self._write(codec.encode(m.ParseComplete()))

    async def _prepare(self, statement: Statement, oids: tuple[int, ...]) -> Prepared:
        if statement.kind in local.LOCAL_KINDS or statement.kind in (
            Kind.DECLARE,
            Kind.FETCH,
            Kind.CLOSE,
            Kind.COPY,
        ):
            return Prepared(statement.text, statement, oids)
        return await self.pipeline.prepare(self.ctx, statement, oids)

    async def bind(self, message: m.Bind) -> None:
        prepared = self._statement(message.statement)
        oids = await self._param_oids(prepared)
        if len(message.params) != len(oids):
            raise PgError(
                SqlState.PROTOCOL_VIOLATION,
                f"bind message supplies {len(message.params)} parameters, but "
                f'prepared statement "{message.statement}" requires {len(oids)}',
            )
        params = tuple(
            None if raw is None else decode_param(oids[i], message.param_format(i), raw, index=i + 1)
            for i, raw in enumerate(message.params)
        )
        if message.portal and message.portal in self.portals:
            raise PgError(SqlState.DUPLICATE_CURSOR, f'cursor "{message.portal}" already exists')
        if not message.portal and "" in self.portals:
            await self._drop_portal("")
        self.portals[message.portal] = Portal(message.portal, prepared, params, message.result_formats)
        self._write(codec.encode(m.BindComplete()))

    async def describe(self, message: m.Describe) -> None:
        if message.kind == "S":
            prepared = self._statement(message.name)
            _, columns = await self._guarded(self._describe_statement(prepared))
            oids = await self._param_oids(prepared)
            self._write(codec.encode(m.ParameterDescription(tuple(oids))))
            self._write(
                self._row_description(columns, ()) if columns is not None else codec.encode(m.NoData())
            )
            return
        portal = self._portal(message.name)
        if portal.stream is not None:
            self._write(portal.encoder.row_description())
            return
        assert portal.prepared is not None
        _, columns = await self._guarded(self._describe_statement(portal.prepared))
        self._write(
            self._row_description(columns, portal.result_formats)
            if columns is not None
            else codec.encode(m.NoData())
        )

    async def _describe_statement(self, prepared: Prepared) -> tuple[tuple[int, ...], Any]:
        kind = prepared.statement.kind
        if kind is Kind.SHOW:
            outcome = local.answer_show(prepared.statement, self.ctx.settings)
            assert isinstance(outcome, RowStream)
            return (), outcome.columns
        if kind is Kind.UTILITY and prepared.statement.tag == "EXPLAIN":
            return (), (OutputColumn("QUERY PLAN", PG_TYPES["text"]),)
        if kind is Kind.FETCH:
            cursor = self.portals.get(getattr(prepared.statement.command, "cursor", ""))
            if cursor is not None and cursor.encoder is not None:
                return (), cursor.encoder.columns
            return (), None
        if kind in local.LOCAL_KINDS or kind in (Kind.DECLARE, Kind.CLOSE, Kind.COPY):
            return prepared.declared_oids, None
        return await self.pipeline.describe(self.ctx, prepared)

    async def _param_oids(self, prepared: Prepared) -> tuple[int, ...]:
        """Parameter types: as the client declared them in Parse, inferred where it sent 0."""
        if prepared.plan is not None:
            declared = prepared.declared_oids
            return tuple(
                declared[i] if i < len(declared) and declared[i] else oid
                for i, oid in enumerate(prepared.plan.param_oids)
            )
        if prepared.statement.kind is Kind.CATALOG:
            oids, _ = await self.pipeline.describe(self.ctx, prepared)
            return tuple(oids)
        return prepared.declared_oids

    async def execute(self, message: m.Execute) -> None:
        portal = self._portal(message.portal)
        if portal.done and portal.stream is None and portal.local_tag is None:
            raise PgError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, f'portal "{portal.name}" cannot be run')
        if not portal.started:
            assert portal.prepared is not None
            self._check_failed_transaction(portal.prepared.statement)
            outcome = await self._guarded(
                self._run_statement(portal.prepared.statement, portal.params, portal)
            )
            if outcome is None:
                return
            if isinstance(outcome, CommandDone):
                portal.local_tag = outcome.tag
            else:
                portal.attach(outcome, self._encoder(outcome, portal.result_formats))
        if portal.local_tag is not None:
            await self._flush_notices()
            self._write(codec.command_complete(portal.local_tag))
            portal.done = True
            return
        await self._guarded(self._stream(portal, message.max_rows))

    def close(self, message: m.Close) -> None:
        if message.kind == "S":
            self.prepared.pop(message.name, None)
        else:
            portal = self.portals.pop(message.name, None)
            if portal is not None:
                asyncio.ensure_future(portal.finish(None))

    async def sync(self) -> None:
        self.ignore_till_sync = False
        self._end_implicit_transaction()
        await self._ready()

    # -- running statements ----------------------------------------------------------------

    async def _run_statement(
        self, statement: Statement, params: tuple[object | None, ...], portal: Portal
    ) -> Outcome | None:
        self._check_token()
        kind = statement.kind
        if kind is Kind.EMPTY:
            self._write(codec.encode(m.EmptyQueryResponse()))
            return None
        if kind is Kind.SET:
            return local.answer_set(statement, self.tx, self.ctx.settings)
        if kind is Kind.RESET:
            return local.answer_reset(statement, self.ctx.settings)
        if kind is Kind.SHOW:
            return local.answer_show(statement, self.ctx.settings)
        if kind is Kind.TRANSACTION:
            done = local.answer_transaction(statement, self.tx, self.ctx.settings)
            if self.tx.status == IDLE:
                await self._close_transaction_portals(keep=portal.name)
            return done
        if kind is Kind.DISCARD:
            await self._discard_all()
            return local.answer_simple(statement)
        if kind is Kind.DEALLOCATE:
            name = getattr(statement.command, "name", None)
            if name is None:
                self.prepared = {k: v for k, v in self.prepared.items() if k == ""}
            elif self.prepared.pop(name, None) is None:
                raise PgError(
                    SqlState.INVALID_SQL_STATEMENT_NAME, f'prepared statement "{name}" does not exist'
                )
            return local.answer_simple(statement)
        if kind in (Kind.LISTEN, Kind.UNLISTEN):
            return local.answer_simple(statement)
        if kind is Kind.DECLARE:
            return await self._declare(statement)
        if kind is Kind.FETCH:
            return await self._fetch(statement)
        if kind is Kind.CLOSE:
            return await self._close_cursor(statement)
        if kind is Kind.COPY:
            await self._copy_out(statement, params)
            return None
        if kind is Kind.UTILITY and statement.tag == "EXPLAIN":
            return await self.pipeline.explain(self.ctx, statement)
        if kind is Kind.UNKNOWN:
            await self.pipeline.records.refusal(
                self.ctx,
                statement,
                PgError(SqlState.INSUFFICIENT_PRIVILEGE, "statement could not be classified"),
            )
            raise PgError(
                SqlState.INSUFFICIENT_PRIVILEGE,
                "pgbridge could not classify this statement, so it is refused",
                detail=statement.text[:200],
            )
        prepared = (
            portal.prepared
            if portal.prepared is not None and portal.prepared.statement is statement
            else None
        )
        if prepared is None:
            prepared = await self.pipeline.prepare(self.ctx, statement, ())
            if not portal.name and portal.prepared is None:
                portal.prepared = prepared  # the simple-query plan cache keeps it
        if prepared.plan is not None and prepared.plan.kind == "dml" and self.tx.status != IDLE:
            # BigQuery commits each DML job on its own: inside BEGIN ... ROLLBACK the statement
            # would be written and the ROLLBACK would lie. Refuse rather than pretend.
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED,
                "INSERT, UPDATE and DELETE inside a transaction block are not supported by pgbridge: "
                "each statement commits on its own and could not be rolled back",
                hint="run the statement outside BEGIN ... COMMIT (autocommit)",
            )
        return await self.pipeline.execute(self.ctx, prepared, params)

    async def _stream(self, portal: Portal, max_rows: int) -> None:
        """Send up to max_rows rows (0: all) of a started portal, then its tag or PortalSuspended."""
        remaining = max_rows
        async with self._finishing(portal, always=False):
            while True:
                if max_rows:
                    # A row limit (cursors: asyncpg asks 50 at a time): each batch is rendered
                    # once and sent a slice at a time, not re-rendered per Execute.
                    sliced = await portal.next_encoded(remaining)
                    if sliced is None:
                        break
                    data, count = sliced
                    await self._send(data)
                    remaining -= count
                    if remaining <= 0:
                        self._write(codec.encode(m.PortalSuspended()))
                        return
                    continue
                batch = await portal.next_rows(0)
                if batch is None:
                    break
                await self._send(portal.encoder.encode(batch))
                if max_rows:
                    remaining -= batch.num_rows
                    if remaining <= 0:
                        self._write(codec.encode(m.PortalSuspended()))
                        return
        verb = portal.stream.verb if portal.stream else "SELECT"
        await self._flush_notices()
        # SHOW and EXPLAIN tags carry no row count in PostgreSQL.
        self._write(
            codec.command_complete(verb if verb in ("SHOW", "EXPLAIN") else f"{verb} {portal.rows_sent}")
        )

    @contextlib.asynccontextmanager
    async def _finishing(self, portal: Portal, always: bool) -> AsyncIterator[None]:
        """Finish the portal with what ended its rows (the audit's completion record): always,
        or only when they ended or failed (a suspended portal goes on later)."""
        error: PgError | None = None
        try:
            yield
        except PgError as failure:
            error = failure
            raise
        except asyncio.CancelledError:
            error = self._cancel_error()
            raise
        except Exception as failure:
            error = stream_failure(failure)
            if isinstance(failure, ConnectionError):
                raise
            raise error from None
        finally:
            if always or error is not None or portal.done:
                await portal.finish(error)

    async def _guarded(self, work: Awaitable[Any]) -> Any:
        """Run one statement's work as a task that CancelRequest and statement_timeout can stop."""
        self._cancel_reason = None
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        self._running = task
        timeout_ms = self.ctx.settings.statement_timeout_ms
        handle = None
        if timeout_ms:
            loop = asyncio.get_running_loop()
            handle = loop.call_later(timeout_ms / 1000, self.cancel, "timeout")
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
        return PgError(SqlState.QUERY_CANCELED, "canceling statement due to user request")

    # -- cursors and COPY ------------------------------------------------------------------------

    async def _declare(self, statement: Statement) -> CommandDone:
        command: Any = statement.command
        if self.tx.status == IDLE and not command.with_hold:
            raise PgError("25P01", "DECLARE CURSOR can only be used in transaction blocks")
        if command.name in self.portals:
            raise PgError(SqlState.DUPLICATE_CURSOR, f'cursor "{command.name}" already exists')
        inner: Statement = command.query
        prepared = await self.pipeline.prepare(self.ctx, inner, ())
        stream = _rows(await self.pipeline.execute(self.ctx, prepared, ()))
        portal = Portal(
            command.name, prepared, (), (1,) if command.binary else (), with_hold=command.with_hold
        )
        portal.attach(stream, self._encoder(stream, portal.result_formats))
        self.portals[command.name] = portal
        return CommandDone("DECLARE CURSOR")

    async def _fetch(self, statement: Statement) -> Outcome:
        command: Any = statement.command
        portal = self.portals.get(command.cursor)
        if portal is None or portal.stream is None:
            raise PgError(SqlState.INVALID_CURSOR_NAME, f'cursor "{command.cursor}" does not exist')
        if command.direction not in ("next", "forward", "all"):
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED,
                f"FETCH {command.direction.upper()} is not supported: pgbridge cursors are forward-only",
            )
        count = command.count if command.count is not None else 0
        if count == 0 and command.direction != "all" and command.count is None:
            count = 1
        rows = []
        sent = 0
        while not portal.done and (count == 0 or sent < count):
            batch = await portal.next_rows(count - sent if count else 0, sent=False)
            if batch is None:
                break
            sent += batch.num_rows
            if not command.move:
                rows.append(batch)
        if command.move:
            return CommandDone(f"MOVE {sent}")
        portal.rows_sent += sent  # the FETCH's own stream sends them next
        return _FetchResult(portal, rows, "FETCH", sent)

    async def _close_cursor(self, statement: Statement) -> CommandDone:
        name = getattr(statement.command, "name", None)
        if name is None:
            for key in [k for k in self.portals if k]:
                await self._drop_portal(key)
        elif name not in self.portals:
            raise PgError(SqlState.INVALID_CURSOR_NAME, f'cursor "{name}" does not exist')
        else:
            await self._drop_portal(name)
        return CommandDone("CLOSE CURSOR")

    async def _copy_out(self, statement: Statement, params: tuple[object | None, ...]) -> None:
        from pgbridge.encode import CopyTextEncoder

        command: Any = statement.command
        if command.direction != "to" or command.target != "stdout":
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED,
                "only COPY (query) TO STDOUT is supported: pgbridge does "
                "not write to the warehouse through COPY or touch the gateway's files",
            )
        unsupported_options = [
            name
            for name, value in command.options
            if name not in _COPY_OPTIONS or not _copy_option_default(name, value)
        ]
        if unsupported_options:
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED,
                f"COPY option {unsupported_options[0].upper()} is not supported by pgbridge",
                hint="supported: FORMAT text|csv, HEADER, DELIMITER, NULL",
            )
        if command.format not in ("text", "csv"):
            raise PgError(SqlState.FEATURE_NOT_SUPPORTED, f"COPY format {command.format} is not supported")
        inner: Statement = command.query
        if inner is None:
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED,
                "COPY of a whole table is not supported; use COPY (SELECT * FROM table) TO STDOUT",
            )
        prepared = await self.pipeline.prepare(self.ctx, inner, ())
        stream = _rows(await self.pipeline.execute(self.ctx, prepared, params))
        encoder = CopyTextEncoder(
            stream.columns,
            self._encode_settings(),
            csv=command.format == "csv",
            header=bool(command.header),
            delimiter=command.delimiter,
            null=command.null,
        )
        portal = Portal("", prepared, (), ())
        portal.attach(stream, encoder)
        self._write(encoder.copy_out_response())
        async with self._finishing(portal, always=True):
            while (batch := await portal.next_rows(0)) is not None:
                await self._send(encoder.encode(batch))
        self._write(codec.encode(m.CopyDone()))
        self._write(codec.command_complete(f"COPY {portal.rows_sent}"))

    # -- helpers ---------------------------------------------------------------------------

    async def _parse(self, source: Source | str) -> Statement:
        """parse_statement, with what could not be parsed recorded in the audit log too."""
        try:
            return parse_statement(source)
        except PgError as error:
            text = source.text if isinstance(source, Source) else source
            await self.pipeline.records.refusal(
                self.ctx, Statement(text, Kind.UNKNOWN, None, None, ""), error
            )
            raise

    # -- plan cache for the simple protocol --------------------------------------------------------
    # Agents and BI tools send the same text again and again over the simple protocol. Within
    # one session the principal is fixed, so a plan (policy decision, row filters, masks,
    # translation) depends only on the text, search_path, TimeZone and the metadata it was
    # resolved against: those are the key, and nothing is shared across sessions.

    def _plan_key(self, text: str) -> tuple[str, str, str, int]:
        settings = self.ctx.settings
        return (
            text,
            settings.get("search_path"),
            settings.get("TimeZone"),
            self.pipeline.metadata.generation,
        )

    def _remember_plan(self, key: tuple[str, str, str, int], prepared: Prepared) -> None:
        if prepared.plan is None:
            return
        self._plans[key] = prepared
        self._plans.move_to_end(key)
        while len(self._plans) > PLAN_CACHE_SIZE:
            self._plans.popitem(last=False)

    def _encode_settings(self) -> Any:
        from pgbridge.encode import EncodeSettings

        settings = self.ctx.settings
        return EncodeSettings(
            timezone=settings.get("TimeZone"),
            extra_float_digits=int(settings.get("extra_float_digits")),
            bytea_output=settings.get("bytea_output"),
        )

    def _encoder(self, stream: RowStream, formats: tuple[int, ...]) -> Any:
        from pgbridge.encode import ResultEncoder, resolve_formats

        return ResultEncoder(
            stream.columns, resolve_formats(formats, len(stream.columns)), self._encode_settings()
        )

    def _row_description(self, columns: Any, formats: tuple[int, ...]) -> bytes:
        from pgbridge.encode import ResultEncoder, resolve_formats

        return ResultEncoder(
            columns, resolve_formats(formats, len(columns)), self._encode_settings()
        ).row_description()

    def _statement(self, name: str) -> Prepared:
        prepared = self.prepared.get(name)
        if prepared is None:
            raise PgError(SqlState.INVALID_SQL_STATEMENT_NAME, f'prepared statement "{name}" does not exist')
        return prepared

    def _portal(self, name: str) -> Portal:
        portal = self.portals.get(name)
        if portal is None:
            raise PgError(SqlState.INVALID_CURSOR_NAME, f'portal "{name}" does not exist')
        return portal

    async def _drop_portal(self, name: str) -> None:
        portal = self.portals.pop(name, None)
        if portal is not None:
            await portal.finish(None)

    async def _close_transaction_portals(self, keep: str = "") -> None:
        for name, portal in list(self.portals.items()):
            if not portal.with_hold and name != keep and name:
                await self._drop_portal(name)

    async def _discard_all(self) -> None:
        if self.tx.status != IDLE:
            raise PgError("25001", "DISCARD ALL cannot run inside a transaction block")
        self.ctx.settings.reset_all()
        self.prepared.clear()
        for name in list(self.portals):
            await self._drop_portal(name)

    def _check_failed_transaction(self, statement: Statement) -> None:
        if self.tx.status == FAILED and not local.allowed_in_failed_transaction(statement):
            raise PgError(
                SqlState.IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            )

    def _check_token(self) -> None:
        expires = self.ctx.principal.expires_at
        if expires is not None and time.time() > expires:
            raise PgError(
                SqlState.INVALID_PASSWORD,
                "the session's token has expired; reconnect with a fresh token",
                severity="FATAL",
            )

    def _fail_transaction(self) -> None:
        if self.tx.status == IN_TRANSACTION:
            self.tx.status = FAILED

    def _end_implicit_transaction(self) -> None:
        if self.tx.status == IDLE:
            for name in [n for n, p in self.portals.items() if not p.with_hold]:
                portal = self.portals.pop(name)
                asyncio.ensure_future(portal.finish(None))

    async def _flush_notices(self) -> None:
        for severity, sqlstate, message in self.tx.notices + self.ctx.notices:
            self._write(codec.notice_response(severity, sqlstate, message))
        self.tx.notices.clear()
        self.ctx.notices.clear()

    async def _error(self, error: PgError) -> None:
        await self._flush_notices()
        self._write(codec.error_response(without_sql(error)))  # the last guard: error_text.py

    async def _ready(self) -> None:
        for name, value in self.ctx.settings.take_reports().items():
            self._write(codec.parameter_status(name, value))
        self._write(codec.ready_for_query(self.tx.status))
        await self._send(b"")


# COPY TO options the encoder honours; QUOTE and ESCAPE only with their CSV defaults, so an
# option pgbridge would ignore is refused rather than silently changing the output.
_COPY_OPTIONS = {"format", "header", "delimiter", "null", "quote", "escape", "encoding"}


def _copy_option_default(name: str, value: object) -> bool:
    text = str(value).strip("'")
    if name in ("quote", "escape"):
        return text == '"'
    if name == "encoding":
        return text.replace("-", "").upper() in ("UTF8", "UNICODE")
    return True


def _rows(outcome: Outcome) -> RowStream:
    """Cursors and COPY need a statement that returns rows."""
    if not isinstance(outcome, RowStream):
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, "a cursor or COPY needs a query that returns rows")
    return outcome


class _FetchResult(RowStream):
    """FETCH's rows, already pulled from the cursor, as a RowStream with the FETCH tag."""

    def __init__(self, portal: Portal, batches: list[Any], verb: str, count: int) -> None:
        async def iterate() -> Any:
            for batch in batches:
                yield batch

        assert portal.stream is not None
        super().__init__(portal.stream.columns, iterate(), verb=verb)
        self.count = count
