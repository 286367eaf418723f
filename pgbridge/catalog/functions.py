"""The PostgreSQL functions catalog queries call, as DuckDB macros over our relations.

Session values (user, database, search path, settings) come from DuckDB variables the engine
sets before each query, so a rewritten statement does not depend on the session and can be
cached by its text. The rewriter (rewrite.py) maps each PostgreSQL function to one of these
macros, to a constant, or leaves it to DuckDB when DuckDB's function of that name behaves
the same; FUNCTION_TYPES says what PostgreSQL type each returns.
"""

from __future__ import annotations

_PATH = "getvariable('pgb_path_oids')"

MACROS: tuple[str, ...] = (
    """CREATE MACRO pgb_get_userbyid(r) AS CASE WHEN r = 10 THEN 'pgbridge'
        WHEN r = 6171 THEN 'pg_database_owner'
        WHEN r = getvariable('pgb_user_oid') THEN getvariable('pgb_user')
        ELSE 'unknown (OID=' || r || ')' END""",
    "CREATE MACRO pgb_array_remove(a, x) AS list_filter(a, lambda pgb_e: pgb_e IS DISTINCT FROM x)",
    """CREATE MACRO pgb_quote_literal(s) AS CASE WHEN s IS NULL THEN NULL
        ELSE (CASE WHEN contains(s::VARCHAR, chr(92)) THEN 'E' ELSE '' END) || chr(39)
            || replace(replace(s::VARCHAR, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39))
            || chr(39) END""",
    """CREATE MACRO pgb_quote_ident(s) AS CASE
        WHEN regexp_full_match(s, '[a-z_][a-z0-9_$]*')
             AND NOT EXISTS (SELECT 1 FROM pgb.keywords pgb_k WHERE pgb_k.word = s AND
                 pgb_k.catcode <> 'U') THEN s
        ELSE '"' || replace(s, '"', '""') || '"' END""",
    f"""CREATE MACRO pgb_table_is_visible(r) AS coalesce(
        (SELECT list_contains({_PATH}, pgb_cn.nspoid) FROM pgb.class_names pgb_cn
         WHERE pgb_cn.oid = r), false)""",
    "CREATE MACRO pgb_type_is_visible(t) AS EXISTS (SELECT 1 FROM pgc.pg_type pgb_y WHERE pgb_y.oid = t)",
    "CREATE MACRO pgb_function_is_visible(f) AS EXISTS (SELECT 1 FROM pgc.pg_proc pgb_p WHERE pgb_p.oid = f)",
    """CREATE MACRO pgb_format_type(t, m) AS CASE WHEN t IS NULL THEN NULL ELSE coalesce((
        SELECT CASE WHEN m IS NULL OR m < 4 THEN pgb_d.display
            WHEN t = 1700 THEN pgb_d.display || '(' || ((m - 4) >> 16) || ',' || ((m - 4) & 65535) || ')'
            WHEN t IN (1042, 1043) THEN pgb_d.display || '(' || (m - 4) || ')'
            ELSE pgb_d.display END
        FROM pgb.type_display pgb_d WHERE pgb_d.oid = t), '???') END""",
    """CREATE MACRO pgb_obj_description(o, cat) AS (SELECT min(pgb_x.description) FROM
        pgc.pg_description pgb_x
        WHERE pgb_x.objoid = o AND pgb_x.objsubid = 0 AND (cat IS NULL OR pgb_x.classoid = cat))""",
    """CREATE MACRO pgb_col_description(o, n) AS (SELECT min(pgb_x.description) FROM pgc.pg_description pgb_x
        WHERE pgb_x.objoid = o AND pgb_x.classoid = 1259 AND pgb_x.objsubid = n)""",
    f"""CREATE MACRO pgb_regclass_out(o) AS CASE WHEN o IS NULL THEN NULL WHEN o = 0 THEN '-' ELSE coalesce((
        SELECT CASE WHEN list_contains({_PATH}, pgb_cn.nspoid) THEN pgb_quote_ident(pgb_cn.relname)
               ELSE pgb_quote_ident(pgb_cn.nspname) || '.' || pgb_quote_ident(pgb_cn.relname) END
        FROM pgb.class_names pgb_cn WHERE pgb_cn.oid = o), o::VARCHAR) END""",
    f"""CREATE MACRO pgb_regclass_in(s) AS (SELECT pgb_cn.oid FROM pgb.class_names pgb_cn
        WHERE CASE WHEN contains(s, '.')
              THEN pgb_cn.nspname = replace(split_part(s, '.', 1), '"', '')
                   AND pgb_cn.relname = replace(split_part(s, '.', 2), '"', '')
              ELSE pgb_cn.relname = replace(s, '"', '') AND list_contains({_PATH}, pgb_cn.nspoid) END
        ORDER BY list_position({_PATH}, pgb_cn.nspoid) LIMIT 1)""",
    """CREATE MACRO pgb_regtype_out(t) AS CASE WHEN t IS NULL THEN NULL WHEN t = 0 THEN '-'
        ELSE coalesce((SELECT pgb_d.display FROM pgb.type_display pgb_d WHERE pgb_d.oid = t),
            t::VARCHAR) END""",
    """CREATE MACRO pgb_regtype_in(s) AS (SELECT pgb_y.oid FROM pgb.type_names pgb_y
        WHERE pgb_y.name = lower(trim(s)) LIMIT 1)""",
    """CREATE MACRO pgb_regnamespace_out(o) AS CASE WHEN o = 0 THEN '-' ELSE coalesce(
        (SELECT pgb_quote_ident(pgb_n.nspname) FROM pgc.pg_namespace pgb_n WHERE pgb_n.oid = o),
            o::VARCHAR) END""",
    """CREATE MACRO pgb_regnamespace_in(s) AS (SELECT pgb_n.oid FROM pgc.pg_namespace pgb_n
        WHERE pgb_n.nspname = replace(s, '"', ''))""",
    """CREATE MACRO pgb_regproc_out(o) AS CASE WHEN o = 0 THEN '-' ELSE coalesce(
        (SELECT min(pgb_p.proname) FROM pgc.pg_proc pgb_p WHERE pgb_p.oid = o),
        (SELECT min(pgb_io.name) FROM pgb.type_io_procs pgb_io WHERE pgb_io.oid = o), o::VARCHAR) END""",
    """CREATE MACRO pgb_regproc_in(s) AS coalesce((SELECT min(pgb_p.oid) FROM pgc.pg_proc pgb_p
        WHERE pgb_p.proname = replace(s, 'pg_catalog.', '')), (SELECT min(pgb_io.oid) FROM
        pgb.type_io_procs pgb_io WHERE pgb_io.name = replace(s, 'pg_catalog.', '')))""",
    """CREATE MACRO pgb_regrole_in(s) AS (SELECT min(pgb_r.oid) FROM pgc.pg_roles pgb_r WHERE
        pgb_r.rolname = s)""",
    """CREATE MACRO pgb_relation_size(o) AS coalesce(
        (SELECT pgb_b.bytes FROM pgb.relation_bytes pgb_b WHERE pgb_b.oid = o), 0)::BIGINT""",
    "CREATE MACRO pgb_array_upper(a, d) AS CASE WHEN d = 1 AND len(a) > 0 THEN len(a)::INTEGER END",
    "CREATE MACRO pgb_array_lower(a, d) AS CASE WHEN d = 1 AND len(a) > 0 THEN 1 END",
    """CREATE MACRO pgb_function_result(o) AS (SELECT pgb_format_type(pgb_p.prorettype, NULL)
        FROM pgc.pg_proc pgb_p WHERE pgb_p.oid = o)""",
    "CREATE MACRO pgb_function_arguments(o) AS (SELECT pgb_a.args FROM pgb.proc_args pgb_a WHERE "
    "pgb_a.oid = o)",
    "CREATE MACRO pgb_encoding_to_char(e) AS CASE e WHEN 6 THEN 'UTF8' WHEN 0 THEN 'SQL_ASCII' ELSE '' END",
    # information_schema._pg_expandarray: one (x, n) row per element; pgjdbc's getPrimaryKeys uses it.
    "CREATE MACRO pgb_expandarray(arr) AS list_transform(arr, lambda v, i: {'x': v, 'n': i})",
    "CREATE MACRO pgb_current_setting(n) AS getvariable('pgb_settings')[n]",
    """CREATE MACRO pgb_parse_ident(s) AS list_transform(string_split(s, '.'),
        lambda x: CASE WHEN starts_with(trim(x), '"') THEN replace(trim(trim(x), '"'), '""', '"')
             ELSE lower(trim(x)) END)""",
)

