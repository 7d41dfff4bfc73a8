"""The tables as Excel, R and pandas users take them, from a live server: an .xlsx download read back with pandas
(python-calamine) holds the JSON's values and Chinese names; R's read.csv of a CSV URL gives the same numbers and
the region names intact (with and without bom=true); the Python client's wide=True is pandas' pivot of the long
answer, and get_series is the series endpoint as a pandas Series."""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import polars as pl
import pytest
from yardstick_client import Client

from service.ingest.load import ingest
from service.store.stores import lake_at
from tests.helpers import csv_bytes, obs, seeded_copy
from tests.live import live_server

pytestmark = pytest.mark.slow
VA, TAXES = "industry.value_added.growth", "industry.taxes_paid.growth"
REGIONS = ["430400", "430000", "430100", "430200", "CN"]  # 株洲 (430200) has no 2022-Q1: a missing cell
MORE = [
    *(obs(VA, "430400", p, v) for p, v in [("2022-Q1", 7.9), ("2022-Q2", 8.1)]),
    *(obs(VA, "430000", p, v) for p, v in [("2022-Q1", 7.5), ("2022-Q2", 7.0)]),
    *(obs(VA, "430100", p, v) for p, v in [("2022-Q1", 8.0), ("2022-Q2", 7.8), ("2022-Q3", 7.6)]),
    *(obs(VA, "430200", p, v) for p, v in [("2022-Q2", 6.5), ("2022-Q3", 6.9)]),
    *(obs(VA, "CN", p, v) for p, v in [("2022-Q1", 6.5), ("2022-Q2", 3.4)]),
    *(obs(TAXES, "430400", p, v) for p, v in [("2022-Q1", 12.5), ("2022-Q2", 21.0)]),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Hengyang, Hunan, Changsha, Zhuzhou and China over three quarters, on a lake of its own."""
    lake = seeded_copy(tmp_path_factory.mktemp("tables") / "lake")
    ingest(lake_at(lake), [("more.csv", csv_bytes(MORE))])
    with live_server(lake) as live:
        yield live.base


def same(a: object, b: object) -> bool:
    """Equal values, a null equal to a NaN (an empty cell)."""
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


def test_xlsx_read_back_with_calamine_holds_the_json_values_and_chinese_names(base: str) -> None:
    query = {"parent": "430000", "period": "2022-Q3"}
    ranks = httpx.get(f"{base}/v1/rankings/{VA}", params=query).json()["rankings"]
    book = httpx.get(f"{base}/v1/rankings/{VA}", params={**query, "format": "xlsx"}).content
    sheet = pd.read_excel(io.BytesIO(book), sheet_name="data", engine="calamine")
    assert [str(r) for r in sheet["region"]] == [r["region"] for r in ranks]
    assert list(sheet["name"]) == [r["name"] for r in ranks] and "衡阳市" in set(sheet["name"])
    header = next(c for c in sheet.columns if str(c).startswith("value"))
    assert all(same(r["value"], v) for r, v in zip(ranks, sheet[header], strict=True))
    assert sheet[header].notna().sum() == 3  # Hengyang, Changsha, Zhuzhou

    params = {"indicator": VA, "region": ",".join(REGIONS), "shape": "wide"}
    rows = httpx.get(f"{base}/v1/observations", params=params).json()["observations"]
    book = httpx.get(f"{base}/v1/observations", params={**params, "format": "xlsx"}).content
    wide = pd.read_excel(io.BytesIO(book), sheet_name="data", engine="calamine", dtype={"period": str})
    assert list(wide.columns) == ["period", *(f"{code} (%)" for code in REGIONS)]
    assert list(wide["period"]) == [r["period"] for r in rows] == ["2022-Q1", "2022-Q2", "2022-Q3"]
    for row, (_, cells) in zip(rows, wide.iterrows(), strict=True):
        assert all(same(row[code], cells[f"{code} (%)"]) for code in REGIONS), row
    about = pd.read_excel(io.BytesIO(book), sheet_name="about", engine="calamine")
    assert dict(zip(about["key"], about["value"], strict=True))["indicator.name"] == "规模以上工业增加值增速"


R_SCRIPT = """
args <- commandArgs(trailingOnly = TRUE)
plain <- read.csv(args[1], encoding = "UTF-8")
bom <- read.csv(args[2], fileEncoding = "UTF-8-BOM")
long <- read.csv(args[3], encoding = "UTF-8", colClasses = c(region = "character"))
stopifnot(identical(names(plain), names(bom)))
write.csv(plain[, c("region", "name", "value")], "plain.csv", row.names = FALSE, fileEncoding = "UTF-8")
write.csv(bom[, c("region", "name", "value")], "bom.csv", row.names = FALSE, fileEncoding = "UTF-8")
write.csv(long[, c("region", "period", "value")], "long.csv", row.names = FALSE, fileEncoding = "UTF-8")
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (scripts/test installs r-base-core)")
def test_r_read_csv_of_the_url_gives_the_numbers_and_chinese_names(base: str, tmp_path: Path) -> None:
    ranking = f"{base}/v1/rankings/{VA}?parent=430000&period=2022-Q3&format=csv"
    long = f"{base}/v1/observations?indicator={VA}&region={','.join(REGIONS)}&format=csv"
    script = tmp_path / "read.R"
    script.write_text(R_SCRIPT, encoding="utf-8")
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    run = subprocess.run(
        ["Rscript", str(script), ranking, ranking + "&bom=true", long],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    ranks = httpx.get(f"{base}/v1/rankings/{VA}", params={"parent": "430000", "period": "2022-Q3"}).json()
    want = [(r["region"], r["name"], r["value"]) for r in ranks["rankings"]]
    for name in ("plain.csv", "bom.csv"):
        got = pd.read_csv(tmp_path / name, dtype={"region": str}, encoding="utf-8")
        assert len(got) == len(want) == 14 and "衡阳市" in set(got["name"]), name
        for (region, chinese, value), row in zip(want, got.itertuples(index=False), strict=True):
            assert (row.region, row.name) == (region, chinese) and same(value, row.value), name
    answer = httpx.get(f"{base}/v1/observations", params={"indicator": VA, "region": ",".join(REGIONS)}).json()
    got = pd.read_csv(tmp_path / "long.csv", dtype={"region": str, "period": str})
    assert list(got.itertuples(index=False, name=None)) == [
        (o["region"], o["period"], o["value"]) for o in answer["observations"]
    ]


def test_client_wide_is_pandas_pivot_of_the_long_answer(base: str) -> None:
    with Client(base) as yc:
        long = yc.observations(VA, REGIONS)
        wide = yc.observations(VA, REGIONS, wide=True)
        by_indicator = yc.observations([VA, TAXES], "430400", wide=True)
        long_430400 = yc.observations([VA, TAXES], "430400")
    pivot = long.pivot(index="period", columns="region", values="value").reindex(columns=REGIONS)
    pd.testing.assert_frame_equal(wide, pivot, check_index_type=True, check_column_type=False)
    assert isinstance(wide.index, pd.PeriodIndex) and wide.index.name == "period" and wide.columns.name == "region"
    assert math.isnan(wide.loc[pd.Period("2022-Q1", "Q"), "430200"]) and wide.loc["2022Q3", "430400"] == 8.4
    assert [c["name"] for c in wide.attrs["columns"]][:2] == ["衡阳市", "湖南省"] and wide.attrs["unit"][
        "symbol"
    ] == "%"
    pivot = long_430400.pivot(index="period", columns="indicator", values="value").reindex(columns=[VA, TAXES])
    pd.testing.assert_frame_equal(by_indicator, pivot, check_column_type=False)
    with Client(base, as_polars=True) as polar:
        frame = polar.observations(VA, REGIONS, wide=True)
    assert isinstance(frame, pl.DataFrame) and frame.columns == ["period", *REGIONS] and frame.height == 3


def test_get_series_is_the_series_endpoint_as_a_pandas_series(base: str) -> None:
    with Client(base) as yc:
        s = yc.get_series(VA, "430400", start="2022-Q2", end=date(2022, 9, 30))
        whole = yc.get_series(VA, "430100")
    plain = httpx.get(f"{base}/v1/series/{VA}/430400", params={"start": "2022-Q2", "end": "2022-Q3"}).json()
    assert isinstance(s, pd.Series) and s.name == f"{VA}/430400" and s.dtype == "float64"
    assert (
        list(s.index)
        == [pd.Period(o["period"], "Q") for o in plain["observations"]]
        == [
            pd.Period("2022-Q2", "Q"),
            pd.Period("2022-Q3", "Q"),
        ]
    )
    assert list(s) == [o["value"] for o in plain["observations"]] == [8.1, 8.4]
    assert isinstance(s.index, pd.PeriodIndex) and s.index.name == "period"
    assert s.attrs["unit"] == plain["unit"] and s.attrs["region"]["name"] == "衡阳市"
    assert s.attrs["sources"] == ["hyrb-2022-q3-industry"]  # 2022-Q2's row names no source
    assert list(whole) == [8.0, 7.8, 7.6] and whole.attrs["sources"] == []
    with Client(base) as yc, pytest.raises(ValueError, match="one value per period"):
        yc.get_series(VA, "430400", vintages="all")
