"""JSON-stat 2.0 on series, observations, compare and rankings: each answer validates (jsonstat-validator, the
JSON-stat 2.0 model) and pyjstat reads it into pandas with the values, statuses and labels the JSON answer has."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd
import pytest
from jsonstat_validator import validate_jsonstat
from pyjstat import pyjstat

from tests.live import live_server

VA = "industry.value_added.growth"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyjstat calls its own deprecated helpers


def frame(doc: dict[str, object]) -> pd.DataFrame:
    assert validate_jsonstat(doc)
    return pyjstat.Dataset.read(json.dumps(doc)).write("dataframe", naming="id")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"/v1/series/{VA}/430400", {}),
        ("/v1/observations", {"indicator": f"{VA},industry.taxes_paid", "region": "430400,430000,CN"}),
        (f"/v1/compare/{VA}/430400", {}),
        (f"/v1/rankings/{VA}", {"parent": "430000"}),
    ],
)
async def test_jsonstat_answers_read_in_pyjstat_with_the_api_values(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    r = await client.get(path, params={**params, "format": "jsonstat"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json-stat+json"
    doc = r.json()
    got = frame(doc).dropna(subset=["value"])
    plain = (await client.get(path, params=params)).json()
    if "observations" in plain:  # series and observations: one row each
        series = plain.get("indicator", {}).get("code"), plain.get("region", {}).get("code")
        want = {
            (o.get("indicator", series[0]), o.get("region", series[1]), o["period"]): o["value"]
            for o in plain["observations"]
        }
    elif "rankings" in plain:
        want = {(VA, o["region"], plain["period"]): o["value"] for o in plain["rankings"] if o["value"] is not None}
        for name in ("rank", "reported_rank"):
            ranks = {o["region"]: o[name] for o in plain["rankings"] if o[name] is not None}
            assert doc["extension"][name] == ranks
        assert doc["extension"]["reported_rank"]["430400"] == 2
    else:
        p = plain["periods"][0]
        want = {(VA, a["region"], p["period"]): a["value"] for a in [p, *p["against"]]}
    assert {(r.indicator, r.region, r.period): r.value for r in got.itertuples()} == want
    assert doc["role"] == {"time": ["period"], "geo": ["region"], "metric": ["indicator"]}
    assert doc["extension"]["snapshot"] == plain["snapshot"]


async def test_jsonstat_carries_status_units_and_both_languages(client: httpx.AsyncClient) -> None:
    doc = (await client.get(f"/v1/compare/{VA}/430400", params={"format": "jsonstat"})).json()
    regions = doc["dimension"]["region"]
    cell = regions["category"]["index"].index("430000")
    assert doc["status"][str(cell)] == "D"  # the province's figure is derived
    assert (
        regions["category"]["label"]["430400"] == "衡阳市" and regions["extension"]["label_en"]["430400"] == "Hengyang"
    )
    taxes = (await client.get("/v1/series/industry.taxes_paid/430400", params={"format": "jsonstat"})).json()
    unit = taxes["dimension"]["indicator"]["category"]["unit"]["industry.taxes_paid"]
    assert unit == {"label": "亿元", "symbol": "亿元", "decimals": 2, "multiplier": 8}
    assert taxes["value"] == [44.5]


async def test_jsonstat_refuses_what_it_cannot_hold(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/v1/series/{VA}/430400", params={"format": "jsonstat", "vintages": "all"})
    assert r.status_code == 200  # one release per period here: still one value per cell
    r = await client.get("/v1/regions", params={"format": "jsonstat"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    r = await client.get(f"/v1/series/{VA}/430400", headers={"accept": "application/json-stat+json"})
    assert r.headers["content-type"] == "application/json-stat+json"


def test_pyjstat_reads_a_live_server_by_url(seeded_lake: Path) -> None:
    with live_server(seeded_lake) as live:
        url = f"{live.base}/v1/compare/{VA}/430400?format=jsonstat"
        df = pyjstat.Dataset.read(url).write("dataframe", naming="id")  # pyjstat fetches the URL itself
    assert dict(zip(df["region"], df["value"], strict=True)) == {"430400": 8.4, "430000": 7.4, "CN": 3.9}
