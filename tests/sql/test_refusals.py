"""The refusal corpus: queries whose BigQuery translation would compute something else.

Each must fail with 0A000 naming the construct (a silently different result is the worst
bug pgbridge can have). Entries stay here for good, like a bypass corpus: if a later change
starts translating one of them, it must come with a differential test proving it exact.
"""

from __future__ import annotations

import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline

REFUSALS: list[tuple[str, str]] = [
    ("select initcap(name) from customers", "initcap"),
    ("select avg(qty) + 1 from orders", "avg()"),
    ("select round(avg(amount), 2) > 1 from orders", "avg()"),
    ("select array_agg(name) from customers", "array_agg"),
    ("select name ~* city from customers", "~*"),  # ~* with a literal translates (test_regex)
    ("select name similar to '[^a]%' from customers", "SIMILAR TO"),
    ("select 1.0 / 3 > 0", "numeric division"),
    ("select balance / 3 + 1 from customers", "numeric division"),
    ("select max(balance * balance) from customers", "display scale depends on the row"),
    ("select round(score, 1) from customers", "round(float8, integer)"),
    ("select score::text from customers", "cast from float64 to text"),
    ("select balance::text from customers", "cast from numeric to text"),
    ("select placed::text from orders", "cast from datetime to text"),
    ("select name::char(3) from customers", "char(3)"),  # ::varchar(3) translates (LEFT)
    ("select score::numeric from customers", "float8 to numeric"),
    ("select concat(name, score) from customers", "concat() of float64"),
    ("select name || score from customers", "|| with a float64 operand"),
    ("select substring(name, 0, 2) from customers", "substring() start"),
    ("select substring(name, id) from customers", "substring() start"),
    ("select left(name, -2) from customers", "left() length"),
    ("select lpad(name, 5, '') from customers", "fill"),
    ("select split_part(name, '', 1) from customers", "delimiter"),
    (r"select name ~ '(a)\1' from customers", "regular expression"),
    (r"select name ~ '(a)\1' from customers", "regular expression"),
    ("select name ~ city from customers", "not a string literal"),
    ("select count(distinct (id, name)) from customers", "row constructor"),
    ("select u from customers u", "whole-row reference"),
    ("select u::text from customers u", "whole-row reference"),
    ("select row_to_json(u)::text from customers u", "whole-row reference"),
    ("select id from customers u where row_to_json(u) is not null", "whole-row reference"),
    ("select row_to_json(p) from products p", 'column "attrs" of type json'),
    ("select row_to_json(x) from (select price * 2 as p from products) x", "computed numeric"),
    ("select row_to_json(x) from (select id, id from customers) x", "repeated columns"),
    ("select row_to_json(u, true) from customers u", "whole-row reference"),
    (
        "select x.id from customers c left join lateral (select o.id from orders o) x on x.id = c.id",
        "LATERAL join other than",
    ),
    ("select x.t from products p, lateral (select p.tags as t) x", "of type array<string>"),
    ("select x.a from customers c, lateral (select 1 as a, 2 as a) x", "repeated output columns"),
    ("select x.a from customers c, lateral (select 1 union select 2) x(a)", "LATERAL"),
    ("select tags from customers intersect all select tags from customers", "INTERSECT ALL of array<string>"),
    ("select score from customers except all select score from customers", "EXCEPT ALL of float64"),
    (
        "with recursive r(n) as (select 1 union select n + 1 from r where n < 3) select n from r",
        "UNION (without ALL)",
    ),
    ("select id from customers order by score limit all", "LIMIT ALL"),
    ("select id from customers for update", "FOR UPDATE"),
    ("select stddev(qty) from orders", "stddev"),
    ("select sum(name) from customers", "sum() of string"),
    ("select 1e3", "numeric literal"),
    ("select 0.123456789012345678901234567890123456789", "numeric literal"),
    ("select array[1, null]", "NULL inside ARRAY"),
    (r"select e'\x41'", "E'...' escape string"),  # e'a\nb' translates (test_more_functions)
    ("select sqrt(balance) from customers", "sqrt(numeric)"),
    ("select log(2, 8)", "log(base, x)"),
    ("select case city when 'Paris' then 1 end from customers", "CASE x WHEN"),
    ("select x from (values (1), (null)) v(x)", "NULL in VALUES"),
    ("select percentile_cont(0.5) within group (order by balance) from customers", "of numeric"),
    ('select name collate "C" from customers', "COLLATE"),
    ("select id from customers where name like 'a%' escape '%'", "ESCAPE"),
    (
        "select sum(qty) over (order by id range between 1 preceding and current row) from orders",
        "RANGE frame",
    ),
    ("select greatest(name, id) from customers", "mixing these types"),
    ("select name from customers where name like '%\\'", "lone backslash"),
    ("select 'a' = any(array_remove(tags, 'a')) from customers", "array_remove"),
    ("select id > all(select id from orders) from customers", "ALL"),
    ("select count(*) from customers where score::numeric(40, 2) > 0", "numeric(40,2)"),
    ("select ints[1][1] from nums", "subscript"),
    ("select current_timestamp(3)", "current_timestamp(precision)"),
    ("select 1 union select born from customers", "mixing"),
    # time zones: PostgreSQL reads abbreviations and offsets in AT TIME ZONE as fixed offsets
    ("select now() at time zone 'EST'", "AT TIME ZONE 'EST'"),
    ("select now() at time zone '+05'", "AT TIME ZONE '+05'"),
    ("select placed_tz at time zone city from orders, customers", "not a string literal"),
    ("select born at time zone 'UTC' from customers", "AT TIME ZONE on date"),
    ("select localtime", "localtime"),
    ("select current_time", "current_time"),
    ("select id from orders where placed_tz > 'Jan 1 2024'", "timestamptz literal"),
    ("select placed_tz + (interval '1 day') from orders", "date/time arithmetic with this interval"),
    ("select date_trunc('day', placed_tz, 'UTC') from orders", "time zone argument"),
    ("select placed_tz::text from orders", "cast from timestamp to text"),
    # json: only what BigQuery's JSON functions answer exactly
    ("select attrs->>-1 from products", "json operator"),
    ("""select attrs->>'a b' from products""", "json key"),
    ("select attrs->>name from products", "json"),
    ("select name->>'a' from products", "json operator ->> on string"),
    ("""select attrs @> '{"ratio": 0.25}' from products""", "jsonb @>"),
    ("""select attrs @> '{"d": {"h": 30}}' from products""", "jsonb @>"),
    ("""select attrs @> '[1]' from products""", "jsonb @>"),
    ("select attrs @> attrs from products", "jsonb @>"),
    ("select attrs #>> '{d,h}' from products", "#>>"),
    ("select attrs ? 'color' from products", "?"),
    ("select id from products where attrs = attrs", "comparing json with json"),
    ("select id from products order by attrs", "ORDER BY a json value"),
    # set-returning functions and array_agg
    ("select unnest(tags), unnest(tags) from products", "several set-returning functions"),
    ("select unnest(tags), generate_series(1, 2) from products", "several set-returning functions"),
    ("select city, unnest(array_agg(id)) from customers group by city", "GROUP BY, aggregates"),
    ("select count(unnest(tags)) from products", "inside"),
    ("select case when true then unnest(tags) end from products", "set-returning unnest() inside"),
    ("select unnest(name) from customers", "not an array"),
    ("select * from unnest(array[1, 2]) with ordinality", "WITH ORDINALITY"),
    ("select * from unnest(array[1], array[2])", "several arrays"),
    ("select p.id, t from products p left join lateral unnest(p.tags) t on true", "outer join with unnest"),
    ("select * from generate_series(1, 3, 0)", "step"),
    # the policy lets admin call every function: the translator still refuses what it cannot
    # translate, and a dataset's function of a built-in's name is not the built-in
    ("select * from shop.generate_series(1, 2)", "function shop.generate_series()"),
    ("select * from read_csv('/etc/passwd')", "read_csv()"),
    ("select external_query('c', 'select 1')", "external_query()"),
    ("select * from generate_series(1, 3, id) s, customers", "step"),
    ("select * from generate_series(1.5, 3)", "generate_series() of other than integers"),
    ("select * from generate_series(now(), now() + interval '3 days', '1 day')", "with this step"),
    ("select generate_series(placed, placed, '1 month') from orders", "with this step"),
    ("select * from generate_series('2024-01-02'::timestamp, '2024-01-01', '-1 hour')", "with this step"),
    ("select * from generate_series('2024-01-01'::timestamp, '2024-01-02', '0 hours')", "with this step"),
    (
        "select generate_series(placed, placed, interval '1 hour' * 2) from orders",
        "operator interval * int64",
    ),
    ("select array_agg(tags) from products", "array_agg() of array"),
    ("select array_agg(id) over () from customers", "window"),
    ("select array_agg(name) filter (where id > 1) from customers", "may be NULL"),
    ("select array_agg(name) filter (where name is null) from customers", "may be NULL"),
    (
        "select array_agg(distinct city order by city) filter (where city is not null) from customers",
        "DISTINCT ... ORDER BY",
    ),
    # DISTINCT ON, grouping sets, to_char
    ("select distinct on (city) city, name from customers order by name", "DISTINCT ON expressions"),
    ("select distinct on (tags) id from customers", "DISTINCT ON a json or array"),
    (
        "select distinct on (city) city from customers order by city, row_number() over ()",
        "window function in ORDER BY",
    ),
    ("select grouping(city, active) from customers group by cube(city, active)", "grouping() of several"),
    (
        "select count(*) from customers group by grouping sets (rollup(city), ())",
        "ROLLUP inside another grouping construct",
    ),
    ("select to_char(born, 'YYYY BC') from customers", "to_char() with the template pattern"),
    ("select to_char(born, 'Y,YYY') from customers", "to_char() with the template pattern"),
    ("select to_char(born, 'DDth') from customers", "to_char() with the template pattern"),
    ("select to_char(placed, 'TMMonth') from orders", "to_char() with the template pattern"),
    ("select to_char(placed, 'HH24 TZ') from orders", "to_char() with the template pattern"),
    ("select to_char(score, '999') from customers", "to_char() of float64"),
    # literals of interval, time, bytea, json and array types: a strict subset of PostgreSQL's input
    ("select '1.5 days'::interval", "interval '1.5 days'"),
    ("select 'P1D'::interval", "interval 'P1D'"),
    ("select '1 day ago'::interval", "interval '1 day ago'"),
    ("select name::interval from customers", "cast from string to interval"),
    ("select placed + '1 day'::interval from orders", "date/time arithmetic with this interval"),
    ("select interval '1 day' + interval '1 hour'", "operator interval + interval"),
    ("select placed + interval '1 day 2 hours' from orders", "date/time arithmetic with this interval"),
    ("select '24:00:00'::time", "time literal"),
    ("select '12:00 PM'::time", "time literal"),
    ("select name::time from customers", "cast from string to time"),
    (r"select 'a\b'::bytea", "escape format"),
    ("select name::bytea from customers", "cast from string to bytea"),
    ("""select '{"a": 2.50}'::jsonb""", "json number 2.50"),
    ("""select '{"a": 1e2}'::jsonb""", "json number 1e2"),
    ("""select '{"a": 1, "a": 2}'::jsonb""", "repeated key"),
    ("select name::jsonb from customers", "cast from string to jsonb"),
    ("select attrs::json from products", "cast from json to json"),
    ("select '{1,NULL}'::int8[]", "NULL or empty element"),
    ("select '{{1,2}}'::int8[]", "array literal"),
    ("select '{1.5}'::numeric[]", "cast to decimal[]"),
    ("select null::int8[]", "NULL::int8[]"),
    ("select array(select city from customers)", "ARRAY(subquery) of a value that may be NULL"),
    ("select array(select id, name from customers)", "several columns"),
    ("select array(select tags from customers where tags is not null)", "ARRAY(subquery) of array"),
    # to_json / json_build_object: only values whose JSON form agrees
    ("select to_json(score) from customers", "to_json() of float64"),
    ("select to_jsonb(balance) from customers", "to_jsonb() of numeric"),
    ("select to_json(placed_tz) from orders", "to_json() of timestamp"),
    ("select to_json(tags) from customers", "to_json() of array<string>"),
    ("select to_json(attrs) from products", "to_json() of json"),
    ("select json_build_object('a', born) from customers", "json_build_object() of date"),
    ("select json_build_object(name, 1) from customers", "key that is not a string literal"),
    ("select json_build_object('a')", "odd number of arguments"),
    ("select jsonb_build_object('a', 1, 'a', 2)", "repeated key"),
    ("select ints::text[] from nums", "cast from array<int64> to text[]"),
]


def test_corpus_is_large_enough() -> None:
    assert len(REFUSALS) >= 40


@pytest.mark.parametrize(("sql", "construct"), REFUSALS)
def test_refused_with_construct_named(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    error = caught.value
    assert error.sqlstate == SqlState.FEATURE_NOT_SUPPORTED, f"{error} for {sql}"
    assert construct.lower() in error.message.lower(), f"{error.message!r} does not name {construct!r}"
