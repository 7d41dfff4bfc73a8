"""Discovery: the unit catalog and the units every document carries; search (Chinese-aware)."""

from __future__ import annotations

from typing import Any

import httpx


async def test_the_unit_catalog_and_the_unit_each_document_names(rich: httpx.AsyncClient) -> None:
    units = {u["code"]: u for u in (await rich.get("/v1/units")).json()["units"]}
    assert units["100m_cny"] == {
        "code": "100m_cny",
        "name": "亿元",
        "name_en": "100 million yuan",
        "symbol": "亿元",
        "multiplier": 8,
        "base": "CNY",
        "decimals": 2,
        "indicators": units["100m_cny"]["indicators"],
    }
    indicators = (await rich.get("/v1/indicators", params={"limit": 1000})).json()["indicators"]
    for code, u in units.items():
        assert u["indicators"] == sum(1 for i in indicators if i["unit"] == code), code
    series = (await rich.get("/v1/series/test.output/430400")).json()
    assert series["unit"] == {k: units["100m_cny"][k] for k in ("code", "name", "name_en", "symbol", "multiplier")}
    pch = (await rich.get("/v1/series/test.output/430400", params={"units": "pch"})).json()
    assert pch["unit"]["code"] == "percent" and pch["unit"]["symbol"] == "%"
    compare = (await rich.get("/v1/compare/test.growth/430400")).json()
    assert compare["unit"]["name"] == "百分比"
    csv = await rich.get("/v1/units", params={"format": "csv"})
    assert csv.text.splitlines()[0].startswith('"code","name","name_en","symbol","multiplier"')


async def search(client: httpx.AsyncClient, q: str, **params: str) -> dict[str, Any]:
    r = await client.get("/v1/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_search_reads_statistical_shorthand_and_ranks_what_it_finds(client: httpx.AsyncClient) -> None:
    # 规模工业 is not in 规模以上工业增加值增速: the synonym table (data/synonyms.csv) reads it as 规模以上工业
    found = await search(client, "规模工业")
    assert [(x["code"], x["match"]) for x in found["results"][:3]] == [
        ("industry.value_added", "prefix"),  # 规模以上工业增加值: the closest name first
        ("industry.value_added.growth", "prefix"),
        ("industry.value_added.growth.rank", "prefix"),
    ]
    short = await search(client, "规上工业")
    assert short["results"][0]["code"] == "industry.value_added"
    assert {x["code"] for x in short["results"]} >= {"industry.value_added.growth.rank"}  # 规上 → 规模以上 → 规模
    assert (await search(client, '"规上工业"'))["total"] == 0  # in quotes: only as written
    partial = await search(client, "实缴税收增速")  # no such words; most of its character pairs
    assert partial["results"][0]["code"] == "industry.taxes_paid.growth"
    assert partial["results"][0]["match"] == "partial"


async def test_search_by_pinyin_initials_and_terms_across_region_and_indicator(client: httpx.AsyncClient) -> None:
    hy = await search(client, "hengyang")
    assert [(x["code"], x["match"]) for x in hy["results"][:3]] == [
        ("430400", "exact"),  # the prefecture-level city before the county of the same name
        ("430421", "exact"),
        ("430400Z01", "exact"),
    ]
    assert "370214" not in {x["code"] for x in hy["results"]}  # 城阳区 Chengyang does not start with hengyang
    assert (await search(client, "changsha"))["results"][0]["code"] == "430100"
    assert "430100" in {x["code"] for x in (await search(client, "cs"))["results"] if x["match"] == "exact"}
    both = await search(client, "衡阳 技改")
    assert {x["code"] for x in both["results"]} == {
        "investment.tech_upgrade.growth/430400",
        "investment.tech_upgrade.growth.rank/430400",
    }
    assert (await search(client, "Ｈｅｎｇｙａｎｇ"))["results"][0]["code"] == "430400"  # full-width letters


async def test_search_pages_with_a_total(client: httpx.AsyncClient) -> None:
    whole = await search(client, "衡阳", limit="1000")
    assert whole["total"] == len(whole["results"]) > 10 and whole["next"] is None
    pages, url = [], "/v1/search?q=%E8%A1%A1%E9%98%B3&limit=7"
    while url:
        body = (await client.get(url)).json()
        assert body["total"] == whole["total"]
        pages += body["results"]
        url = body["next"]
    assert pages == whole["results"]
