-- One series at a vintage: the latest release of each period (default), as known on $as_of, the first release
-- ($initial), or every release ($all_vintages). updated_after is applied by the caller, after transforms.
select period, period_start, period_end, value, status, published, source, quote, note, recorded_at
from observations
where indicator = $indicator
  and region = $region
  and ($as_of is null or published <= $as_of)
qualify $all_vintages
     or row_number() over (partition by period
                           order by case when $initial then published end asc, published desc) = 1
order by period_end, published
