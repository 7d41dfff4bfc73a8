-- Line up several series on the union of their periods: one row per (series, period), null where a series lacks it.
with series as (select distinct indicator, region from rows),
     periods as (select distinct period, period_start, period_end from rows)
select s.indicator, s.region, p.period, p.period_start, p.period_end, r.value, r.status, r.published, r.source,
       r.quote, r.note, r.recorded_at
from series s cross join periods p
left join rows r on r.indicator = s.indicator and r.region = s.region and r.period = p.period
order by s.indicator, s.region, p.period_end
