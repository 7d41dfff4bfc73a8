-- Every row of a filter, in order, for streaming exports (no total: nothing is held whole).
select * exclude (realtime_start, realtime_end)
from selected_observations($indicators, $regions, $as_of, $start, $end, $initial, $all_vintages, $updated_after)
order by indicator, region, period_end, published
