-- The latest period for which any of $regions has a value of $indicator (as known on $as_of).
select arg_max(period, period_end) as period
from observations
where indicator = $indicator
  and region in (select unnest($regions))
  and value is not null
  and ($as_of is null or published <= $as_of)
