"""parse_statement: the kind, tag and parsed command of every statement form."""

from __future__ import annotations

import psycopg
import pytest

from pgbridge.sql.statements.classify import parse_statement
from pgbridge.sql.statements.model import (
    CloseCommand,
    CopyCommand,
    DeallocateCommand,
    DeclareCommand,
    DiscardCommand,
    FetchCommand,
    Kind,
    ListenCommand,
    ResetCommand,
    SetCommand,
    ShowCommand,
    TransactionCommand,
)
from pgbridge.sql.statements.split import split_statements
from pgbridge.wire.errors import PgError, SqlState


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("SET x = y", SetCommand("x", "y")),
        ("set X to 5", SetCommand("x", "5")),
        ("SET SESSION statement_timeout TO '5s'", SetCommand("statement_timeout", "5s")),
        ("SET LOCAL search_path = other", SetCommand("search_path", "other", local=True)),
        ("SET TIME ZONE 'UTC'", SetCommand("timezone", "UTC")),
        ("set time zone local", SetCommand("timezone", None)),
        ("SET TIME ZONE -7", SetCommand("timezone", "-7")),
        ("SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE", SetCommand("timezone", "+05:30")),
        ("SET NAMES 'utf8'", SetCommand("client_encoding", "utf8")),
        ('SET search_path TO a, "B", public', SetCommand("search_path", 'a, "B", public')),
        ("SET search_path = 'My Schema', x", SetCommand("search_path", '"My Schema", x')),
        ("SET SCHEMA 'shop'", SetCommand("search_path", "shop")),
        ("set application_name = DEFAULT", SetCommand("application_name", None)),
        ("SET extra_float_digits = 3", SetCommand("extra_float_digits", "3")),
        ("set datestyle to iso, mdy", SetCommand("datestyle", "iso, mdy")),
        ("SET ROLE analyst", SetCommand("role", "analyst")),
        ("SET SESSION AUTHORIZATION DEFAULT", SetCommand("session_authorization", None)),
        (
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
            SetCommand("default_transaction_isolation", "read committed"),
        ),
        (
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY",
            SetCommand("transaction_isolation", "serializable", more=(("transaction_read_only", "on"),)),
        ),
        ("SET TRANSACTION READ WRITE", SetCommand("transaction_read_only", "off")),
        ("set plan_cache_mode.x = on /* comment */", SetCommand("plan_cache_mode.x", "on")),
    ],
)
def test_set(text: str, command: SetCommand) -> None:
    stmt = parse_statement(text)
    assert (stmt.kind, stmt.tag, stmt.command) == (Kind.SET, "SET", command)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("RESET ALL", "all"),
        ("reset TimeZone", "timezone"),
        ("RESET TIME ZONE", "timezone"),
        ("RESET SESSION AUTHORIZATION", "session_authorization"),
        ("reset search_path", "search_path"),
    ],
)
def test_reset(text: str, name: str) -> None:
    stmt = parse_statement(text)
    assert (stmt.kind, stmt.tag, stmt.command) == (Kind.RESET, "RESET", ResetCommand(name))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("SHOW ALL", "all"),
        ("show search_path", "search_path"),
        ("SHOW TimeZone", "timezone"),
        ("SHOW TIME ZONE", "timezone"),
        ("SHOW TRANSACTION ISOLATION LEVEL", "transaction_isolation"),
        ("show server_version;", "server_version"),
        ('SHOW "DateStyle"', "datestyle"),
    ],
)
def test_show(text: str, name: str) -> None:
    stmt = parse_statement(text.rstrip(";"))
    assert (stmt.kind, stmt.tag, stmt.command) == (Kind.SHOW, "SHOW", ShowCommand(name))


