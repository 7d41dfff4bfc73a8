"""Every format carries the same rows: CSV (UTF-8, optional BOM), Parquet and Arrow read back equal the JSON."""

from __future__ import annotations

import csv
import io

import httpx
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

URLS = [
    "/v1/series/industry.value_added.growth/430400",
    "/v1/compare/industry.value_added.growth/430400?period=2022-Q3",
    "/v1/rankings/industry.value_added.growth?parent=430000",
    "/v1/observations?indicator=industry.value_added.growth&region=430400,430000,CN",
    "/v1/regions?parent=430400",
    "/v1/indicators?topic=industry",
    "/v1/series?region=430400",
    "/v1/search?q=工业",
]


def json_rows(body: dict[str, object]) -> list[dict[str, object]]:
    for key in ("observations", "rankings", "regions", "indicators", "series", "results"):
        if key in body:
            return body[key]  # type: ignore[return-value]
    raise AssertionError(body.keys())


def normal(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


@pytest.mark.parametrize("url", [u for u in URLS if "compare" not in u])
async def test_parquet_and_arrow_equal_json(client: httpx.AsyncClient, url: str) -> None:
    expected = json_rows((await client.get(url)).json())
    sep = "&" if "?" in url else "?"
    pq_resp = await client.get(f"{url}{sep}format=parquet")
    assert pq_resp.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(pq_resp.content))
    assert table.schema.metadata[b"yardstick.snapshot"] == b"000001"
    got = normal(table.to_pylist())
    assert [{k: v for k, v in r.items() if k != "recorded_at"} for r in got] == [
        {k: v for k, v in r.items() if k != "recorded_at"} for r in expected
    ]
    arrow = await client.get(url, headers={"accept": "application/vnd.apache.arrow.stream"})
    assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
    assert ipc.open_stream(pa.BufferReader(arrow.content)).read_all().equals(table)


@pytest.mark.parametrize("url", URLS)
async def test_csv_opens_and_has_the_json_rows(client: httpx.AsyncClient, url: str) -> None:
    body = (await client.get(url)).json()
    sep = "&" if "?" in url else "?"
    r = await client.get(f"{url}{sep}format=csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert not r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))
    if "compare" in url:
        assert [row["region"] for row in rows] == ["430400", "430000", "CN"]
        return
    expected = json_rows(body)
    assert len(rows) == len(expected)
    key = next(k for k in expected[0] if all(isinstance(e[k], str) for e in expected))
    assert [row[key] for row in rows] == [e[key] for e in expected]


async def test_csv_bom_for_excel(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/series/industry.taxes_paid/430400", params={"format": "csv", "bom": "true"})
    assert r.content.startswith(b"\xef\xbb\xbf")
    text = r.content.decode("utf-8-sig")
    assert "44.5亿元" in text and text.startswith('"period"')


async def test_golden_csv_of_the_seed_series(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/series/industry.value_added.growth/CN", params={"format": "csv"})
    header, row = r.text.splitlines()
    assert header == (
        '"period","period_start","period_end","value","status","published","source","quote","note","recorded_at"'
    )
    assert row.startswith('"2022-Q3",2022-01-01,2022-09-30,3.9,"D",2022-10-31,"hyrb-2022-q3-industry","今年前三季度')
    assert '"derived: 8.4 − 4.5 (高于全国4.5个百分点)"' in row


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("text/csv", "text/csv; charset=utf-8"),
        ("application/vnd.apache.parquet", "application/vnd.apache.parquet"),
        ("text/html;q=0.9, application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/x-parquet;q=1, text/csv;q=0.5", "application/vnd.apache.parquet"),
    ],
)
async def test_accept_negotiation(client: httpx.AsyncClient, accept: str, media: str) -> None:
    r = await client.get("/v1/sources", headers={"accept": accept})
    assert r.status_code == 200 and r.headers["content-type"] == media


async def test_format_wins_over_accept_and_unknowns_are_errors(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/sources?format=csv", headers={"accept": "application/json"})
    assert r.headers["content-type"].startswith("text/csv")
    r = await client.get("/v1/sources?format=ods")
    assert r.status_code == 400 and r.json()["errors"][0]["allowed"] == ["arrow", "csv", "json", "parquet", "xlsx"]
    r = await client.get("/v1/sources", headers={"accept": "image/png"})
    assert r.status_code == 406 and r.headers["content-type"] == "application/problem+json"
