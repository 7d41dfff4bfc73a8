"""The seed article's sentences come back exactly as the article states them, through HTTP."""

from __future__ import annotations

import httpx

VA = "industry.value_added.growth"


async def test_compare_value_added_matches_the_article(client: httpx.AsyncClient) -> None:
    # 同比增长8.4%，分别高于全国、全省4.5个、1.0个百分点，居全省第二
    r = await client.get(f"/v1/compare/{VA}/430400", params={"period": "2022-Q3"})
    assert r.status_code == 200
    p = r.json()["periods"][0]
    assert (p["period"], p["value"], p["status"]) == ("2022-Q3", 8.4, "A")
    against = {a["region"]: a for a in p["against"]}
    assert against["430000"]["value"] == 7.4 and against["430000"]["status"] == "D"
    assert against["430000"]["gap_pp"] == 1.0
    assert against["CN"]["value"] == 3.9 and against["CN"]["status"] == "D"
    assert against["CN"]["gap_pp"] == 4.5
    assert p["rank"]["rank"] == 2 and p["rank"]["method"] == "reported" and p["rank"]["of"] == 14


async def test_investment_and_taxes_rank_first(client: httpx.AsyncClient) -> None:
    for code, value in [
        ("investment.industry.growth", 55.4),
        ("investment.tech_upgrade.growth", 43.4),
        ("industry.taxes_paid.growth", 30.3),
    ]:
        r = await client.get(f"/v1/compare/{code}/430400", params={"period": "2022Q3"})
        p = r.json()["periods"][0]
        assert p["value"] == value, code
        assert p["rank"]["rank"] == 1, code
    taxes = (await client.get("/v1/compare/industry.taxes_paid.growth/430400?period=2022-Q3")).json()["periods"][0]
    hunan = next(a for a in taxes["against"] if a["region"] == "430000")
    assert (hunan["value"], hunan["status"], hunan["gap_pp"]) == (1.9, "D", 28.4)


async def test_taxes_paid_level(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/series/industry.taxes_paid/430400")
    obs = r.json()["observations"]
    assert [(o["period"], o["value"], o["source"]) for o in obs] == [("2022-Q3", 44.5, "hyrb-2022-q3-industry")]
    assert "44.5亿元" in obs[0]["quote"]
    assert obs[0]["period_start"] == "2022-01-01" and obs[0]["period_end"] == "2022-09-30"


async def test_every_seed_observation_has_source_and_quote(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/series", params={"limit": 1000})
    series = r.json()["series"]
    assert len(series) >= 50
    for s in series:
        obs = (await client.get(f"/v1/series/{s['indicator']}/{s['region']}")).json()["observations"]
        for o in obs:
            assert o["source"] == "hyrb-2022-q3-industry"
            assert o["quote"], (s, o)
            assert o["status"] in "APED"
            if o["status"] == "D":
                assert o["note"].startswith("derived:")
