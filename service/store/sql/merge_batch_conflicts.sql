-- Rows of different files in one batch that contradict each other (within a file, validation already refused
-- duplicate keys).
select b._file, b._row, b.indicator, b.region, b.period, a.value as stored_value, b.value as new_value, a.status as stored_status,
       b.status as new_status
from new_rows a join new_rows b using (indicator, region, period, published)
where a._file < b._file and (a.value is distinct from b.value or a.status <> b.status)
order by b._file, b._row
limit 1000
