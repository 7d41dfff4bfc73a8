-- Every (indicator, region) series of the snapshot with its first and last period, count and last release.
select indicator, region,
       arg_min(period, period_end) as first_period,
       arg_max(period, period_end) as last_period,
       count(distinct period) as observations,
       max(published) as last_published
from observations
group by indicator, region
order by indicator, region
