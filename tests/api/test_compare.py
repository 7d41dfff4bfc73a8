"""/v1/compare and /v1/rankings: rates in percentage points, levels by ratio and share, ranks with ties,
computed versus reported, missing periods listed and never filled in."""

from __future__ import annotations

import httpx

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
