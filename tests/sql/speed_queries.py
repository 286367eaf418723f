"""The two queries whose parse + resolve + translate time the report quotes."""

ONE_LINE = "select c.name, count(*) from customers c join orders o on o.customer_id = c.id group by c.name"

SIXTY_LINES = """
with paid as (
    select o.customer_id,
           sum(o.amount) as total,
           count(*) as n_orders,
           max(o.placed) as last_order,
           min(o.placed) as first_order
    from orders o
    where o.status = 'shipped'
      and o.placed >= '2023-01-01'
      and o.amount is not null
    group by o.customer_id
),
ranked as (
    select p.customer_id,
           p.total,
           p.n_orders,
           rank() over (order by p.total desc) as spend_rank,
           row_number() over (partition by p.n_orders order by p.last_order desc) as recency
    from paid p
),
cities as (
    select c.city,
           count(*) as customers,
           sum(case when c.active then 1 else 0 end) as active_customers
    from customers c
    where c.city is not null
    group by c.city
)
select c.id,
       upper(c.name) as name,
       coalesce(c.city, 'unknown') as city,
       r.total,
       r.n_orders,
       r.spend_rank,
       case
           when r.spend_rank = 1 then 'top'
           when r.spend_rank <= 3 then 'high'
           when r.total > 10 then 'mid'
           else 'low'
       end as segment,
       ci.customers,
       ci.active_customers,
       extract(year from c.born) as born_year,
       c.born + 30 as follow_up,
       length(c.name) as name_length,
       greatest(r.n_orders, 1) as orders_at_least_one
from customers c
join ranked r on r.customer_id = c.id
left join cities ci on ci.city = c.city
where c.id in (select customer_id from orders where qty > 0)
  and not exists (
      select 1
      from orders x
      where x.customer_id = c.id
        and x.status = 'cancelled'
  )
  and c.name not like '%test%'
  and c.id > 0
order by r.total desc, c.id
limit 100
"""
