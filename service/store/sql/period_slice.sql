-- One indicator, some periods, several regions: the value each region had (latest release, or as known on $as_of).
select region, period, value, status, published, source, quote, note
from observations
where indicator = $indicator
  and region in (select unnest($regions))
  and period in (select unnest($periods))
  and ($as_of is null or published <= $as_of)
qualify row_number() over (partition by region, period order by published desc) = 1
