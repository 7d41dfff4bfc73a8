-- The incoming rows that are not stored yet (one per key when several files repeat a row).
create temp table fresh as
select n.*
from new_rows n anti join old_rows o using (indicator, region, period, published)
qualify not $dedupe
     or row_number() over (partition by indicator, region, period, published order by _file, _row) = 1
