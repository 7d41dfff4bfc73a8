-- Incoming rows that contradict a stored row of the same (indicator, region, period, published).
select n._file, n._row, n.indicator, n.region, n.period, o.value as stored_value, n.value as new_value, o.status as stored_status,
       n.status as new_status
from new_rows n join old_rows o using (indicator, region, period, published)
where o.value is distinct from n.value or o.status <> n.status
order by n._file, n._row
limit 1000
