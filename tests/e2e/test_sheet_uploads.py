"""Workbooks uploaded to a live server with a real client (httpx): a long .xlsx sheet and an .xls one by their media
types, a wide 地区 × 指标 sheet with Chinese names, a 指标 × 时期 sheet with its region as a query parameter, one
answer naming five different mistakes by sheet, row and column, a did-you-mean for an unknown region, and the
.xlsx template round trip."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from service.ingest.template import write
from service.store.stores import lake_at
from tests import sheets
from tests.helpers import seeded_copy
from tests.live import live_server


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    lake = seeded_copy(tmp_path_factory.mktemp("sheets") / "lake")
    key = lake_at(lake).keys.create("bureau", "write")[1]
    with (
        live_server(lake, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live,
        httpx.Client(base_url=live.base, headers={"authorization": f"Bearer {key}"}, timeout=120) as c,
    ):
        yield c


def series(client: httpx.Client, indicator: str, region: str, snapshot: str) -> dict[str, float | None]:
    r = client.get(f"/v1/series/{indicator}/{region}", headers={"x-min-snapshot": snapshot})
    assert r.status_code == 200, r.text
    return {o["period"]: o["value"] for o in r.json()["observations"]}


def test_long_sheets_by_their_media_types(client: httpx.Client) -> None:
    body = sheets.xls(sheets.LONG_ROWS, sheets.LONG_MERGES)
    r = client.post("/v1/observations", content=body, headers={"content-type": sheets.XLS})
    assert r.status_code == 201, r.text
    assert (
        r.json()["added"] == 3 and r.json()["files"][0] | {"encoding": "xls", "sheet": "数据"} == r.json()["files"][0]
    )
    assert series(client, sheets.VA, "430421", r.json()["snapshot"])["2025-Q1"] == 7.2
    body = sheets.xlsx(sheets.LONG_ROWS, sheets.LONG_MERGES)
    again = client.post("/v1/observations", content=body, headers={"content-type": sheets.XLSX})
    assert again.status_code == 200 and again.json()["unchanged"] == 3, again.text


def test_a_wide_sheet_with_chinese_names(client: httpx.Client) -> None:
    body = sheets.xlsx(sheets.WIDE_ROWS, sheets.WIDE_MERGES)
    r = client.post("/v1/observations", content=body, headers={"content-type": sheets.XLSX})
    assert r.status_code == 201, r.text
    assert r.json()["added"] == len(sheets.WIDE_STORED)
    assert series(client, sheets.TECH, "430421", r.json()["snapshot"])["2023-Q2"] == 9.0
    assert "2023-Q2" not in series(client, sheets.TECH, "430422", r.json()["snapshot"])  # — is no figure


def test_indicators_by_periods_with_the_region_as_a_parameter(client: httpx.Client) -> None:
    rows = [list(r) for r in sheets.BY_PERIOD_ROWS]
    rows[0] = ["2024年主要经济指标"]  # no region in the title: the query names it
    params = {"region": "衡南县", "published": "2024-10-30"}
    r = client.post("/v1/observations", params=params, content=sheets.xlsx(rows), headers={"content-type": sheets.XLSX})
    assert r.status_code == 201, r.text
    assert series(client, sheets.VA, "430422", r.json()["snapshot"])["2024-Q3"] == 7.0
    assert series(client, sheets.INV, "430422", r.json()["snapshot"])["2024-Q2"] == 10.2


def test_five_mistakes_in_one_answer(client: httpx.Client) -> None:
    r = client.post("/v1/observations", content=sheets.xlsx(sheets.BAD_ROWS), headers={"content-type": sheets.XLSX})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    doc = r.json()
    assert doc["total"] == len(sheets.BAD_PROBLEMS) == len(doc["errors"])
    for row, column, words in sheets.BAD_PROBLEMS:
        assert any(
            e == e | {"file": "observations.xlsx", "sheet": "数据", "row": row, "column": column}
            and words in e["detail"]
            for e in doc["errors"]
        ), (row, column, doc)


def test_an_unknown_sheet_and_an_unknown_region(client: httpx.Client) -> None:
    body = sheets.xlsx(sheets.WIDE_ROWS, sheets.WIDE_MERGES)
    r = client.post("/v1/observations", params={"sheet": "表2"}, content=body, headers={"content-type": sheets.XLSX})
    assert r.status_code == 422 and r.json()["errors"][0]["allowed"] == ["数据"], r.text
    rows = [list(r) for r in sheets.WIDE_ROWS]
    rows[5][0] = "衡男县"
    r = client.post(
        "/v1/observations", content=sheets.xlsx(rows, sheets.WIDE_MERGES), headers={"content-type": sheets.XLSX}
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "detail": "unknown region '衡男县' (did you mean 430422 衡南县?)",
            "file": "observations.xlsx",
            "sheet": "数据",
            "row": 6,
            "column": "A",
        }
    ]


def test_the_xlsx_templates_upload_cleanly(client: httpx.Client) -> None:
    for kind in ("regions", "indicators", "observations"):
        r = client.post(f"/v1/{kind}", content=write(kind, "xlsx"), headers={"content-type": sheets.XLSX})
        assert r.status_code == 201, (kind, r.text)
