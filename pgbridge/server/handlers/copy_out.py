"""COPY (query) TO STDOUT and COPY table [(columns)] TO STDOUT, and the options it honours.

COPY FROM would write to the warehouse and COPY TO a file would touch the gateway's disk, so
both are refused. A whole-table COPY (pg_dump's `COPY shop.products (id, name) TO stdout`) runs
as COPY (SELECT columns FROM table): the same statement through the same policy, masking, row
filters and audit as that query. Formats: text, CSV and binary (encode/copy_binary.py). An
option the encoder would not honour is refused rather than silently ignored: QUOTE and ESCAPE
only with their CSV defaults, ENCODING only UTF8. The options are checked before the query
runs, so a bad option costs no job.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from pgbridge.server.context import SessionContext
from pgbridge.server.encoders import copy_encoder
from pgbridge.server.handlers.cursors import returns_rows, rows_only
from pgbridge.server.handlers.port import PipelinePort
from pgbridge.server.outcomes import CopyFormat, CopyOut
from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import CopyCommand
from pgbridge.wire.errors import PgError, SqlState

_OPTIONS = {"format", "header", "delimiter", "null", "quote", "escape", "encoding"}


async def copy_out(
    command: CopyCommand, ctx: SessionContext, pipeline: PipelinePort, params: Sequence[object | None]
) -> CopyOut:
    copy = copy_format(command)
    copy_encoder((), copy, ctx.settings)  # DELIMITER and NULL are checked before anything runs
    query = command.query or parse_statement(_table_query(command))
    prepared = returns_rows(await pipeline.prepare(ctx, query, ()))
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
            hint="supported: FORMAT text|csv|binary, HEADER, DELIMITER, NULL",
        )
    if command.format not in ("text", "csv", "binary"):
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, f"COPY format {command.format} is not supported")
    if command.format == "binary":
        _check_binary(command)
    return CopyFormat(
        csv=command.format == "csv",
        binary=command.format == "binary",
        header=bool(command.header),
        delimiter=command.delimiter,
        null=command.null,
    )


def _check_binary(command: CopyCommand) -> None:
    # PostgreSQL's ProcessCopyOptions: these options mean nothing for binary rows.
    for name in ("delimiter", "null", "header"):
        if any(option == name for option, _ in command.options):
            raise PgError(SqlState.SYNTAX_ERROR, f"cannot specify {name.upper()} in BINARY mode")


def _table_query(command: CopyCommand) -> str:
    """The query a whole-table COPY reads: its columns (all when none are named) of its table."""
    assert command.table is not None
    columns = ", ".join(exp.to_identifier(c).sql("postgres") for c in command.columns) or "*"
    return f"SELECT {columns} FROM {command.table.sql('postgres')}"


def _honoured(name: str, value: object) -> bool:
    if name not in _OPTIONS:
        return False
    text = str(value).strip("'")
    if name in ("quote", "escape"):
        return text == '"'
    if name == "encoding":
        return text.replace("-", "").upper() in ("UTF8", "UNICODE")
    return True
