"""format=xlsx: the workbook read back (calamine, the reader the service's own uploads use) holds the CSV answer cell
for cell on series, observations, compare, rankings and search; periods stay text, Chinese intact, dates real dates,
units in the value headers, an about sheet; more rows than a sheet holds is a 400; a live server serves one."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow as pa
import pytest
from asgi_lifespan import LifespanManager
from python_calamine import CalamineWorkbook

from service.api import create_app
from service.config import Settings
from service.errors import BadParameter
from service.formats import Payload, xlsx
from service.query.series import ObservationsQuery, whole
from tests.live import live_server

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VA = "industry.value_added.growth"
URLS = [
    "/v1/series/industry.taxes_paid/430400",
    f"/v1/series/{VA}/430400",
    f"/v1/observations?indicator={VA},industry.taxes_paid&region=430400,430000,CN",
    f"/v1/compare/{VA}/430400?period=2022-Q3",
    f"/v1/rankings/{VA}?parent=430000",
    "/v1/search?q=工业",
]


def sheets(body: bytes) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(body))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def same(text: str, cell: Any, column: str) -> bool:
    """A CSV cell and the workbook's cell hold the same value (the workbook's typed)."""
    if cell is None or cell == "" or (isinstance(cell, float) and math.isnan(cell)):
        return text == ""
    if isinstance(cell, bool):
        return text == str(cell).lower()
    if isinstance(cell, int | float):
        return float(text) == float(cell)
    if isinstance(cell, datetime | date):
        return text == cell.isoformat()[:10]
    if column == "recorded_at":  # ISO 8601 text in the workbook, Arrow's CSV form in the CSV
        return bool(pd.Timestamp(text) == pd.Timestamp(cell))
    return bool(text == cell)


def with_format(url: str, fmt: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}format={fmt}"


@pytest.mark.parametrize("url", URLS)
async def test_xlsx_holds_the_csv_answer(client: httpx.AsyncClient, url: str) -> None:
    doc = (await client.get(url)).json()
    expected = list(csv.reader(io.StringIO((await client.get(with_format(url, "csv"))).text)))
    r = await client.get(with_format(url, "xlsx"))
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert (
        r.headers["content-disposition"].startswith("attachment; filename=")
        and ".xlsx" in r.headers["content-disposition"]
    )
    got = sheets(r.content)
    assert list(got) == ["data", "about"]
    header, *rows = got["data"]
    symbol = (doc.get("unit") or {}).get("symbol")
    assert header == [f"value ({symbol})" if h == "value" and symbol else h for h in expected[0]]
    assert len(rows) == len(expected) - 1 > 0
    for want, have in zip(expected[1:], rows, strict=True):
        assert all(same(t, c, name) for t, c, name in zip(want, have, expected[0], strict=True)), (want, have)
    about = dict(got["about"][1:])
    assert about["snapshot"] == "000001"


async def test_periods_stay_text_dates_are_dates_and_chinese_is_intact(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/series/industry.taxes_paid/430400", params={"format": "xlsx"})
    got = sheets(r.content)
    (header, row) = got["data"]
    cells = dict(zip(header, row, strict=True))
    assert header[3] == "value (亿元)" and cells["value (亿元)"] == 44.5
    assert cells["period"] == "2022-Q3" and isinstance(cells["period"], str)
    assert cells["published"] == date(2022, 10, 31) or cells["published"] == datetime(2022, 10, 31)
    assert cells["quote"].startswith("工业企业实缴税金44.5亿元")
    assert cells["recorded_at"].endswith("+00:00")  # ISO text: Excel has no time zones
    about = dict(got["about"][1:])
    assert about["indicator.name"] == "工业企业实缴税金" and about["unit.symbol"] == "亿元"
    assert about["indicator.licence"].startswith("figures: public statistics")
    # annual labels look like numbers: they are still text
    r = await client.get("/v1/observations", params={"region": "430400", "shape": "wide", "format": "xlsx"})
    periods = [row[0] for row in sheets(r.content)["data"][1:]]
    assert "2022" in periods and all(isinstance(p, str) for p in periods)


def test_formula_like_text_is_text_and_nulls_are_empty() -> None:
    table = pa.table({"period": ["2022", "=1+1"], "value": [None, float("nan")], "ok": [True, None]})
    (header, first, second) = sheets(xlsx.encode(Payload(table, {"snapshot": "x"})))["data"]
    assert header == ["period", "value", "ok"]
    assert first == ["2022", "", True] and second == ["=1+1", "", ""]


async def test_more_rows_than_a_sheet_is_a_400(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(settings)
    async with LifespanManager(app):
        snap = app.state.store.snapshot()
        q = ObservationsQuery([VA], ["430400", "430000", "CN"], limit=None)
        table, total = whole(snap, q, 3, "Excel")
        assert table.num_rows == total == 3
        with pytest.raises(BadParameter, match="format=csv or format=parquet"):
            whole(snap, q, 2, "Excel")
    monkeypatch.setattr(xlsx, "MAX_ROWS", 1)
    with pytest.raises(BadParameter, match="at most 1 rows"):
        xlsx.encode(Payload(pa.table({"a": [1, 2]})))


async def test_observations_in_xlsx_are_every_row_not_a_page(client: httpx.AsyncClient) -> None:
    params = {"region": "430400", "format": "xlsx"}
    total = (await client.get("/v1/observations", params={"region": "430400", "limit": 1})).json()["total"]
    rows = sheets((await client.get("/v1/observations", params=params)).content)["data"][1:]
    assert len(rows) == total > 1
    page = sheets((await client.get("/v1/observations", params={**params, "limit": 1})).content)
    assert len(page["data"]) == 2 and "cursor=" in dict(page["about"][1:])["next"]


def test_a_live_server_serves_a_workbook(seeded_lake: Path) -> None:
    with live_server(seeded_lake) as live:
        r = httpx.get(f"{live.base}/v1/compare/{VA}/430400", params={"format": "xlsx"}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert 'filename="compare-industry.value_added.growth-430400.xlsx"' in r.headers["content-disposition"]
    df = pd.read_excel(io.BytesIO(r.content), sheet_name="data", engine="calamine", dtype={"period": str})
    assert dict(zip(df["region"], df["value (%)"], strict=True)) == {"430400": 8.4, "430000": 7.4, "CN": 3.9}
