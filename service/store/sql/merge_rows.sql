-- The new contents of every touched indicator: stored rows plus fresh rows, in file order.
select indicator, region, period, period_start, period_end, value, status, published, source, quote, note,
       recorded_at
from (
    select * from old_rows where indicator in (select distinct indicator from fresh)
    union all
    select * exclude (_file, _row) from fresh
)
order by indicator, region, period_end, published