# PostgreSQL result types of the functions the rewriter knows (polymorphic ones: infer.py).
FUNCTION_TYPES: dict[str, str] = {
    "version": "text",
    "current_schema": "name",
    "current_schemas": "_name",
    "current_database": "name",
    "current_catalog": "name",
    "current_user": "name",
    "session_user": "name",
    "user": "name",
    "current_role": "name",
    "current_setting": "text",
    "set_config": "text",
    "pg_get_userbyid": "name",
    "pg_table_is_visible": "bool",
    "pg_type_is_visible": "bool",
    "pg_function_is_visible": "bool",
    "pg_collation_is_visible": "bool",
    "format_type": "text",
    "pg_get_expr": "text",
    "pg_get_constraintdef": "text",
    "pg_get_indexdef": "text",
    "pg_get_viewdef": "text",
    "pg_get_statisticsobjdef_columns": "text",
    "pg_get_triggerdef": "text",
    "pg_get_ruledef": "text",
    "pg_encoding_to_char": "name",
    "obj_description": "text",
    "col_description": "text",
    "shobj_description": "text",
    "has_table_privilege": "bool",
    "has_schema_privilege": "bool",
    "has_database_privilege": "bool",
    "has_column_privilege": "bool",
    "has_any_column_privilege": "bool",
    "has_function_privilege": "bool",
    "has_type_privilege": "bool",
    "pg_has_role": "bool",
    "quote_ident": "text",
    "quote_literal": "text",
    "array_remove": "_text",
    "acldefault": "_aclitem",
    "parse_ident": "_text",
    "array_upper": "int4",
    "array_lower": "int4",
    "array_length": "int4",
    "cardinality": "int4",
    "to_regtype": "regtype",
    "to_regclass": "regclass",
    "to_regproc": "regproc",
    "to_regnamespace": "regnamespace",
    "to_regrole": "regrole",
    "pg_get_serial_sequence": "text",
    "pg_relation_size": "int8",
    "pg_total_relation_size": "int8",
    "pg_table_size": "int8",
    "pg_indexes_size": "int8",
    "pg_size_pretty": "text",
    "pg_backend_pid": "int4",
    "pg_postmaster_start_time": "timestamptz",
    "pg_is_in_recovery": "bool",
    "pg_get_function_result": "text",
    "pg_get_function_arguments": "text",
    "pg_get_function_identity_arguments": "text",
    "pg_relation_is_publishable": "bool",
    "now": "timestamptz",
    "current_timestamp": "timestamptz",
    "statement_timestamp": "timestamptz",
    "transaction_timestamp": "timestamptz",
    "clock_timestamp": "timestamptz",
    "count": "int8",
    "string_agg": "text",
    "array_to_string": "text",
    "lower": "text",
    "upper": "text",
    "concat": "text",
    "concat_ws": "text",
    "substring": "text",
    "replace": "text",
    "trim": "text",
    "length": "int4",
    "char_length": "int4",
    "row_number": "int8",
    "rank": "int8",
    "json_build_object": "json",
    "json_agg": "json",
    "to_json": "json",
    "row_to_json": "json",
    "generate_subscripts": "int4",
    "pg_get_keywords": "record",
    "inet_server_addr": "inet",
    "txid_current": "int8",
    "pg_my_temp_schema": "oid",
    "pg_is_other_temp_schema": "bool",
    "regexp_replace": "text",
    "split_part": "text",
    "left": "text",
    "right": "text",
    "pg_client_encoding": "name",
    "bool_and": "bool",
    "bool_or": "bool",
    "exists": "bool",
    "_pg_expandarray": "record",
}
