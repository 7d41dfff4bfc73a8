-- Fresh rows per indicator (which indicators an ingest rewrites and which it appends to).
select indicator, count(*) as rows from fresh group by indicator order by indicator
