"""/v1/observations for a few named series answers from the in-memory frames; it must give exactly what the SQL
statement gives (rows, order, types, totals) for every vintage rule, window and filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from service.query.series import ObservationsQuery, Vintage, from_frames, gather, observations, with_realtime
from service.store.snapshot import open_snapshot
from service.store.statements import run
from service.store.stores import lake_at

CASES = [
    {},
    {"vintage": Vintage(all=True)},
    {"vintage": Vintage(initial=True)},
    {"vintage": Vintage(as_of=date(2022, 12, 31))},
    {"vintage": Vintage(as_of=date(2023, 1, 31), initial=True)},
    {"vintage": Vintage(updated_after=datetime(2000, 1, 1, tzinfo=UTC))},
    {"start": date(2021, 6, 1), "end": date(2022, 6, 30)},
    {"start": date(2022, 7, 1), "vintage": Vintage(all=True)},
    {"vintage": Vintage(all=True, realtime_start=date(2023, 1, 1))},
]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_frames_and_sql_agree(rich_lake: Path, case: dict[str, object]) -> None:
    lake = lake_at(rich_lake)
    snap = open_snapshot(lake, lake.manifest())
    q = ObservationsQuery(
        ["test.output", "test.growth", "industry.value_added.growth", "test.monthly"],
        ["430400", "430000", "CN", "433100", "430100"],
        **case,  # type: ignore[arg-type]
    )
    assert from_frames(q)
    mine = gather(snap, q, q.start, q.end)
    v = q.vintage
    sql = run(
        snap.cursor(),
        "observations",
        indicators=q.indicators,
        regions=q.regions,
        as_of=v.as_of,
        initial=v.initial,
        all_vintages=v.all,
        updated_after=v.updated_after,
        start=q.start,
        end=q.end,
        limit=None,
        offset=0,
    ).drop_columns(["total"])
    # DuckDB names the time zone Etc/UTC, the lake's schema UTC: the same instants
    sql = with_realtime(sql, v).cast(mine.schema)
    assert mine.num_rows > 0
    assert mine.schema.equals(sql.schema), (mine.schema, sql.schema)
    assert mine.equals(sql)
    page, total = observations(snap, replace(q, limit=3), 2)  # pages and totals as the SQL path gives them
    assert total == sql.num_rows and page.equals(sql.slice(2, 3))


ALIGN_REFERENCE = """
with series as (select distinct indicator, region from rows),
     periods as (select period, period_end, min(period_start) as period_start from rows group by all)
select s.indicator, s.region, p.period, coalesce(r.period_start, p.period_start) as period_start, p.period_end,
       r.value, r.status, r.published, r.source, r.quote, r.note, r.recorded_at
from series s cross join periods p
left join rows r on r.indicator = s.indicator and r.region = s.region and r.period = p.period
order by s.indicator, s.region, p.period_end, p.period
"""


@pytest.mark.parametrize("indicators", [["test.output", "test.growth"], ["test.monthly", "test.index", "test.output"]])
def test_align_is_the_cross_join_of_series_and_period_labels(rich_lake: Path, indicators: list[str]) -> None:
    import duckdb

    from service.query.series import align

    lake = lake_at(rich_lake)
    snap = open_snapshot(lake, lake.manifest())
    rows = gather(snap, ObservationsQuery(indicators, ["430400", "430000", "CN", "430100"]), None, None)
    con = duckdb.connect()
    con.register("rows", rows)
    expected = con.execute(ALIGN_REFERENCE).to_arrow_table().cast(rows.schema)
    got = align(rows)
    assert got.num_rows == expected.num_rows > rows.num_rows  # gaps filled with nulls
    assert got.equals(expected)
    assert got.num_rows == len({(r["indicator"], r["region"]) for r in rows.to_pylist()}) * len(
        set(rows.column("period").to_pylist())
    )  # one row per series and period label: a label never doubles a series' row
