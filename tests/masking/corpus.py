"""Queries that try to read a masked value, and what must happen to each (kept forever).

Written against the demo table `shop.customers` (and `shop.orders`) with the DEMO_RULES below,
for a principal holding only the `analyst` role: ssn and card_number keep their last 4
characters, phone is redacted, email is a keyed hash that still allows equality (joins,
`=`, GROUP BY). Each entry is (postgres sql, expectation):
- "masked": the query runs, and no clear ssn / card / phone / email value (see SECRET_FRAGMENTS)
  may appear anywhere in what the client receives (the statement's own literals aside);
- "fails": the query runs and the warehouse fails on it, computing on masked values only (a
  cast of '****6789' to int fails for every row alike);
- "refused": planning refuses it with SQLSTATE 42501 (what would compute on a hashed column).
Columns masked in the warehouse (everything but `hash`) are read through masking views, so
queries that filter, sort, group or compute on them run on the masked values; test_corpus.py
checks that their outcome does not change when the clear values behind the masks do.
Every statement that ever slipped past masking belongs here. The lead re-runs this corpus
over the wire (psql / asyncpg); tests/masking/test_corpus.py runs it at the planning level.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pgbridge.backends.base import Field
from pgbridge.masking.settings import MaskingSettings, MaskRule

CUSTOMERS = (
    Field("id", "INT64"),
    Field("name", "STRING"),
    Field("email", "STRING"),
    Field("phone", "STRING"),
    Field("ssn", "STRING"),
    Field("card_number", "STRING"),
    Field("country", "STRING"),
    Field("created_at", "TIMESTAMP"),
    Field("lifetime_value", "NUMERIC"),
)
ORDERS = (
    Field("id", "INT64"),
    Field("customer_id", "INT64"),
    Field("product_id", "INT64"),
    Field("ordered_at", "TIMESTAMP"),
    Field("amount", "FLOAT64"),
    Field("status", "STRING"),
)
PRODUCTS = (Field("id", "INT64"), Field("name", "STRING"), Field("category", "STRING"))
TABLES = {("shop", "customers"): CUSTOMERS, ("shop", "orders"): ORDERS, ("shop", "products"): PRODUCTS}

_T = dt.datetime(2021, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
CUSTOMER_ROWS = [
    (
        1,
        "Alice Adams",
        "alice.secret@example.com",
        "+1-202-555-0143",
        "123-45-6789",
        "4111111111111111",
        "US",
        _T,
        Decimal("1234.560000000"),
    ),
    (
        2,
        "Bob Brown",
        "bob.hidden@example.org",
        "+44-20-7946-0958",
        "987-65-4321",
        "5500005555555559",
        "GB",
        _T,
        Decimal("99.000000000"),
    ),
    (
        3,
        "Carol Chen",
        "carol.private@example.net",
        "+1-415-555-0199",
        "555-12-3456",
        "340000000000009",
        "US",
        _T,
        Decimal("0.500000000"),
    ),
]
ORDER_ROWS = [
    (10, 1, 100, _T, 12.5, "shipped"),
    (11, 1, 101, _T, 7.25, "pending"),
    (12, 2, 100, _T, 3.0, "shipped"),
]

# Pieces of clear values that must never reach a client. The last 4 characters of ssn and
# card_number are shown by design (partial keep=4), so fragments avoid them.
SECRET_FRAGMENTS = (
    "123-45",
    "987-65",
    "555-12",
    "12345",
    "98765",
    "55512",
    "41111111",
    "55000055",
    "3400000000",
    "202-555",
    "20-7946",
    "415-555",
    "2025550",
    "207946",
    "4155550",
    "alice.secret",
    "bob.hidden",
    "carol.private",
)

ANALYST_ROLES = ("analyst",)
EXEMPT_ROLES = ("admin",)
DEMO_RULES = (
    MaskRule("shop.customers.ssn", "partial", ("admin",), {"keep": 4}),
    MaskRule("shop.customers.card_number", "partial", ("admin",), {"keep": 4}),
    MaskRule("shop.customers.phone", "redact", ("admin",)),
    MaskRule("shop.customers.email", "hash", ("admin",), allow_equality=True),
)
DEMO_HASH_KEY = b"corpus-test-key-0123456789abcdef"


def demo_settings() -> MaskingSettings:
    return MaskingSettings(DEMO_RULES, DEMO_HASH_KEY)


MASKED = "masked"
REFUSED = "refused"
FAILS = "fails"

CORPUS: list[tuple[str, str]] = [
    # plain reads, aliases, stars
    ("SELECT * FROM shop.customers", MASKED),
    ("SELECT ssn FROM shop.customers", MASKED),
    ("SELECT SSN, Card_Number FROM shop.customers", MASKED),
    ("SELECT c.ssn AS x FROM shop.customers c", MASKED),
    ("SELECT (ssn) AS harmless FROM shop.customers", MASKED),
    ("SELECT c.* FROM shop.customers c", MASKED),
    ("SELECT * EXCEPT (id) FROM shop.customers", MASKED),
    ("SELECT c.* EXCEPT (name) FROM shop.customers c", MASKED),
    ("SELECT ssn AS id, id AS ssn FROM shop.customers", MASKED),
    ("SELECT c.ssn AS name, c.name AS ssn FROM shop.customers c", MASKED),
    ("SELECT z.e FROM shop.customers AS z(i, n, e)", MASKED),
    ("SELECT ssn FROM shop.customers WHERE id = 1", MASKED),
    ("SELECT ssn FROM shop.customers WHERE country = 'US' ORDER BY id", MASKED),
    ("SELECT ssn FROM shop.customers LIMIT 1", MASKED),
    ("SELECT ssn FROM shop.customers ORDER BY id FETCH FIRST 2 ROWS ONLY", MASKED),
    ("SELECT ssn FROM shop.customers ORDER BY id OFFSET 1", MASKED),
    # functions and casts: transformed values are fully redacted
    ("SELECT upper(ssn) FROM shop.customers", MASKED),
    ("SELECT lower(email) FROM shop.customers", REFUSED),
    ("SELECT ssn || '' FROM shop.customers", MASKED),
    ("SELECT 'x' || phone FROM shop.customers", MASKED),
    ("SELECT concat(ssn, '-', phone) FROM shop.customers", MASKED),
    ("SELECT substr(card_number, 1, 8) FROM shop.customers", MASKED),
    ("SELECT replace(ssn, '-', '') FROM shop.customers", MASKED),
    ("SELECT reverse(ssn) FROM shop.customers", MASKED),
    ("SELECT split_part(email, '@', 1) FROM shop.customers", REFUSED),
    ("SELECT ssn::text FROM shop.customers", MASKED),
    ("SELECT CAST(card_number AS varchar) FROM shop.customers", MASKED),
    ("SELECT coalesce(ssn, 'none') FROM shop.customers", MASKED),
    ("SELECT nullif(ssn, '') FROM shop.customers", MASKED),
    ("SELECT greatest(ssn, phone) FROM shop.customers", MASKED),
    ("SELECT md5(ssn) FROM shop.customers", MASKED),
    ("SELECT length(ssn) FROM shop.customers", MASKED),
    ("SELECT ARRAY[ssn, phone] FROM shop.customers", MASKED),
    ("SELECT json_build_object('s', ssn) FROM shop.customers", MASKED),
    ("SELECT CASE WHEN id = 1 THEN ssn ELSE phone END FROM shop.customers", MASKED),
    # subqueries: in FROM, in the select list, correlated, LATERAL
    ("SELECT x FROM (SELECT ssn AS x FROM shop.customers) sub", MASKED),
    ("SELECT * FROM (SELECT * FROM shop.customers) sub", MASKED),
    ("SELECT sub.* FROM (SELECT email, phone FROM shop.customers) sub", MASKED),
    ("SELECT t.d FROM (SELECT * FROM shop.customers) AS t(a, b, c, d)", MASKED),
    ("SELECT * FROM (SELECT ssn AS name, name AS ssn FROM shop.customers) s", MASKED),
    ("SELECT (SELECT c2.ssn FROM shop.customers c2 WHERE c2.id = c.id) FROM shop.customers c", MASKED),
    ("SELECT id, (SELECT card_number FROM shop.customers ORDER BY id LIMIT 1) FROM shop.orders", MASKED),
    ("SELECT l.s FROM shop.customers c CROSS JOIN LATERAL (SELECT c.ssn AS s) l", MASKED),
    ("SELECT v.x FROM shop.customers c, LATERAL (SELECT c.card_number AS x) v", MASKED),
    ("SELECT s.x FROM (VALUES (1)) v(a) CROSS JOIN (SELECT ssn AS x FROM shop.customers) s", MASKED),
    ("SELECT c.id, v.x FROM shop.customers c, LATERAL (SELECT nullif(c.ssn, '123-45-6789') AS x) v", MASKED),
    (
        "SELECT v.x FROM shop.customers c, LATERAL (SELECT c.card_number AS x WHERE c.ssn LIKE '1%') v",
        MASKED,
    ),
    (
        "SELECT v.n FROM shop.customers c, "
        "LATERAL (SELECT count(*) AS n FROM shop.orders o WHERE o.status = c.phone) v",
        MASKED,
    ),
    (
        "SELECT v.x FROM shop.customers c LEFT JOIN LATERAL (SELECT o.id AS x FROM shop.orders o "
        "WHERE o.customer_id = c.id ORDER BY c.ssn LIMIT 1) v ON true",
        MASKED,
    ),
    (
        "SELECT * FROM shop.customers c "
        "WHERE EXISTS (SELECT 1 FROM shop.orders o WHERE o.customer_id = c.id)",
        MASKED,
    ),
    ("SELECT ssn FROM shop.customers c WHERE c.id IN (SELECT customer_id FROM shop.orders)", MASKED),
    # CTEs: plain, nested, renamed, recursive
    ("WITH t AS (SELECT ssn FROM shop.customers) SELECT * FROM t", MASKED),
    ("WITH a AS (SELECT ssn AS s FROM shop.customers), b AS (SELECT s AS t FROM a) SELECT t FROM b", MASKED),
    ("WITH t(x) AS (SELECT phone FROM shop.customers) SELECT x FROM t", MASKED),
    ("WITH t AS (SELECT * FROM shop.customers) SELECT t.* FROM t", MASKED),
    (
        "WITH RECURSIVE r(n, s) AS (SELECT 1, ssn FROM shop.customers UNION ALL "
        "SELECT n + 1, s FROM r WHERE n < 3) SELECT s FROM r",
        MASKED,
    ),
    (
        "WITH RECURSIVE r(n, s) AS (SELECT 1, 'x' UNION ALL "
        "SELECT r.n + 1, c.card_number FROM r JOIN shop.customers c ON c.id = r.n WHERE r.n < 3) "
        "SELECT s FROM r",
        MASKED,
    ),
    # set operations, by position
    ("SELECT ssn FROM shop.customers UNION ALL SELECT status FROM shop.orders", MASKED),
    ("SELECT id, status FROM shop.orders UNION ALL SELECT id, card_number FROM shop.customers", MASKED),
    ("SELECT name FROM shop.customers UNION ALL SELECT email FROM shop.customers", MASKED),
    ("SELECT ssn FROM shop.customers UNION ALL SELECT phone FROM shop.customers", MASKED),
    (
        "SELECT x.col FROM (SELECT ssn AS col FROM shop.customers "
        "UNION ALL SELECT name FROM shop.customers) x",
        MASKED,
    ),
    # whole-row references
    ("SELECT u FROM shop.customers u", REFUSED),
    ("SELECT row_to_json(u) FROM shop.customers u", REFUSED),
    ("SELECT to_jsonb(u) FROM shop.customers u", REFUSED),
    ("SELECT u::text FROM shop.customers u", REFUSED),
    ("SELECT TO_JSON_STRING(u) FROM shop.customers u", REFUSED),
    ("WITH t AS (SELECT * FROM shop.customers) SELECT t FROM t", REFUSED),
    ("WITH t AS (SELECT * FROM shop.customers) SELECT row_to_json(t) FROM t", REFUSED),
    ("SELECT (SELECT row_to_json(c) FROM shop.customers c ORDER BY id LIMIT 1)", REFUSED),
    ("SELECT s FROM (SELECT ssn, phone FROM shop.customers) s", MASKED),
    # joins
    ("SELECT o.id, c.ssn FROM shop.orders o JOIN shop.customers c ON o.customer_id = c.id", MASKED),
    ("SELECT * FROM shop.orders o JOIN shop.customers c ON o.customer_id = c.id", MASKED),
    ("SELECT * FROM shop.customers JOIN shop.orders USING (id)", MASKED),
    ("SELECT ssn FROM shop.customers JOIN shop.orders USING (id)", MASKED),
    ("SELECT * FROM shop.customers NATURAL JOIN shop.orders", MASKED),
    ("SELECT c1.id, c2.email FROM shop.customers c1 JOIN shop.customers c2 ON c1.email = c2.email", MASKED),
    # UNNEST, windows
    ("SELECT x FROM shop.customers c, UNNEST(ARRAY[c.ssn, c.phone]) AS t(x)", MASKED),
    ("SELECT id, ssn, row_number() OVER (ORDER BY id) FROM shop.customers", MASKED),
    ("SELECT ssn, count(*) OVER () FROM shop.customers", MASKED),
    ("SELECT lag(ssn) OVER (ORDER BY id) FROM shop.customers", MASKED),
    ("SELECT first_value(card_number) OVER (PARTITION BY country ORDER BY id) FROM shop.customers", MASKED),
    # equality on the hashed email is allowed by its rule
    ("SELECT email FROM shop.customers WHERE email = 'alice.secret@example.com'", REFUSED),
    ("SELECT email, count(*) FROM shop.customers GROUP BY email", MASKED),
    ("SELECT count(DISTINCT email) FROM shop.customers", MASKED),
    ("SELECT id FROM shop.customers WHERE email IN ('bob.hidden@example.org')", REFUSED),
    ("SELECT email FROM shop.customers WHERE id > 0 AND email = 'alice.secret@example.com'", REFUSED),
    ("SELECT c1.id FROM shop.customers c1 JOIN shop.customers c2 USING (email)", MASKED),
    # boolean logic does not hide a masked column
    ("SELECT id FROM shop.customers WHERE id = 1 OR ssn LIKE '1%'", MASKED),
    ("SELECT id FROM shop.customers WHERE NOT (ssn = 'x')", MASKED),
    ("SELECT id FROM shop.customers WHERE id = 1 AND NOT email LIKE 'a%'", REFUSED),
    ("SELECT id FROM shop.customers WHERE (id = 1) = (card_number = '4111111111111111')", MASKED),
    # ---- refused: inference through filters, joins, grouping, ordering, aggregates
    ("SELECT id FROM shop.customers WHERE ssn LIKE '1%'", MASKED),
    ("SELECT id FROM shop.customers WHERE ssn = '123-45-6789'", MASKED),
    ("SELECT id FROM shop.customers WHERE substr(ssn, 1, 1) = '1'", MASKED),
    ("SELECT id FROM shop.customers WHERE ssn BETWEEN '1' AND '2'", MASKED),
    ("SELECT id FROM shop.customers WHERE ssn ~ '^1'", MASKED),
    ("SELECT id FROM shop.customers WHERE position('5' in ssn) > 0", MASKED),
    ("SELECT id FROM shop.customers WHERE ssn IS NOT NULL", MASKED),
    ("SELECT id FROM shop.customers WHERE phone IN ('+1-202-555-0143')", MASKED),
    ("SELECT id FROM shop.customers WHERE (SELECT ssn) LIKE '1%'", MASKED),
    ("SELECT id FROM shop.customers WHERE email LIKE 'alice%'", REFUSED),
    ("SELECT id FROM shop.customers WHERE lower(email) = 'x'", REFUSED),
    ("SELECT id FROM shop.customers ORDER BY ssn", MASKED),
    ("SELECT id FROM shop.customers ORDER BY card_number DESC", MASKED),
    ("SELECT ssn FROM shop.customers ORDER BY 1", MASKED),
    ("SELECT ssn AS s FROM shop.customers ORDER BY s", MASKED),
    ("SELECT email FROM shop.customers ORDER BY email", REFUSED),
    ("SELECT ssn, count(*) FROM shop.customers GROUP BY ssn", MASKED),
    ("SELECT id, ssn FROM shop.customers GROUP BY 1, 2", MASKED),
    ("SELECT country FROM shop.customers GROUP BY country HAVING max(ssn) > '5'", MASKED),
    ("SELECT DISTINCT ssn FROM shop.customers", MASKED),
    ("SELECT DISTINCT ON (ssn) id FROM shop.customers", MASKED),
    ("SELECT max(ssn) FROM shop.customers", MASKED),
    ("SELECT min(card_number) FROM shop.customers", MASKED),
    ("SELECT max(email) FROM shop.customers", REFUSED),
    ("SELECT string_agg(phone, ',') FROM shop.customers", MASKED),
    ("SELECT sum(length(ssn)) FROM shop.customers", MASKED),
    ("SELECT count(ssn) FROM shop.customers", MASKED),
    ("SELECT count(DISTINCT ssn) FROM shop.customers", MASKED),
    ("SELECT array_agg(u) FROM shop.customers u", REFUSED),
    ("SELECT array_agg(id ORDER BY ssn) FROM shop.customers", MASKED),
    ("SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ssn) FROM shop.customers", MASKED),
    ("SELECT id, (SELECT string_agg(ssn, ',') FROM shop.customers) FROM shop.orders", MASKED),
    ("SELECT row_number() OVER (ORDER BY ssn) FROM shop.customers", MASKED),
    ("SELECT rank() OVER (PARTITION BY ssn ORDER BY id) FROM shop.customers", MASKED),
    ("SELECT o.id FROM shop.orders o JOIN shop.customers c ON c.ssn LIKE '1%'", MASKED),
    ("SELECT o.id FROM shop.orders o JOIN shop.customers c ON c.ssn = o.status", MASKED),
    ("SELECT * FROM shop.customers a JOIN shop.customers b USING (ssn)", MASKED),
    ("SELECT id FROM (SELECT id, ssn AS s FROM shop.customers) x WHERE s LIKE '9%'", MASKED),
    ("WITH t AS (SELECT * FROM shop.customers) SELECT id FROM t WHERE ssn > '5'", MASKED),
    ("SELECT * FROM (SELECT ssn FROM shop.customers ORDER BY ssn LIMIT 1) x", MASKED),
    ("SELECT id FROM shop.customers u WHERE u::text LIKE '%123-45%'", REFUSED),
    ("SELECT id FROM shop.customers u WHERE row_to_json(u)::text LIKE '%4111%'", REFUSED),
    ("SELECT EXISTS (SELECT 1 FROM shop.customers WHERE ssn LIKE '1%')", MASKED),
    ("SELECT (SELECT count(*) FROM shop.customers c2 WHERE c2.ssn < c.ssn) FROM shop.customers c", MASKED),
    (
        "SELECT id FROM shop.customers WHERE id IN (SELECT id FROM shop.customers WHERE phone LIKE '+1%')",
        MASKED,
    ),
    (
        "SELECT id FROM shop.customers c WHERE EXISTS (SELECT 1 FROM shop.orders o WHERE o.status = c.ssn)",
        MASKED,
    ),
    # set operations compare rows for equality
    ("SELECT ssn FROM shop.customers INTERSECT SELECT '123-45-6789'", MASKED),
    ("SELECT ssn FROM shop.customers EXCEPT SELECT '123-45-6789'", MASKED),
    ("SELECT ssn FROM shop.customers UNION SELECT '123-45-6789'", MASKED),
    # branches, casts and divisors that would leak through errors
    ("SELECT CASE WHEN ssn LIKE '1%' THEN 1 ELSE 0 END FROM shop.customers", MASKED),
    ("SELECT CASE ssn WHEN '123-45-6789' THEN 'hit' END FROM shop.customers", MASKED),
    ("SELECT ssn::int FROM shop.customers", FAILS),
    ("SELECT CAST(card_number AS bigint) FROM shop.customers", FAILS),
    ("SELECT 1 / (length(ssn) - 11) FROM shop.customers", MASKED),
    # a masked value steering the result without being returned (found over the wire):
    # a set-returning function's row count, and arithmetic overflow as a yes/no answer
    (
        "SELECT count(*) FROM generate_series(1, (SELECT strpos(ssn, '8') FROM shop.customers WHERE id = 1))",
        MASKED,
    ),
    ("SELECT i FROM shop.customers c, generate_series(1, length(c.phone)) AS g(i)", MASKED),
    ("SELECT x FROM shop.customers c, UNNEST(string_to_array(c.ssn, '5')) AS t(x)", MASKED),
    ("SELECT strpos(ssn, '8') + 9223372036854775800 FROM shop.customers WHERE id = 1", MASKED),
    ("SELECT (strpos(card_number, '4') - 8) * 9223372036854775807 FROM shop.customers", FAILS),
    ("SELECT length(ssn) * 9223372036854775807 FROM shop.customers", FAILS),
    ("SELECT date '2020-01-01' + strpos(ssn, '8') * 100000000 FROM shop.customers", FAILS),
    ("SELECT id, 2 ^ strpos(email, 'a') FROM shop.customers", REFUSED),
    ("SELECT ntile(strpos(ssn, '8') - 8) OVER (ORDER BY id) FROM shop.customers", FAILS),
    ("SELECT split_part(name, ' ', strpos(ssn, '8') - 8) FROM shop.customers", MASKED),
    ("SELECT lag(id, strpos(phone, '5') - 9) OVER (ORDER BY id) FROM shop.customers", MASKED),
    ("SELECT ln(strpos(card_number, '9') - 3) FROM shop.customers", MASKED),
    ("SELECT created_at AT TIME ZONE split_part(email, '@', 2) FROM shop.customers", REFUSED),
    ("SELECT substr(name, strpos(ssn, '8')) FROM shop.customers", MASKED),
    # ---- constructs the translator learned later (arrays, JSON, DISTINCT ON, grouping sets,
    # session-time-zone functions, DML): each tried to read or infer a masked value
    # arrays: values flow (redacted), subscripts / dimensions / row counts are uses
    ("SELECT unnest(ARRAY[ssn, phone]) FROM shop.customers", MASKED),
    ("SELECT unnest(ARRAY[card_number]) AS x, id FROM shop.customers", MASKED),
    ("SELECT x FROM shop.customers c, unnest(ARRAY[c.ssn]) AS t(x)", MASKED),
    (
        "SELECT t.x FROM shop.customers c CROSS JOIN LATERAL unnest(ARRAY[c.card_number, c.phone]) AS t(x)",
        MASKED,
    ),
    ("SELECT x, n FROM shop.customers c, unnest(ARRAY[c.ssn]) WITH ORDINALITY AS t(x, n)", MASKED),
    ("SELECT x FROM unnest(ARRAY[(SELECT ssn FROM shop.customers WHERE id = 1)]) AS t(x)", MASKED),
    ("SELECT '000-00-0000' = ANY(ARRAY[ssn]) FROM shop.customers", MASKED),
    ("SELECT ssn = ANY(ARRAY['000-00-0000', 'x']) FROM shop.customers", MASKED),
    ("SELECT (ARRAY[ssn, phone])[1] FROM shop.customers", MASKED),
    ("SELECT array_length(ARRAY[ssn], 1) FROM shop.customers", MASKED),
    ("SELECT cardinality(ARRAY[ssn, card_number]) FROM shop.customers", MASKED),
    ("SELECT g, ssn FROM shop.customers c, generate_series(1, 2) AS g", MASKED),
    ("SELECT lifetime_value::numeric(10, 2), ssn FROM shop.customers", MASKED),
    ("SELECT id & 1, ssn FROM shop.customers", MASKED),
    ("SELECT ssn::varchar(3) FROM shop.customers", MASKED),
    ("SELECT array_agg(ssn ORDER BY ssn) FROM shop.customers", MASKED),
    ("SELECT array_agg(ssn) FROM shop.customers", MASKED),
    ("SELECT array_agg(DISTINCT card_number) FROM shop.customers", MASKED),
    ("SELECT array_agg(id) FILTER (WHERE ssn LIKE '1%') FROM shop.customers", MASKED),
    ("SELECT count(*) FILTER (WHERE ssn LIKE '1%') FROM shop.customers", MASKED),
    ("SELECT count(*) FILTER (WHERE card_number = '4111111111111111') FROM shop.customers", MASKED),
    ("SELECT sum(id) FILTER (WHERE phone > '+2') FROM shop.customers", MASKED),
    ("SELECT id FROM shop.customers WHERE '123-45-6789' = ANY(ARRAY[ssn])", MASKED),
    ("SELECT id FROM shop.customers WHERE ssn = ANY(ARRAY['123-45-6789'])", MASKED),
    ("SELECT id FROM shop.customers WHERE card_number <> ALL(ARRAY['1'])", MASKED),
    ("SELECT id FROM shop.customers WHERE cardinality(string_to_array(ssn, '5')) > 2", MASKED),
    ("SELECT (ARRAY['a', 'b'])[strpos(ssn, '8')] FROM shop.customers", MASKED),
    ("SELECT (ARRAY[name, country])[length(phone)] FROM shop.customers", MASKED),
    ("SELECT array_length(ARRAY[id], strpos(ssn, '8')) FROM shop.customers", FAILS),
    ("SELECT unnest(string_to_array(ssn, '5')) FROM shop.customers", MASKED),
    ("SELECT generate_series(1, strpos(ssn, '8')) FROM shop.customers", MASKED),
    ("SELECT count(*) FROM shop.customers c, unnest(string_to_array(c.card_number, '1')) AS t(x)", MASKED),
    (
        "SELECT x FROM shop.customers c CROSS JOIN LATERAL generate_series(1, strpos(c.ssn, '9')) AS g(x)",
        MASKED,
    ),
    ("SELECT count(*) FROM generate_series(1, 3) g, shop.customers c WHERE g = length(c.ssn)", MASKED),
    ("SELECT array_to_string(ARRAY[ssn, phone], ',') FROM shop.customers", MASKED),
    ("SELECT count(*) FROM shop.customers c, unnest(ARRAY[c.ssn]) AS t(x) GROUP BY x", MASKED),
    ("SELECT c.id FROM shop.customers c JOIN unnest(ARRAY['123-45-6789']) AS t(x) ON t.x = c.ssn", MASKED),
    ("SELECT id FROM shop.customers LIMIT (SELECT length(ssn) FROM shop.customers WHERE id = 1)", MASKED),
    ("SELECT id FROM shop.orders OFFSET (SELECT strpos(phone, '5') FROM shop.customers LIMIT 1)", MASKED),
    ("SELECT ssn FROM shop.customers INTERSECT ALL SELECT '123-45-6789'", MASKED),
    ("SELECT ssn FROM shop.customers EXCEPT ALL SELECT '123-45-6789'", MASKED),
    # DISTINCT ON and grouping sets
    ("SELECT DISTINCT ON (id) ssn FROM shop.customers ORDER BY id", MASKED),
    ("SELECT DISTINCT ON (country) country, card_number FROM shop.customers ORDER BY country, id", MASKED),
    ("SELECT DISTINCT ON (country) id FROM shop.customers ORDER BY country, ssn", MASKED),
    ("SELECT DISTINCT ON (substr(ssn, 1, 3)) id FROM shop.customers", MASKED),
    ("SELECT ssn, count(*) FROM shop.customers GROUP BY ROLLUP(ssn)", MASKED),
    ("SELECT country, count(*) FROM shop.customers GROUP BY ROLLUP(country, ssn)", MASKED),
    ("SELECT country, count(*) FROM shop.customers GROUP BY CUBE(country, card_number)", MASKED),
    ("SELECT country, count(*) FROM shop.customers GROUP BY GROUPING SETS ((country), (phone))", MASKED),
    ("SELECT grouping(ssn), count(*) FROM shop.customers GROUP BY ROLLUP(ssn)", MASKED),
    ("SELECT country, grouping(country), max(ssn) FROM shop.customers GROUP BY ROLLUP(country)", MASKED),
    # session-time-zone functions: created_at is not masked, but a masked value may not steer them
    ("SELECT to_char(created_at, 'YYYY-MM-DD'), ssn FROM shop.customers", MASKED),
    ("SELECT date_trunc('day', created_at), card_number FROM shop.customers", MASKED),
    ("SELECT extract(year FROM created_at), phone FROM shop.customers", MASKED),
    ("SELECT created_at AT TIME ZONE 'UTC', ssn FROM shop.customers", MASKED),
    ("SELECT current_date, ssn FROM shop.customers", MASKED),
    ("SELECT to_char(created_at, ssn) FROM shop.customers", MASKED),
    ("SELECT date_trunc(split_part(email, '@', 2), created_at) FROM shop.customers", REFUSED),
    ("SELECT to_char(created_at, 'YYYY') FROM shop.customers WHERE ssn LIKE '1%'", MASKED),
    ("SELECT created_at AT TIME ZONE ssn FROM shop.customers", FAILS),
    ("SELECT date_trunc('day', created_at) FROM shop.customers ORDER BY card_number", MASKED),
    # JSON: a masked value inside JSON is still masked; as a key or path it is a use
    ("SELECT json_build_object('s', ssn)->>'s' FROM shop.customers", MASKED),
    ("SELECT to_jsonb(u)->>'ssn' FROM shop.customers u", REFUSED),
    ("SELECT row_to_json(u)->'card_number' FROM shop.customers u", REFUSED),
    (
        "SELECT id FROM shop.customers WHERE jsonb_build_object('s', ssn) @> '{\"s\": \"123-45-6789\"}'",
        FAILS,
    ),
    ("SELECT json_build_object('s', ssn)::jsonb FROM shop.customers", MASKED),
    ("SELECT id FROM shop.customers c WHERE row_to_json(c)->>'ssn' LIKE '1%'", REFUSED),
    ("SELECT '{\"a\": 1}'::jsonb -> ssn FROM shop.customers", MASKED),
    ("SELECT '{\"a\": 1}'::jsonb ->> card_number FROM shop.customers", MASKED),
    ("SELECT ssn::json FROM shop.customers", FAILS),
    ("SELECT phone::jsonb FROM shop.customers", FAILS),
    ("SELECT json_build_object(nullif(ssn, '123-45-6789'), 1) FROM shop.customers", MASKED),
    # a masked value as a pattern, a code point, or the input of a function that may fail
    ("SELECT 'x' ~ translate(ssn, '0123456789-', '(') FROM shop.customers", FAILS),
    ("SELECT name LIKE ssn FROM shop.customers", MASKED),
    ("SELECT regexp_replace(name, ssn, '') FROM shop.customers", FAILS),
    ("SELECT chr(strpos(ssn, '8')) FROM shop.customers", FAILS),
    ("SELECT acos(strpos(ssn, '8')) FROM shop.customers", MASKED),
    ("SELECT make_date(2020, 1, strpos(ssn, '8')) FROM shop.customers", FAILS),
    ("SELECT -strpos(phone, '5') FROM shop.customers", MASKED),
    ('SELECT ssn COLLATE "C" FROM shop.customers', REFUSED),
    # DML reading a masked table is refused to a masked role (exempt roles: test_plan.py)
    ("INSERT INTO shop.products (id, name) SELECT id, ssn FROM shop.customers", REFUSED),
    ("INSERT INTO shop.products (id, name) SELECT id, name FROM shop.customers WHERE ssn LIKE '1%'", REFUSED),
    ("UPDATE shop.products SET name = (SELECT ssn FROM shop.customers LIMIT 1)", REFUSED),
    ("DELETE FROM shop.products WHERE id IN (SELECT id FROM shop.customers WHERE ssn LIKE '1%')", REFUSED),
    # untraceable or not a query
    ("SELECT * FROM shop.mystery JOIN shop.customers ON true", REFUSED),
    ("INSERT INTO shop.orders (status) SELECT ssn FROM shop.customers", REFUSED),
    ("UPDATE shop.customers SET name = 'x' WHERE ssn LIKE '1%'", REFUSED),
    ("DELETE FROM shop.customers WHERE ssn = '1'", REFUSED),
]


_OTHER_DIGITS = str.maketrans("0123456789", "1234567890")  # every digit changes


def twin_customer_rows() -> list[tuple[object, ...]]:
    """CUSTOMER_ROWS with every clear value the masks hide replaced (same masked view): what
    the client may see is the same, what it may not is different."""
    twins = []
    for row in CUSTOMER_ROWS:
        values = list(row)
        for index in (4, 5):  # ssn, card_number: the hidden head changes, the shown tail stays
            clear = str(values[index])
            head = clear[:-4].translate(_OTHER_DIGITS)
            values[index] = head + clear[-4:]
        values[3] = "+9-999-000-" + str(values[0]).zfill(4)  # phone (redacted whole)
        twins.append(tuple(values))
    return twins
