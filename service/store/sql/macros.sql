-- Table macros created on every snapshot connection (store/snapshot.py), shared by the statements below them.

-- Many series at a vintage: the latest release of each period (default), as known on as_of, the first release
-- (initial), or every release (all_vintages); windows by period end; rows committed after updated_after.
create or replace macro selected_observations(indicators, regions, as_of, start_date, end_date, initial,
                                              all_vintages, updated_after) as table
select indicator, region, period, period_start, period_end, value, status, published, source, quote, note,
       recorded_at
from (
    select *
    from observations
    where (len(indicators) = 0 or indicator in (select unnest(indicators)))
      and (len(regions) = 0 or region in (select unnest(regions)))
      and (as_of is null or published <= as_of)
      and (start_date is null or period_end >= start_date)
      and (end_date is null or period_end <= end_date)
    qualify all_vintages
         or row_number() over (partition by indicator, region, period
                               order by case when initial then published end asc, published desc) = 1
)
where updated_after is null or recorded_at > updated_after;
