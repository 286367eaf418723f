"""COPY (query) TO STDOUT: the one COPY pgbridge runs, and the options it honours.

COPY FROM would write to the warehouse and COPY TO a file would touch the gateway's disk, so
both are refused; so is a whole-table COPY (the client can name the columns in a query). An
option the encoder would not honour is refused rather than silently ignored: QUOTE and ESCAPE
only with their CSV defaults, ENCODING only UTF8. The options are checked before the query
runs, so a bad option costs no job.
"""

from __future__ import annotations

from collections.abc import Sequence

from pgbridge.server.context import SessionContext
from pgbridge.server.encoders import copy_encoder
from pgbridge.server.handlers.cursors import returns_rows, rows_only
from pgbridge.server.handlers.port import PipelinePort
from pgbridge.server.outcomes import CopyFormat, CopyOut
from pgbridge.sql.statements.model import CopyCommand
from pgbridge.wire.errors import PgError, SqlState

_OPTIONS = {"format", "header", "delimiter", "null", "quote", "escape", "encoding"}


async def copy_out(
    command: CopyCommand, ctx: SessionContext, pipeline: PipelinePort, params: Sequence[object | None]
) -> CopyOut:
    copy = copy_format(command)
    if command.query is None:
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED,
            "COPY of a whole table is not supported; use COPY (SELECT * FROM table) TO STDOUT",
        )
    copy_encoder((), copy, ctx.settings)  # DELIMITER and NULL are checked before anything runs
    prepared = returns_rows(await pipeline.prepare(ctx, command.query, ()))
    return CopyOut(rows_only(await pipeline.execute(ctx, prepared, params)), copy)


def copy_format(command: CopyCommand) -> CopyFormat:
    if command.direction != "to" or command.target != "stdout":
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED,
            "only COPY (query) TO STDOUT is supported: pgbridge does "
            "not write to the warehouse through COPY or touch the gateway's files",
        )
    unsupported = [name for name, value in command.options if not _honoured(name, value)]
    if unsupported:
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED,
            f"COPY option {unsupported[0].upper()} is not supported by pgbridge",
            hint="supported: FORMAT text|csv, HEADER, DELIMITER, NULL",
        )
    if command.format not in ("text", "csv"):
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, f"COPY format {command.format} is not supported")
    return CopyFormat(
        csv=command.format == "csv",
        header=bool(command.header),
        delimiter=command.delimiter,
        null=command.null,
    )


def _honoured(name: str, value: object) -> bool:
    if name not in _OPTIONS:
        return False
    text = str(value).strip("'")
    if name in ("quote", "escape"):
        return text == '"'
    if name == "encoding":
        return text.replace("-", "").upper() in ("UTF8", "UNICODE")
    return True
