"""shape=wide on /v1/observations: in JSON, CSV, Parquet and xlsx, the same table as pandas' pivot of the long answer
(periods in period order as rows, the regions of one indicator or the indicators of one region as columns, null
where a series has no value); anything wider is a 400 problem document."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest

SELECTIONS = [
    ("region", {"indicator": "test.growth", "region": "430400,430000,CN,430100"}),
    ("region", {"indicator": "test.output", "parent": "430000"}),  # most of the columns empty
    ("indicator", {"region": "430400", "indicator": "test.output,test.monthly,test.index,test.growth"}),
    ("indicator", {"region": "430400", "indicator": "test.output,test.growth", "units": "chg"}),
]


async def pivot_of_long(client: httpx.AsyncClient, by: str, params: dict[str, str]) -> pd.DataFrame:
    r = await client.get("/v1/observations", params={**params, "limit": 10_000})
    long = pd.DataFrame(r.json()["observations"])
    order = long.sort_values(["period_end", "period"])["period"].drop_duplicates()
    return long.pivot(index="period", columns=by, values="value").reindex(index=order).astype(float)


def read(fmt: str, body: bytes, unit_of: dict[str, str]) -> pd.DataFrame:
    if fmt == "json":
        df = pd.DataFrame(json.loads(body)["observations"])
    elif fmt == "csv":
        df = pd.read_csv(io.BytesIO(body), dtype={"period": str})
    elif fmt == "parquet":
        df = pq.read_table(io.BytesIO(body)).to_pandas()
    else:
        df = pd.read_excel(io.BytesIO(body), sheet_name="data", engine="calamine", dtype={"period": str})
        df = df.rename(columns={f"{code} ({unit})": code for code, unit in unit_of.items()})
    return df.set_index("period").astype(float)


def units(doc: dict[str, Any]) -> dict[str, str]:
    common = (doc.get("unit") or {}).get("symbol")
    return {c["code"]: (c.get("unit") or {}).get("symbol") or common for c in doc["columns"]}


@pytest.mark.parametrize(("by", "params"), SELECTIONS)
@pytest.mark.parametrize("fmt", ["json", "csv", "parquet", "xlsx"])
async def test_wide_is_the_pivot_of_the_long_answer(
    rich: httpx.AsyncClient, fmt: str, by: str, params: dict[str, str]
) -> None:
    expected = await pivot_of_long(rich, by, params)
    doc = (await rich.get("/v1/observations", params={**params, "shape": "wide"})).json()
    assert doc["columns_are"] == by and doc["count"] == len(expected)
    r = await rich.get("/v1/observations", params={**params, "shape": "wide", "format": fmt})
    assert r.status_code == 200, r.text
    got = read(fmt, r.content, units(doc))
    codes = [c["code"] for c in doc["columns"]]
    assert list(got.columns) == codes and set(expected.columns) <= set(codes)
    assert list(got.index) == list(expected.index)  # period order: by period end, then label
    pd.testing.assert_frame_equal(got, expected.reindex(columns=codes), check_names=False, check_dtype=False)


async def test_wide_names_its_columns_and_their_units(rich: httpx.AsyncClient) -> None:
    params = {"indicator": "test.growth", "region": "430400,430000", "shape": "wide"}
    doc = (await rich.get("/v1/observations", params=params)).json()
    assert doc["columns"] == [
        {"code": "430400", "name": "衡阳市", "name_en": "Hengyang"},
        {"code": "430000", "name": "湖南省", "name_en": "Hunan"},
    ]
    assert doc["indicator"]["code"] == "test.growth" and doc["unit"]["symbol"] == "%"
    assert doc["observations"] == [
        {"period": "2022-Q2", "430400": 7.5, "430000": None},
        {"period": "2022-Q3", "430400": 8.5, "430000": 8.0},
    ]
    r = await rich.get("/v1/observations", params={**params, "format": "xlsx"})
    header = pd.read_excel(io.BytesIO(r.content), sheet_name="data", engine="calamine").columns.tolist()
    assert header == ["period", "430400 (%)", "430000 (%)"]
    by_indicator = {"region": "430400", "indicator": "test.output,test.growth", "shape": "wide", "format": "xlsx"}
    r = await rich.get("/v1/observations", params=by_indicator)
    header = pd.read_excel(io.BytesIO(r.content), sheet_name="data", engine="calamine").columns.tolist()
    assert header == ["period", "test.output (亿元)", "test.growth (%)"]


@pytest.mark.parametrize(
    "params",
    [
        {"indicator": "test.growth,test.output", "region": "430400,430000"},
        {"indicator": "test.growth,test.output"},  # every region
        {},  # every indicator, every region
        {"parent": "430000"},
    ],
)
async def test_wide_with_several_indicators_and_regions_is_a_400(
    rich: httpx.AsyncClient, params: dict[str, str]
) -> None:
    r = await rich.get("/v1/observations", params={**params, "shape": "wide", "format": "csv"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(problem) and problem["status"] == 400
    assert "one indicator or one region" in problem["detail"] and problem["errors"][0]["parameter"] == "shape"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"limit": "10"}, "drop limit and cursor"),
        ({"vintages": "all"}, "drop vintages=all"),
        ({"format": "jsonstat"}, "drop shape=wide"),
        ({"shape": "tall"}, "long"),
    ],
)
async def test_wide_refuses_what_it_cannot_hold(rich: httpx.AsyncClient, extra: dict[str, str], words: str) -> None:
    params = {"indicator": "test.output", "region": "430400", "shape": "wide", **extra}
    r = await rich.get("/v1/observations", params=params)
    assert r.status_code in (400, 422) and r.headers["content-type"] == "application/problem+json"
    assert words in r.text
