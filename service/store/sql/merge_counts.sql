-- How many fresh rows revise a period already stored (a new vintage) and how many are new periods.
select count(*) filter (where exists (select 1 from old_rows o where o.indicator = f.indicator
                                      and o.region = f.region and o.period = f.period)) as revised,
       count(*) as fresh
from fresh f
