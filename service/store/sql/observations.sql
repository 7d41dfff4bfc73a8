-- One page of many series as a long table, with the total row count.
select * exclude (realtime_start, realtime_end), count(*) over () as total
from selected_observations($indicators, $regions, $as_of, $start, $end, $initial, $all_vintages, $updated_after)
order by indicator, region, period_end, published
limit $limit offset $offset
