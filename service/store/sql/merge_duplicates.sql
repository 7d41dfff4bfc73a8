-- Rows that repeat a key within one file (a large file is validated batch by batch: repeats across its batches are
-- found here; both rows of a repeat are reported, as validation does within a batch).
select b._file, b._row, b.period
from new_rows a join new_rows b using (indicator, region, period, published)
where a._file = b._file and a._row <> b._row
order by b._file, b._row
limit 1000
