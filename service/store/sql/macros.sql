-- Table macros created on every snapshot connection (store/snapshot.py), shared by the statements below them.

-- The vintage rule, the SQL twin of store/vintage.py (tests/store/test_vintage_rule.py checks that they agree).
-- Many series as known on as_of (a release is known once published): the current release of each period, its latest
-- (default) or its first (initial), or every release (all_vintages), each with when it was the latest known
-- (realtime_start its published date, realtime_end the day before the next release of its period, 9999-12-31 while
-- it is the latest); windows by period end; rows committed after updated_after (after the choice and the intervals).
create or replace macro selected_observations(indicators, regions, as_of, start_date, end_date, initial,
                                              all_vintages, updated_after) as table
select indicator, region, period, period_start, period_end, value, status, published, source, quote, note,
       recorded_at, realtime_start, realtime_end
from (
    select *,
           published as realtime_start,
           coalesce(lead(published) over releases - 1, date '9999-12-31') as realtime_end
    from observations
    where (len(indicators) = 0 or indicator in (select unnest(indicators)))
      and (len(regions) = 0 or region in (select unnest(regions)))
      and (as_of is null or published <= as_of)
      and (start_date is null or period_end >= start_date)
      and (end_date is null or period_end <= end_date)
    window releases as (partition by indicator, region, period order by published)
    qualify all_vintages
         or (initial and lag(published) over releases is null)  -- its first release
         or (not initial and lead(published) over releases is null)  -- its latest release known on as_of
)
where updated_after is null or recorded_at > updated_after;
