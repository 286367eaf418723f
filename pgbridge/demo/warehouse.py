"""The demo warehouse: dataset `shop` with customers, orders and products, made in DuckDB.

Every value derives from the row number through fixed arithmetic (no random generator, no
hash function whose output could change between DuckDB versions), so two machines build the
same rows and a real PostgreSQL loaded from the same export answers the same queries.
Card numbers pass the Luhn check and SSNs and phones have their usual shapes, so the value
detectors and masking rules see realistic data.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

CUSTOMERS = 100_000
ORDERS = 1_000_000
PRODUCTS = 1_000

_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "John",
    "Katherine",
    "Tim",
    "Hedy",
    "Linus",
    "Sophie",
    "Guido",
    "Anita",
    "Niklaus",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "McCarthy",
    "Johnson",
    "Berners-Lee",
    "Lamarr",
    "Torvalds",
    "Wilson",
    "van Rossum",
    "Borg",
    "Wirth",
]
_COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "AU", "NL"]
_DOMAINS = ["example.com", "mail.test", "corp.example", "shop.test"]
_CATEGORIES = ["books", "games", "garden", "kitchen", "music", "sports", "toys", "tools"]
_STATUSES = ["pending", "paid", "shipped", "delivered", "returned"]
_TAGS = ["new", "sale", "eco", "gift", "bulk", "premium"]


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values: list[str], expr: str) -> str:
    return f"{_list(values)}[1 + (({expr}) % {len(values)})]"


def _luhn_card(expr: str) -> str:
    """A 16-digit card number starting 4, whose last digit makes the Luhn sum divisible by 10."""
    body = f"('4' || lpad(CAST((({expr}) * 7919 + 104729) % 100000000000000 AS VARCHAR), 14, '0'))"
    # Luhn: from the right, the check digit is position 1; digits at even positions are doubled.
    terms = []
    for i in range(15):  # body digit i (0-based from the left); its position from the right is 16 - i
        digit = f"CAST(substr({body}, {i + 1}, 1) AS INTEGER)"
        doubled = (16 - i) % 2 == 0
        terms.append(
            f"(CASE WHEN {digit} * 2 > 9 THEN {digit} * 2 - 9 ELSE {digit} * 2 END)" if doubled else digit
        )
    check = f"CAST((10 - (({' + '.join(terms)}) % 10)) % 10 AS VARCHAR)"
    return f"{body} || {check}"


def build(path: Path) -> None:
    """Create the warehouse at `path` (a DuckDB file) if it does not hold the demo tables yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute("SET TimeZone = 'UTC'")
    try:
        con.execute("CREATE SCHEMA shop")
        con.execute(_customers_sql())
        con.execute(_products_sql())
        con.execute(_orders_sql())
        _comment(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(path)


def _numbered_table(name: str, rows: int, columns: str) -> str:
    """shop.`name` with `rows` rows numbered i = 1..rows: `id` is i, and every other column is
    an expression of i (`columns`, a select list)."""
    return f"""
    CREATE TABLE shop.{name} AS
    SELECT i::BIGINT AS id, {columns}
    FROM range(1, {rows + 1}) t(i)
    """


def _customers_sql() -> str:
    first, last = _pick(_FIRST, "i * 7"), _pick(_LAST, "i * 13 + i // 20")
    return _numbered_table("customers", CUSTOMERS, f"""
      {first} || ' ' || {last} AS name,
      lower(replace({first} || '.' || {last}, ' ', '')) || i || '@' || {_pick(_DOMAINS, "i * 3")} AS email,
      '+1-555-' || lpad(CAST((i * 37) % 1000 AS VARCHAR), 3, '0')
        || '-' || lpad(CAST((i * 7919) % 10000 AS VARCHAR), 4, '0') AS phone,
      lpad(CAST(100 + (i * 31) % 800 AS VARCHAR), 3, '0')
        || '-' || lpad(CAST(10 + (i * 17) % 89 AS VARCHAR), 2, '0')
        || '-' || lpad(CAST(1000 + (i * 7907) % 9000 AS VARCHAR), 4, '0') AS ssn,
      {_luhn_card("i")} AS card_number,
      {_pick(_COUNTRIES, "i * 11 + i // 7")} AS country,
      TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_seconds((i * 104729) % (5 * 365 * 86400)) AS created_at,
      CAST(((i * 7919) % 1000000) / 100.0 AS DECIMAL(38, 9)) AS lifetime_value""")


def _products_sql() -> str:
    return _numbered_table("products", PRODUCTS, f"""
      {_pick([c.title() for c in _CATEGORIES], "i")} || ' item ' || i AS name,
      {_pick(_CATEGORIES, "i")} AS category,
      CAST((100 + (i * 7919) % 99900) / 100.0 AS DECIMAL(38, 9)) AS price,
      CASE WHEN i % 5 = 0 THEN []::VARCHAR[]
           ELSE [{_pick(_TAGS, "i")}, {_pick(_TAGS, "i * 3 + 1")}] END AS tags,
      json_object('color', {_pick(["red", "green", "blue", "black"], "i")}, 'weight_g', (i * 37) % 5000,
                  'fragile', i % 4 = 0)::JSON AS attrs""")


def _orders_sql() -> str:
    return _numbered_table("orders", ORDERS, f"""
      (1 + (i * 7919) % {CUSTOMERS})::BIGINT AS customer_id,
      (1 + (i * 104729) % {PRODUCTS})::BIGINT AS product_id,
      TIMESTAMPTZ '2022-01-01 00:00:00+00' + to_seconds((i * 7907) % (3 * 365 * 86400))
        + to_microseconds((i * 131) % 1000000) AS ordered_at,
      CAST(((i * 6007) % 100000) / 100.0 AS DOUBLE) AS amount,
      {_pick(_STATUSES, "i * 3 + i // 11")} AS status""")


def _comment(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("COMMENT ON TABLE shop.customers IS 'Customers of the demo shop (contains personal data)'")
    con.execute("COMMENT ON TABLE shop.orders IS 'One row per order'")
    con.execute("COMMENT ON TABLE shop.products IS 'The product catalogue'")
    con.execute("COMMENT ON COLUMN shop.customers.ssn IS 'US social security number (masked for analysts)'")
    con.execute("COMMENT ON COLUMN shop.customers.card_number IS 'Payment card number (masked for analysts)'")
