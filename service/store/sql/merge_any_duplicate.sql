-- Whether any key repeats within one file (cheap: one hash aggregation; merge_duplicates then locates them).
select 1
from new_rows
group by _file, indicator, region, period, published
having count(*) > 1
limit 1
