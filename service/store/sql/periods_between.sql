-- The periods of $indicator that $region has between two dates (by period end), in order.
select distinct period, period_end
from observations
where indicator = $indicator
  and region = $region
  and ($start is null or period_end >= $start)
  and ($end is null or period_end <= $end)
  and ($as_of is null or published <= $as_of)
order by period_end
