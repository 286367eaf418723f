-- Differential corpus: each query runs on PostgreSQL and through pgbridge (BigQuery SQL -> DuckDB);
-- results must match. One query per line; "--" lines are section comments.
-- basics
select id, name from customers order by id
select * from customers
select * from orders order by id
select c.* from customers c order by c.id
select id, "Email" from customers order by id
select name as n, id as "Id" from customers order by 2
select distinct city from customers
select distinct city from customers order by city
select id from customers where active order by id
select id from customers where not active order by id
select id from customers where active is null
select id from customers where active is not true order by id
select id from customers where city is null
select id from customers where city is not null order by id desc
select count(*) from orders
select count(customer_id), count(distinct customer_id), count(note) from orders
select 1
select 'hello', 42, true, null
select 1.5, 0.1 + 0.2, 3 * 1.5
select 7/2, -7/2, 7 % 3, -7 % 3, 7/-2
select a / b, a % b from nums where b is not null and a is not null order by k
select f / 2, a / 2.0::float8 from nums order by k
select a + b, a - b, a * b from nums where k <> 6 order by k
select -a, abs(a), abs(f), abs(n) from nums order by k
select a + 1.5, n + 1, n - 0.25 from nums order by k
select f * 2, f + a from nums order by k
-- ordering and nulls
select name from customers order by name
select name from customers order by name desc
select city from customers order by city nulls first
select city from customers order by city desc nulls last
select score from customers order by score
select score from customers order by score desc
select id, city from customers order by city, id desc
select born from customers order by born desc, id
select active, id from customers order by active, id
select id from customers order by id limit 3
select id from customers order by id limit 3 offset 2
select id from customers order by id offset 5
select id from customers order by id fetch first 2 rows only
-- aggregates
select city, count(*) from customers group by city order by city
select city, count(*) as c from customers group by city having count(*) > 1 order by c desc, city
select sum(qty), sum(amount), sum(price) from orders
select customer_id, sum(qty) as total from orders group by customer_id order by total desc nulls last, customer_id
select min(name), max(name), min(born), max(born), min(score), max(balance) from customers
select min(placed), max(placed), min(placed_tz), max(placed_tz) from orders
select avg(price), avg(score) from orders, customers where orders.customer_id = customers.id
select bool_and(active), bool_or(active) from customers
select city, bool_and(active) from customers group by city order by city
select string_agg(name, ', ' order by name) from customers
select string_agg(city, '|' order by city desc) from customers
select status, string_agg(note, ';' order by id) from orders group by status order by status
select count(*) filter (where active), sum(balance) filter (where active) from customers
select stddev(price), variance(price), stddev_pop(price), var_pop(price) from orders
select count(distinct city) from customers
select customer_id, count(*), min(amount), max(amount) from orders group by 1 order by 1
select sum(qty) from orders where false
select count(*) from orders where false
-- joins
select c.name, o.id from customers c join orders o on o.customer_id = c.id order by o.id
select c.name, o.id from customers c left join orders o on o.customer_id = c.id order by c.id, o.id
select c.name, o.id from customers c right join orders o on o.customer_id = c.id order by o.id
select c.id, o.id from customers c full join orders o on o.customer_id = c.id order by c.id nulls first, o.id nulls first
select c.id, n.k from customers c cross join nums n where c.id = n.k order by 1
select c.name, count(o.id) from customers c left join orders o on o.customer_id = c.id group by c.name order by c.name nulls first
select c1.id, c2.id from customers c1 join customers c2 on c1.city = c2.city and c1.id < c2.id order by 1, 2
select o.id, c.city from orders o, customers c where o.customer_id = c.id and c.city = 'Paris' order by o.id
-- subqueries
select name from customers where id in (select customer_id from orders) order by name
select name from customers where id not in (select customer_id from orders where customer_id is not null) order by name
select name from customers where exists (select 1 from orders o where o.customer_id = customers.id and o.qty > 2) order by 1
select name from customers c where not exists (select 1 from orders o where o.customer_id = c.id) order by 1 nulls last
select id, (select max(amount) from orders o where o.customer_id = c.id) from customers c order by id
select id from customers where score > (select avg(price) from orders) order by id
select s.city, s.n from (select city, count(*) as n from customers group by city) s where s.n > 1 order by 1
select * from (select id, name from customers where id < 4) t order by id desc
select id from customers where id = any(select customer_id from orders) order by id
-- CTE
with paid as (select customer_id, sum(amount) as total from orders group by customer_id) select c.name, p.total from customers c join paid p on p.customer_id = c.id order by p.total desc
with a as (select id from customers), b as (select id from a where id > 3) select count(*) from b
with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) select sum(n), max(n) from r
with recursive fib(i, a, b) as (select 1, 0, 1 union all select i + 1, b, a + b from fib where i < 20) select i, a from fib order by i
with x as (select 5 as v) select v * 2 from x
-- set operations
select city from customers union select status from orders
select city from customers union all select status from orders
select city from customers intersect select city from customers where active
select city from customers except select 'Paris'
select id from customers union select customer_id from orders order by 1 nulls first
select id, name from customers where id < 3 union all select id, note from orders where id < 12 order by 1
select 1 union select 1.5
select 1 as a union all select 2 order by a desc
-- CASE / COALESCE
select id, case when score > 2 then 'high' when score > 0 then 'mid' else 'low' end from customers order by id
select case when active then 1 end from customers order by id
select coalesce(city, 'unknown'), coalesce(score, 0), coalesce(balance, -1) from customers order by id
select nullif(city, 'Paris'), nullif(id, 3) from customers order by id
select greatest(score, 1), least(score, 1) from customers order by id
select greatest(a, b, k), least(a, b) from nums order by k
select case when a > b then a else b end from nums order by k
select id from customers where coalesce(active, false) order by id
-- strings
select concat(name, '-', city) from customers order by id
select concat(name, id) from customers order by id
select name || '!' from customers order by id
select name || id from customers order by id
select upper(name), lower(name) from customers order by id
select length(name), char_length(city) from customers order by id
select substring(name from 2 for 3), substring(name, 2), substr(name, 1, 2) from customers order by id
select position('a' in name), strpos(city, 'i') from customers order by id
select trim(name), ltrim(name), rtrim(name), trim(both 'x' from 'xxhixx') from customers order by id
select trim(leading from name), trim(trailing from name) from customers order by id
select replace(name, 'o', '0'), replace(city, '', 'x') from customers order by id
select left(name, 2), right(name, 3), left(name, 0) from customers order by id
select lpad(city, 8, '*'), rpad(city, 8, '-'), lpad(name, 3) from customers order by id
select repeat(city, 2), reverse(name) from customers order by id
select split_part(note, ',', 1), split_part(note, ',', 2), split_part(note, ',', 5) from orders order by id
select starts_with(city, 'Pa') from customers order by id
select note from orders where note like '%,%' order by id
select note from orders where note like '\%%' order by id
select name from customers where name like '%\_%' order by id
select name from customers where name like 'A%' order by 1
select name from customers where name not like '%o%' order by 1
select name from customers where name ilike 'a%' order by 1
select name from customers where city ilike 'PARIS' order by 1
select name ilike 'a%' from customers order by id
select name from customers where name ~ '^[A-C]' order by 1
select name from customers where name !~ 'e' order by 1 nulls first
select name from customers where name ~ 'b|l' order by 1
select city from customers where city ~ '^.a' order by 1
-- casts
select id::text, score::int, balance::int, 3.7::int from customers where id <> 6 order by id
select a::float8, f::int, f::bigint from nums order by k
select n::int8, n::numeric(10,2), '1.005'::numeric(10,2) from nums order by k
select cast(active as text), cast(born as text) from customers order by id
select '2024-02-29'::date, date '2024-01-01', '2024-01-01 10:00:00'::timestamp
select placed::date, born::timestamp from orders, customers where customers.id = orders.customer_id order by orders.id
select cast('true' as boolean), 1::boolean, 0::boolean
select '42'::bigint + 1, cast('3.25' as numeric), cast('1e3' as double precision)
select k::int4, k::smallint from nums order by 1
-- dates
select extract(year from born), extract(month from born), extract(day from born) from customers order by id
select extract(dow from born), extract(isodow from born), extract(doy from born), extract(quarter from born) from customers order by id
select extract(week from born), extract(isoyear from born) from customers order by id
select extract(hour from placed), extract(minute from placed) from orders order by id
select extract(epoch from placed), extract(epoch from placed_tz), extract(epoch from born) from orders, customers where customers.id = orders.customer_id order by orders.id
select date_part('year', born), date_part('dow', born) from customers order by id
select born + 1, born - 1, born - date '2000-01-01' from customers order by id
select 7 + born from customers order by id
select placed + interval '1 day', born + interval '2 months' from orders, customers where customers.id = orders.customer_id order by orders.id
select placed - interval '3 hours', placed + interval '1 year', placed - interval '-2 weeks' from orders order by id
select placed_tz + interval '90 minutes', placed_tz - interval '1 hour' from orders order by id
select date_trunc('month', placed), date_trunc('day', placed), date_trunc('hour', placed) from orders order by id
select date_trunc('week', placed), date_trunc('year', placed), date_trunc('quarter', placed) from orders order by id
select id from orders where placed > '2024-01-01' order by id
select id from orders where placed_tz >= '2024-01-15 09:00:00+00' order by id
select id from customers where born between '1980-01-01' and '1999-12-31' order by id
select count(*) from orders where placed::date = '2024-01-15'
select now() is not null, current_timestamp > '2020-01-01 00:00:00+00'
-- math
select round(f), round(n), round(n, 2), round(n, -1) from nums order by k
select round(2.5::float8), round(-2.5::float8), round(3.5::float8), round(0.5::float8)
select round(5), round(7, 1), round(2.5), round(-2.5)
select ceil(f), floor(f), ceil(n), floor(n), ceil(a) from nums order by k
select sqrt(b), exp(1.0::float8), ln(b), log(b) from nums where b > 0 order by k
select power(b, 2), power(2, 0.5::float8), sign(f), sign(n), sign(a) from nums order by k
select mod(a, b), mod(n, 1) from nums where b <> 0 order by k
select a / b * 2, (a + b) / 2 from nums where b <> 0 and k <> 6 order by k
-- arrays
select tags, tags[1], tags[2], tags[5] from customers order by id
select ints[1], ints[0] from nums order by k
select array_length(tags, 1), cardinality(tags) from customers order by id
select id from customers where 'a' = any(tags) order by id
select id, 'b' = any(tags) from customers order by id
select array['x', 'y'], array[1, 2, 3]
-- windows
select id, row_number() over (order by id) from customers order by id
select id, rank() over (order by city), dense_rank() over (order by city) from customers order by id
select id, city, row_number() over (partition by city order by id) from customers order by id
select id, sum(qty) over (order by id) from orders order by id
select id, sum(qty) over (partition by customer_id order by id rows between unbounded preceding and current row) from orders order by id
select id, lag(qty) over (order by id), lead(qty, 2) over (order by id), lag(qty, 1, 0) over (order by id) from orders order by id
select id, first_value(name) over (order by id), last_value(name) over (order by id rows between unbounded preceding and unbounded following) from customers order by id
select id, ntile(3) over (order by id), percent_rank() over (order by id), cume_dist() over (order by id) from customers order by id
select id, avg(price) over (partition by status) from orders order by id
select id, count(*) over (), count(*) over (partition by status) from orders order by id
select id, min(amount) over w, max(amount) over w from orders window w as (partition by customer_id) order by id
select id, sum(qty) over (order by id rows between 1 preceding and 1 following) from orders order by id
select * from (select id, row_number() over (partition by status order by amount desc) as rn from orders) t where rn = 1 order by id
-- values
select * from (values (1, 'a'), (2, 'b')) v(x, y) order by x
select v.x + 1 from (values (1), (2), (3)) as v(x) order by 1
-- misc
select id from customers where id in (1, 3, 5) order by id
select id from customers where id not in (1, 3) order by id
select id from customers where name in ('bob', 'Alice') order by id
select id from customers where score between 0 and 3 order by id
select id from customers where score not between 0 and 3 order by id
select id from customers where city is distinct from 'Paris' order by id
select id from customers where city is not distinct from null
select id, city = 'Paris' and active, city = 'Paris' or active from customers order by id
select count(*) from customers c where c.balance > 0
select (select count(*) from orders), (select max(id) from customers)
select id from orders where amount > 10 and status = 'shipped' order by amount desc
select id, qty * price from orders order by id
select id from customers order by length(name) nulls first, id
select city, count(*) from customers where city is not null group by city having min(id) > 1 order by city
select customer_id as c, count(*) from orders group by c order by c nulls first
-- VALUES lists
values (1, 'a'), (2, 'b')
select * from (values (1, 2)) v
select column1 from (values (3), (4)) as t order by 1
select id from customers where id < 3 union all values (10) order by 1
select 'a' = any(array['a', 'b']), 3 = any(array[1, 2])
-- json (BigQuery JSON as jsonb)
select id, attrs from products order by id
select id, attrs->>'color' from products order by id
select id, attrs->'weight_g', attrs->'color', attrs->'d' from products order by id
select id, (attrs->>'weight_g')::int from products order by id
select id, (attrs->>'weight_g')::int8 * 2, (attrs->>'ratio')::float8 from products order by id
select id, attrs->'d'->>'h', attrs->'sizes'->1, attrs->'sizes'->>0 from products order by id
select id, attrs->>'refill', attrs->>'note', attrs->>'missing' from products order by id
select attrs->>'color' as color, count(*) from products group by 1 order by 1 nulls first
select id from products where attrs->>'color' = 'red' order by id
select id from products where (attrs->>'weight_g')::int > 1000 order by id
select id from products where attrs->>'color' is null order by id
select id, attrs @> '{"color": "red"}' from products order by id
select id from products where attrs @> '{"color": "red", "weight_g": 1200}' order by id
select id, attrs @> '{"refill": true}', attrs @> '{"weight_g": 0}' from products order by id
select id, coalesce(attrs->>'color', 'none') from products order by id
-- arrays (text[] from BigQuery ARRAY<STRING>)
select id, tags from products order by id
select id from products where 'sale' = any(tags) order by id
select id, array_length(tags, 1), cardinality(tags), tags[1], tags[3] from products order by id
-- unnest and generate_series (lateral joins in FROM, set-returning functions in the select list)
select p.id, t.tag from products p, unnest(p.tags) as t(tag) order by 1, 2
select p.id, tag from products p cross join lateral unnest(p.tags) as t(tag) order by 1, 2
select id, t from products p, unnest(p.tags) t where t <> 'sale' order by id, t
select t.tag, count(*) from products p, unnest(p.tags) t(tag) group by t.tag order by 2 desc, 1
select id, unnest(tags) from products order by 1, 2
select id, upper(unnest(tags)) as tag from products where id < 4 order by id, tag desc
select distinct unnest(tags) as tag from products order by tag
select unnest(array['b', 'a']) as x order by x
select * from unnest(array[3, 1, 2]) order by 1
select * from unnest(array[3, 1, 2]) as u(n) where n > 1 order by n
select generate_series(1, 3)
select g from generate_series(1, 10, 3) g order by g
select * from generate_series(5, 1, -2) order by 1 desc
select n, n * 2147483647 from generate_series(0, 1) s(n) order by n
select sum(n), count(*) from generate_series(1, 100) as s(n)
select c.id, s.n from customers c, generate_series(1, 2) s(n) where c.id < 3 order by 1, 2
-- array_agg (no NULL can reach BigQuery's ARRAY_AGG)
select array_agg(name order by name) filter (where name is not null) from customers
select city, array_agg(id order by id desc) from customers group by city order by city nulls first
select city, array_agg(name order by name) filter (where name is not null and id > 2) from customers group by city order by city nulls last
select array_agg(distinct city) filter (where city is not null) from customers
select array_agg(1) from customers where id > 100
select array_agg(born order by born) filter (where born is not null) from customers
-- DISTINCT ON, grouping sets, to_char
select distinct on (city) city, name from customers order by city, name
select distinct on (city) city, name as n from customers order by city nulls first, n desc
select distinct on (customer_id) customer_id, id, amount from orders order by customer_id, amount desc nulls last, id
select distinct on (1) city, id from customers order by 1, 2 desc limit 2
select distinct on (status) status, count(*) over (partition by status) as n from orders order by status
select city, active, count(*) from customers group by rollup(city, active) order by 1 nulls first, 2 nulls first, 3
select city, count(*), grouping(city) from customers group by cube(city) order by 1 nulls first, 3
select city, active, sum(id) from customers group by grouping sets ((city), (active), ()) order by 1 nulls first, 2 nulls first, 3
select status, customer_id, count(*) from orders group by status, rollup(customer_id) order by 1 nulls first, 2 nulls first, 3
select id, to_char(born, 'YYYY-MM-DD'), to_char(born, 'YYYY-MM'), to_char(born, 'DD/MM/YYYY') from customers order by id
select id, to_char(placed, 'YYYY-MM-DD HH24:MI:SS'), to_char(placed, 'HH24:MI') from orders order by id
select id, to_char(placed_tz, 'YYYY-MM-DD HH24:MI:SS'), to_char(placed_tz, 'yyyy/mm/dd') from orders order by id
select to_char(placed, 'YYYY-MM') as month, count(*) from orders group by 1 order by 1 nulls first
-- INTERSECT ALL / EXCEPT ALL (numbered duplicates)
select city from customers intersect all select city from customers
select city from customers intersect all select city from customers where id > 3 order by city
select city from customers except all select city from customers where id > 5 order by 1
select city, active from customers except all select city, true from customers where id < 3
select customer_id from orders intersect all select customer_id from orders where qty > 1 except all select 2
select status s from orders except all select 'pending' order by s limit 2
select x from (values (1), (1), (1), (2)) v(x) intersect all select y from (values (1), (1), (3)) w(y)
select x from (values (1), (1), (1), (2)) v(x) except all select y from (values (1), (3)) w(y) order by x desc
select n.x from (select x from (values (1), (1), (2)) v(x) except all select 1) n order by 1
-- LATERAL subqueries (correlated UNNEST(ARRAY(SELECT AS STRUCT ...)))
select c.id, x.id, x.amount from customers c left join lateral (select o.id, o.amount from orders o where o.customer_id = c.id order by o.id limit 1) x on true order by c.id
select c.id, x.oid from customers c, lateral (select o.id as oid from orders o where o.customer_id = c.id) x order by 1, 2
select c.name, x.n, x.total from customers c cross join lateral (select count(*) as n, sum(o.qty) as total from orders o where o.customer_id = c.id) x order by c.id
select c.id, x.* from customers c left join lateral (select o.status, o.placed_tz from orders o where o.customer_id = c.id and o.qty > 1 order by o.placed_tz desc limit 2) x on true order by c.id, x.placed_tz
select x.k from nums n left join lateral (select n.k * 2 as k, 'lit' as l where n.a > 0) x on true order by 1
-- WHERE / HAVING without FROM (BigQuery needs a one-row FROM)
select 1 where false
select 2 where true
select count(*) having count(*) > 0
