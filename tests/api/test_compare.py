"""/v1/compare and /v1/rankings: rates in percentage points, levels by ratio and share, ranks with ties,
computed versus reported, missing periods listed and never filled in."""

from __future__ import annotations

import httpx
import orjson
import pyarrow as pa
import pyarrow.ipc as ipc

from service.formats import json as json_format
from tests.api.conftest import GROWTH_Q3, HUNAN_PREFECTURES


async def test_compare_a_level_by_ratio_and_share(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/compare/test.output/430400", params={"period": "2022-Q3", "as_of": "2022-12-31"})
    p = r.json()["periods"][0]
    assert p["value"] == 363
    against = {a["region"]: a for a in p["against"]}
    assert against["430000"]["ratio"] == 0.1 and against["430000"]["share_pct"] == 10.0
    assert against["CN"]["ratio"] == 0.004 and "gap_pp" not in against["CN"]
    assert "ratio" in r.json()["measure"]


async def test_compare_rate_with_computed_rank_and_ties(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/compare/test.growth/430400", params={"period": "2022-Q3"})
    p = r.json()["periods"][0]
    # Hengyang 8.5: behind 9.0, 9.0 (a tie sharing rank 1) and 9.0 (430300's 9.0) → rank 4 of 14
    assert p["value"] == GROWTH_Q3["430400"] == 8.5
    assert p["rank"] == {
        "rank": 4,
        "of": 14,
        "method": "computed",
        "reported": None,
        "agree": None,
        "computed": {"rank": 4, "of": 14, "complete": True, "missing": []},
    }
    gaps = {a["region"]: a["gap_pp"] for a in p["against"]}
    assert gaps == {"430000": 0.5, "CN": 4.5}


async def test_compare_lists_a_missing_period_instead_of_filling_it(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/compare/test.growth/430400", params={"period": "2022-Q2"})
    p = r.json()["periods"][0]
    assert p["value"] == 7.5
    assert all(a["missing"] and a["value"] is None and a["gap_pp"] is None for a in p["against"])
    assert p["rank"] is None  # one region with data ranks nothing


async def test_compare_over_a_range_and_as_csv(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/compare/test.output/430400", params={"start": "2021-Q4", "end": "2022-Q3"})
    assert [p["period"] for p in r.json()["periods"]] == ["2021-Q4", "2022-Q1", "2022-Q2", "2022-Q3"]
    csv = await rich.get("/v1/compare/test.output/430400", params={"period": "2022-Q3", "format": "csv"})
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    lines = csv.text.splitlines()
    assert lines[0].startswith('"period","role","region"')
    assert len(lines) == 1 + 3


async def test_rankings_with_ties(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/rankings/test.growth", params={"parent": "430000", "period": "2022-Q3"})
    body = r.json()
    table = [(x["rank"], x["region"], x["value"]) for x in body["rankings"]]
    assert table[:4] == [(1, "430100", 9.0), (1, "430200", 9.0), (1, "430300", 9.0), (4, "430400", 8.5)]
    assert len(table) == len(HUNAN_PREFECTURES) and body["ranked"] == 14 and body["missing"] == []
    first = body["rankings"][0]
    assert first["gap_pp"] == 1.0 and body["parent"]["value"] == 8.0
    asc = await rich.get("/v1/rankings/test.growth", params={"parent": "430000", "period": "2022Q3", "order": "asc"})
    assert asc.json()["rankings"][0]["region"] == "433100"


async def test_rankings_of_the_seed_show_reported_rank(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/rankings/industry.value_added.growth", params={"parent": "430000"})
    body = r.json()
    assert body["period"] == "2022-Q3"  # the latest period with data
    hy = next(x for x in body["rankings"] if x["region"] == "430400")
    assert hy["reported_rank"] == 2 and hy["rank"] is None and hy["gap_pp"] == 1.0
    assert len(body["missing"]) == 13


async def test_rankings_errors(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/rankings/industry.value_added.growth", params={"parent": "430400", "level": "nation"})
    assert r.status_code == 400 and r.json()["errors"][0]["parameter"] == "level"
    r = await client.get("/v1/rankings/industry.value_added.growth", params={"parent": "nowhere"})
    assert r.status_code == 404 and r.json()["errors"][0]["parameter"] == "parent"
    r = await client.get("/v1/rankings/industry.value_added.growth")
    assert r.status_code == 400 and "parent" in r.text


async def test_a_nationwide_league_table_ranks_every_prefecture_through_the_provinces(rich: httpx.AsyncClient) -> None:
    params = {"parent": "CN", "level": "prefecture", "period": "2022-Q3"}
    body = (await rich.get("/v1/rankings/test.growth", params=params)).json()
    assert body["scope"] == "descendants" and body["level"] == "prefecture"
    assert body["of"] == 333 and body["ranked"] == 17 and len(body["missing"]) == 316
    top = [(x["rank"], x["region"], x["parent"]) for x in body["rankings"][:6]]
    assert top == [
        (1, "420200", "420000"),
        (2, "420100", "420000"),
        (3, "430100", "430000"),
        (3, "430200", "430000"),
        (3, "430300", "430000"),
        (6, "430400", "430000"),
    ]
    hy = body["rankings"][5]
    assert hy["of"] == 17 and hy["percentile"] == 68.8 and hy["parent_name"] == "湖南省"
    assert hy["reported_rank"] is None  # reported ranks are among siblings, not nationwide
    last = [(x["rank"], x["region"], x["percentile"]) for x in body["rankings"][15:17]]
    assert last == [(16, "433100", 6.2), (16, "440100", 6.2)]  # level with one other: 1 of 16
    assert body["rankings"][0]["percentile"] == 100.0 and body["rankings"][17]["rank"] is None


async def test_league_table_limit_order_and_counties_of_a_province(rich: httpx.AsyncClient) -> None:
    params = {"parent": "CN", "level": "prefecture", "period": "2022-Q3", "limit": "3"}
    body = (await rich.get("/v1/rankings/test.growth", params=params)).json()
    assert [x["region"] for x in body["rankings"]] == ["420200", "420100", "430100"] and body["limit"] == 3
    assert body["ranked"] == 17  # the counts are of the whole table
    bottom = (await rich.get("/v1/rankings/test.growth", params={**params, "order": "asc"})).json()
    assert [(x["rank"], x["region"]) for x in bottom["rankings"]] == [(1, "433100"), (1, "440100"), (3, "431300")]
    counties = (await rich.get("/v1/rankings/test.growth", params={"parent": "430000", "level": "county"})).json()
    assert [(x["rank"], x["region"], x["parent"]) for x in counties["rankings"][:2]] == [
        (1, "430102", "430100"),
        (2, "430421", "430400"),
    ]
    assert counties["ranked"] == 2 and "420102" not in {x["region"] for x in counties["rankings"]}
    world = await rich.get("/v1/rankings/test.growth", params={"parent": "430400", "level": "province"})
    assert world.status_code == 400 and "below it" in world.json()["detail"]


async def test_compare_ranks_among_siblings_and_nationwide(rich: httpx.AsyncClient) -> None:
    params = {"period": "2022-Q3", "rank_scope": "nation"}
    p = (await rich.get("/v1/compare/test.growth/430400", params=params)).json()["periods"][0]
    assert p["rank"]["rank"] == 4 and p["rank"]["of"] == 14
    assert p["rank_nation"]["rank"] == 6 and p["rank_nation"]["of"] == 17
    assert p["rank_nation"]["computed"]["complete"] is False
    plain = (await rich.get("/v1/compare/test.growth/430400", params={"period": "2022-Q3"})).json()["periods"][0]
    assert "rank_nation" not in plain
    csv = await rich.get("/v1/compare/test.growth/430400", params={**params, "format": "csv"})
    header, row = csv.text.splitlines()[:2]
    assert header.endswith('"rank_nation","rank_nation_of"') and row.endswith(",6,17")


async def test_league_table_chart_highlights_a_region_below_the_top(rich: httpx.AsyncClient) -> None:
    params = {"parent": "CN", "level": "prefecture", "period": "2022-Q3", "limit": "3", "highlight": "430400"}
    r = await rich.get("/v1/rankings/test.growth/chart.svg", params=params)
    assert r.status_code == 200
    assert "1. 黄石市" in r.text and "6. 衡阳市" in r.text and "5. " not in r.text


async def test_a_period_without_data_names_the_latest_period_with_data(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/compare/test.growth/430400", params={"period": "2099-Q3"})
    assert r.status_code == 200
    body = r.json()
    assert body["periods"][0]["missing"] is True
    assert body["hint"] == {"latest_period": "2022-Q3"}
    r = await rich.get("/v1/rankings/test.growth", params={"parent": "430000", "period": "2099-Q3"})
    assert r.status_code == 200 and r.json()["ranked"] == 0
    assert r.json()["hint"] == {"latest_period": "2022-Q3"}


async def test_a_region_without_the_indicator_names_the_regions_that_have_it(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/compare/test.output/430100", params={"period": "2022-Q3"})
    assert r.status_code == 200
    hint = r.json()["hint"]
    assert hint["latest_period"] is None
    assert hint["regions_with_data"] == {
        "count": 3,
        "sample": [
            {"code": "430000", "name": "湖南省"},
            {"code": "430400", "name": "衡阳市"},
            {"code": "CN", "name": "中国"},
        ],
    }


async def test_answers_with_figures_carry_no_hint(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/compare/test.growth/430400", params={"period": "2022-Q3"})
    assert "hint" not in r.json()
    r = await rich.get("/v1/rankings/test.growth", params={"parent": "430000", "period": "2022-Q3"})
    assert "hint" not in r.json()


async def test_a_league_tables_json_rows_are_its_arrow_rows(rich: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    """JSON writes a league table's rows as they were made in Python; Arrow, CSV, Parquet and Excel get the table
    made from them: both are the same rows, byte for byte once written as JSON (key order, ints, floats, dates,
    nulls, computed and reported ranks)."""
    asks = [
        (rich, "/v1/rankings/test.growth", {"parent": "430000", "period": "2022-Q3"}),
        (rich, "/v1/rankings/test.output", {"parent": "430000", "period": "2022-Q3", "as_of": "2022-12-31"}),
        (rich, "/v1/rankings/test.growth", {"parent": "CN", "level": "prefecture", "limit": "5", "order": "asc"}),
        (client, "/v1/rankings/industry.value_added.growth", {"parent": "430000"}),
    ]
    for c, url, params in asks:
        answer = await c.get(url, params=params)
        arrow = await c.get(url, params=params, headers={"accept": "application/vnd.apache.arrow.stream"})
        assert answer.status_code == arrow.status_code == 200, (url, params, answer.text)
        table = ipc.open_stream(pa.BufferReader(arrow.content)).read_all()
        made = answer.json()["rankings"]
        assert made and orjson.dumps(made) == orjson.dumps(json_format.rows(table)), (url, params)