@pytest.mark.parametrize(
    ("text", "tag", "command"),
    [
        ("BEGIN", "BEGIN", TransactionCommand("begin")),
        ("begin work", "BEGIN", TransactionCommand("begin")),
        (
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            "BEGIN",
            TransactionCommand("begin", modes=("isolation level repeatable read", "read only")),
        ),
        (
            "START TRANSACTION READ ONLY",
            "START TRANSACTION",
            TransactionCommand("begin", modes=("read only",)),
        ),
        ("COMMIT", "COMMIT", TransactionCommand("commit")),
        ("END TRANSACTION", "COMMIT", TransactionCommand("commit")),
        ("commit and chain", "COMMIT", TransactionCommand("commit", chain=True)),
        ("ROLLBACK", "ROLLBACK", TransactionCommand("rollback")),
        ("ABORT", "ROLLBACK", TransactionCommand("rollback")),
        ("SAVEPOINT s1", "SAVEPOINT", TransactionCommand("savepoint", "s1")),
        ("RELEASE SAVEPOINT s1", "RELEASE", TransactionCommand("release", "s1")),
        ("release s1", "RELEASE", TransactionCommand("release", "s1")),
        ("ROLLBACK TO SAVEPOINT s1", "ROLLBACK", TransactionCommand("rollback_to", "s1")),
        ('rollback work to "S1"', "ROLLBACK", TransactionCommand("rollback_to", "S1")),
        ("PREPARE TRANSACTION 'tx1'", "PREPARE TRANSACTION", TransactionCommand("prepare", "tx1")),
        ("COMMIT PREPARED 'tx1'", "COMMIT PREPARED", TransactionCommand("commit_prepared", "tx1")),
        ("ROLLBACK PREPARED 'tx1'", "ROLLBACK PREPARED", TransactionCommand("rollback_prepared", "tx1")),
    ],
)
def test_transaction(text: str, tag: str, command: TransactionCommand) -> None:
    stmt = parse_statement(text)
    assert (stmt.kind, stmt.tag, stmt.command) == (Kind.TRANSACTION, tag, command)


@pytest.mark.parametrize(
    ("text", "kind", "tag", "command"),
    [
        ("DISCARD ALL", Kind.DISCARD, "DISCARD ALL", DiscardCommand("all")),
        ("discard temporary", Kind.DISCARD, "DISCARD TEMP", DiscardCommand("temp")),
        ("DISCARD PLANS", Kind.DISCARD, "DISCARD PLANS", DiscardCommand("plans")),
        ("DEALLOCATE ALL", Kind.DEALLOCATE, "DEALLOCATE ALL", DeallocateCommand(None)),
        ("deallocate prepare stmt_1", Kind.DEALLOCATE, "DEALLOCATE", DeallocateCommand("stmt_1")),
        ('DEALLOCATE "S"', Kind.DEALLOCATE, "DEALLOCATE", DeallocateCommand("S")),
        ("CLOSE c1", Kind.CLOSE, "CLOSE CURSOR", CloseCommand("c1")),
        ("CLOSE ALL", Kind.CLOSE, "CLOSE CURSOR ALL", CloseCommand(None)),
        ("LISTEN events", Kind.LISTEN, "LISTEN", ListenCommand("events")),
        ("UNLISTEN *", Kind.UNLISTEN, "UNLISTEN", ListenCommand(None)),
        ("UNLISTEN events", Kind.UNLISTEN, "UNLISTEN", ListenCommand("events")),
        ("FETCH c", Kind.FETCH, "FETCH", FetchCommand("next", 1, "c")),
        ("FETCH 10 FROM c", Kind.FETCH, "FETCH", FetchCommand("forward", 10, "c")),
        ("fetch all in c", Kind.FETCH, "FETCH", FetchCommand("all", None, "c")),
        ("FETCH FORWARD ALL FROM c", Kind.FETCH, "FETCH", FetchCommand("forward", None, "c")),
        ("FETCH FORWARD 5 c", Kind.FETCH, "FETCH", FetchCommand("forward", 5, "c")),
        ("FETCH BACKWARD c", Kind.FETCH, "FETCH", FetchCommand("backward", 1, "c")),
        ("FETCH PRIOR FROM c", Kind.FETCH, "FETCH", FetchCommand("prior", 1, "c")),
        ("FETCH ABSOLUTE -1 FROM c", Kind.FETCH, "FETCH", FetchCommand("absolute", -1, "c")),
        ("FETCH RELATIVE 3 c", Kind.FETCH, "FETCH", FetchCommand("relative", 3, "c")),
        ("MOVE LAST IN c", Kind.FETCH, "MOVE", FetchCommand("last", 1, "c", move=True)),
    ],
)
def test_cursor_and_session(text: str, kind: Kind, tag: str, command: object) -> None:
    stmt = parse_statement(text)
    assert (stmt.kind, stmt.tag, stmt.command) == (kind, tag, command)


def test_declare() -> None:
    stmt = parse_statement("DECLARE c1 BINARY NO SCROLL CURSOR WITH HOLD FOR select id from shop.orders")
    assert stmt.kind is Kind.DECLARE and stmt.tag == "DECLARE CURSOR"
    command = stmt.command
    assert isinstance(command, DeclareCommand)
    assert (command.name, command.binary, command.scroll, command.with_hold) == ("c1", True, False, True)
    assert command.query.kind is Kind.QUERY and command.query.text == "select id from shop.orders"
    scroll = parse_statement("declare c scroll cursor for select 1").command
    assert isinstance(scroll, DeclareCommand) and scroll.scroll and scroll.query.kind is Kind.QUERY


