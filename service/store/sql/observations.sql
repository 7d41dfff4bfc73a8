-- Many series as one long table, at a vintage, keyset-paginated on (indicator, region, period_end, published).
with selected as (
    select indicator, region, period, period_start, period_end, value, status, published, source, quote, note,
           recorded_at
    from observations
    where indicator in (select unnest($indicators))
      and region in (select unnest($regions))
      and ($as_of is null or published <= $as_of)
      and ($start is null or period_end >= $start)
      and ($end is null or period_end <= $end)
    qualify $all_vintages
         or row_number() over (partition by indicator, region, period
                               order by case when $initial then published end asc, published desc) = 1
)
select *, count(*) over () as total
from selected
where ($updated_after is null or recorded_at > $updated_after)
order by indicator, region, period_end, published
limit $limit offset $offset
