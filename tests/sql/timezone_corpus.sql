-- Time-zone corpus: each query runs in every zone of test_timezones.ZONES on PostgreSQL and
-- through pgbridge (BigQuery SQL -> DuckDB in UTC); results must match. One query per line.
select id, ts::date from events order by id
select id, ts::timestamp from events order by id
select id, dt::timestamptz, d::timestamptz from events order by id
select id, date_trunc('day', ts), date_trunc('week', ts), date_trunc('month', ts) from events order by id
select id, date_trunc('quarter', ts), date_trunc('year', ts) from events order by id
select id, date_trunc('hour', ts), date_trunc('minute', ts), date_trunc('second', ts) from events order by id
select id, date_trunc('month', d), date_trunc('week', d), date_trunc('hour', d) from events order by id
select id, extract(year from ts), extract(month from ts), extract(day from ts) from events order by id
select id, extract(hour from ts), extract(minute from ts), extract(dow from ts) from events order by id
select id, extract(isodow from ts), extract(doy from ts), extract(week from ts) from events order by id
select id, extract(quarter from ts), extract(isoyear from ts), extract(epoch from ts) from events order by id
select id, date_part('hour', ts), date_part('day', ts) from events order by id
select id, ts + interval '1 day', ts - interval '1 day' from events order by id
select id, ts + interval '1 month', ts - interval '2 weeks', ts + interval '1 year' from events order by id
select id, ts + interval '-3 days', ts + interval '5 hours' from events order by id
select id, ts at time zone 'UTC', ts at time zone 'Asia/Kolkata' from events order by id
select id, dt at time zone 'Europe/Berlin', dt at time zone 'America/New_York' from events order by id
select id from events where ts >= '2024-03-31' and ts < '2024-11-01' order by id
select id from events where ts < '2024-03-10 02:30' order by id
select id from events where ts between '2024-01-01 00:00:00.000Z' and '2024-06-30T12:00:00+02' order by id
select id from events where ts > '2020-01-01+00' order by id
select id from events where ts = timestamptz '2024-03-31 02:30:00' order by id
select date_trunc('day', ts) as day, count(*) from events group by 1 order by 1
select ts::date, count(*) from events group by ts::date order by 1 nulls first
select extract(hour from ts) as h, count(*) from events group by 1 order by 1
select date_trunc('month', ts), count(distinct id) from events group by 1 order by 1 desc
select count(*) from events where ts > now() - interval '10000 days'
select current_date = now()::date, current_date - d > 0 from events order by id
select date_trunc('day', localtimestamp) = current_date::timestamp
select id, ts from events where ts::date = '2024-03-31' order by id
select min(ts::date), max(date_trunc('week', ts)) from events
select id, to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), to_char(d, 'YYYY-MM-DD HH24:MI') from events order by id
