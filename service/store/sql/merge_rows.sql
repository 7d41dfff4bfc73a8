-- The rows to write for every touched indicator, in file order: for those rewritten ($rewrite) their stored rows
-- and fresh rows, for the others their fresh rows only (one more file each).
select indicator, region, period, period_start, period_end, value, status, published, source, quote, note,
       recorded_at
from (
    select * from old_rows where indicator in (select unnest($rewrite::varchar[]))
    union all
    select * exclude (_file, _row) from fresh
)
order by indicator, region, period_end, published
