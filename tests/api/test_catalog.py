"""Discovery: the unit catalog and the units every document carries; search (Chinese-aware)."""

from __future__ import annotations

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
