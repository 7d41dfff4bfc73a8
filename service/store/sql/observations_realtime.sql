-- One page of every release (vintages=all) as a long table, each with its real-time interval, and the total row count.
select *, count(*) over () as total
from selected_observations($indicators, $regions, $as_of, $start, $end, $initial, $all_vintages, $updated_after)
order by indicator, region, period_end, published
limit $limit offset $offset