def test_copy_table_from_stdin_legacy_options() -> None:
    command = parse_statement("COPY shop.t (a, \"B\") FROM STDIN WITH CSV HEADER DELIMITER AS '|'").command
    assert isinstance(command, CopyCommand)
    assert command.table is not None and (command.table.db, command.table.name) == ("shop", "t")
    assert (command.direction, command.target, command.format, command.header) == (
        "from",
        "stdin",
        "csv",
        True,
    )
    assert (command.delimiter, command.null, command.columns) == ("|", "", ("a", "B"))


def test_copy_query_to_stdout() -> None:
    stmt = parse_statement("copy (select id from orders) to stdout with (format csv, header, null 'NULL')")
    command = stmt.command
    assert stmt.kind is Kind.COPY and stmt.tag == "COPY" and isinstance(command, CopyCommand)
    assert command.query is not None and command.query.kind is Kind.QUERY
    assert (command.format, command.header, command.null, command.delimiter) == ("csv", True, "NULL", ",")


def test_copy_defaults_and_binary() -> None:
    text = parse_statement("COPY t TO STDOUT").command
    assert isinstance(text, CopyCommand) and (text.format, text.delimiter, text.null) == ("text", "\t", "\\N")
    binary = parse_statement("COPY t TO STDOUT (FORMAT binary)").command
    assert isinstance(binary, CopyCommand) and binary.format == "binary"
    to_file = parse_statement("COPY t TO '/tmp/x.csv'").command
    assert isinstance(to_file, CopyCommand) and to_file.target == "/tmp/x.csv"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("select * from orders", Kind.QUERY),
        ("SELECT o.id FROM shop.orders o JOIN customers c ON c.id = o.customer_id", Kind.QUERY),
        ("with x as (select 1 as a) select a from x join orders on true", Kind.QUERY),
        ("select 1 union select id from orders", Kind.QUERY),
        ("TABLE orders", Kind.QUERY),
        ("(select id from orders)", Kind.QUERY),
        ("select set_config('a', 'b', false)", Kind.CATALOG),
        # No table and no catalog reference: the translator computes it, with Postgres's rules.
        ("select 1", Kind.QUERY),
        ("select 7 / 2", Kind.QUERY),
        ("VALUES (1), (2)", Kind.QUERY),
        ("select version()", Kind.CATALOG),
        ("select current_setting('search_path')", Kind.CATALOG),
        ("select * from pg_catalog.pg_class", Kind.CATALOG),
        ("select relname from pg_class where relkind = 'r'", Kind.CATALOG),
        ("select * from information_schema.tables", Kind.CATALOG),
        ("select 'orders'::regclass", Kind.CATALOG),
        ("select oid, typname from pg_type where typname = any($1)", Kind.CATALOG),
        ("select format_type(a.atttypid, a.atttypmod) from pg_attribute a", Kind.CATALOG),
        ("select n.nspname from pg_namespace n where has_schema_privilege(n.oid, 'USAGE')", Kind.CATALOG),
        ("select * from pg_class c join orders o on true", Kind.UNKNOWN),
        ("select * from orders where exists (select 1 from pg_class)", Kind.UNKNOWN),
        ("select pg_sleep(1) from orders", Kind.UNKNOWN),
        ("select * from orders o where o.x::regclass is not null", Kind.UNKNOWN),
        (
            "select c.relname from pg_catalog.pg_class c where c.relname operator(pg_catalog.~) '^(t)$'",
            Kind.CATALOG,
        ),
        ("insert into orders values (1)", Kind.DML),
        ("update orders set qty = 1", Kind.DML),
        ("delete from orders", Kind.DML),
        ("with d as (delete from orders returning *) select * from d", Kind.DML),
        ("merge into t using s on t.id = s.id when matched then delete", Kind.DML),
        ("create table t (a int)", Kind.DDL),
        ("ALTER TABLE t ADD COLUMN b int", Kind.DDL),
        ("drop table t", Kind.DDL),
        ("truncate t", Kind.DDL),
        ("grant select on t to bob", Kind.DDL),
        ("revoke select on t from bob", Kind.DDL),
        ("comment on table t is 'x'", Kind.DDL),
        ("create function f() returns int language plpgsql as $$ begin return 1; end $$", Kind.DDL),
        ("do $$ begin null; end $$", Kind.UTILITY),
        ("call proc()", Kind.UTILITY),
        ("explain select 1", Kind.UTILITY),
        ("prepare p as select 1", Kind.UTILITY),
        ("execute p", Kind.UTILITY),
        ("vacuum", Kind.UTILITY),
        ("analyze orders", Kind.UTILITY),
        ("lock table orders", Kind.LOCK),
        ("checkpoint", Kind.UTILITY),
        ("refresh materialized view v", Kind.UTILITY),
        ("", Kind.EMPTY),
        ("  -- just a comment", Kind.EMPTY),
    ],
)
def test_kinds(text: str, kind: Kind) -> None:
    assert parse_statement(text).kind is kind


def test_tags() -> None:
    assert parse_statement("select 1").tag == "SELECT"
    assert parse_statement("insert into t values (1)").tag == "INSERT"
    assert parse_statement("create table t (a int)").tag == "CREATE TABLE"
    assert parse_statement("truncate t").tag == "TRUNCATE TABLE"


def test_query_ast_is_postgres_dialect() -> None:
    stmt = parse_statement("select a::int8 from t where b ~ 'x'")
    assert stmt.ast is not None and stmt.command is None
    assert stmt.ast.sql("postgres") == "SELECT CAST(a AS BIGINT) FROM t WHERE b ~ 'x'"


@pytest.mark.parametrize("text", ["select 1 +", "select from where", "select (1"])
def test_unparseable_query_is_a_syntax_error(text: str) -> None:
    with pytest.raises(PgError) as caught:
        parse_statement(text)
    assert caught.value.sqlstate == SqlState.SYNTAX_ERROR
    assert caught.value.message.startswith("syntax error")


def test_unparseable_catalog_query_goes_to_the_catalog() -> None:
    stmt = parse_statement("select c.oid from pg_catalog.pg_class c where c.relname ~~~ 'x' +")
    assert (stmt.kind, stmt.ast) == (Kind.CATALOG, None)


@pytest.mark.parametrize(
    "text",
    [
        "SET",
        "SET x",
        "SET x = ",
        "SHOW",
        "FETCH 10 FROM",
        "BEGIN ISOLATION LEVEL",
        "SAVEPOINT",
        "DISCARD everything",
    ],
)
def test_bad_session_syntax(text: str) -> None:
    with pytest.raises(PgError) as caught:
        parse_statement(text)
    assert caught.value.sqlstate == SqlState.SYNTAX_ERROR


@pytest.mark.parametrize("text", ["SELEC 1", "frobnicate the database", "/* c */ selec\t1", "); select 1"])
def test_no_statement_starts_so_a_syntax_error_as_postgres_says(pg, text: str) -> None:
    with pytest.raises(psycopg.errors.SyntaxError) as pg_caught:
        pg.execute(text)
    with pytest.raises(PgError) as caught:
        parse_statement(text)
    assert caught.value.sqlstate == SqlState.SYNTAX_ERROR
    assert caught.value.message == str(pg_caught.value).splitlines()[0]
    assert str(caught.value.position) == pg_caught.value.diag.statement_position


def test_catalog_statements_are_classified_once_per_text() -> None:
    # psql's \d and drivers' reflection send the same catalog texts on every connection:
    # the classification (a full sqlglot parse) is kept by text, for catalog statements only.
    text = "SELECT c.oid, c.relname FROM pg_catalog.pg_class c WHERE c.relname = 'kept_once'"
    first = parse_statement(text)
    assert first.kind is Kind.CATALOG
    assert parse_statement(f"  {text}\n") is first
    assert parse_statement(split_statements(text + ";")[0]) is first
    data = "SELECT id FROM shop.orders WHERE id = 1"
    assert parse_statement(data) is not parse_statement(data)  # its AST is the planner's to copy
    mixed = "SELECT relname FROM pg_class, shop.orders"  # never a catalog statement
    assert parse_statement(mixed).kind is Kind.UNKNOWN
    assert parse_statement(mixed) is not parse_statement(mixed)


def test_a_catalog_text_is_split_once_and_then_answered_as_before() -> None:
    text = "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname = 'split_once';"
    fresh = split_statements(text)
    statement = parse_statement(fresh[0])  # classified: a catalog statement, kept
    kept = split_statements(text)  # this split is kept now
    again = split_statements(text)
    assert again[0] is kept[0] and again is not kept  # each caller gets a list of its own
    assert [(s.text, [(t.token_type, t.text, t.start, t.end) for t in s.tokens]) for s in again] == [
        (s.text, [(t.token_type, t.text, t.start, t.end) for t in s.tokens]) for s in fresh
    ]
    assert parse_statement(again[0]) is statement
    # Another text (two statements, or a data query) is split afresh every time.
    two = text + " SELECT 1;"
    assert len(split_statements(two)) == 2 and split_statements(two)[0] is not split_statements(two)[0]
    data = "SELECT id FROM shop.orders"
    parse_statement(split_statements(data)[0])
    assert split_statements(data)[0] is not split_statements(data)[0]
