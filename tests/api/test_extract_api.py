"""POST /v1/extract over HTTP (issue #24): real bodies in every input kind, the answer's contract, its rows posted to
/v1/observations as they are, and the errors as problem documents."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from service.store.stores import lake_at
from tests.helpers import seeded_copy

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BULLETIN = (
    "衡阳市2022年前三季度工业经济运行情况\n"
    "今年前三季度，我市规模工业增加值同比增长8.4%，居全省第二。\n"
    "全市地区生产总值[1]2800.5亿元，同比增长 4.5%。\n"
    "全市锂电池产量3.5万吨，增长25.3%。\n"
)
TABLE = [
    ["市州", "比上年同月(%)", "比上年同期(%)"],
    ["全 省", 9.4, 7.1],
    ["长沙市", 11.0, 8.3],
    ["株洲市", 7.7, 7.0],
    ["湘潭市", 8.2, 7.1],
]


@pytest.fixture(scope="module")
def extract_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A lake of this module's own (extract stores nothing; the key is written to its catalog)."""
    root = seeded_copy(tmp_path_factory.mktemp("extract") / "lake")
    keys = lake_at(root).keys
    return root, {"write": keys.create("bureau", "write")[1], "read": keys.create("dashboard", "read")[1]}


async def _client(root: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=root, load_seed=False, refresh_seconds=0))
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as c,
    ):
        yield c


@pytest.fixture
async def api(extract_lake: tuple[Path, dict[str, str]]) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(extract_lake[0]):
        yield c


@pytest.fixture
def writer(extract_lake: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return {"authorization": f"Bearer {extract_lake[1]['write']}"}


async def post(api: httpx.AsyncClient, h: dict[str, str], body: bytes, media: str | None, query: str = "") -> Any:
    headers = {**h, **({"content-type": media} if media else {})}
    return await api.post(f"/v1/extract{query}", content=body, headers=headers)


def holds_spans(answer: dict[str, Any], text: str) -> None:
    assert answer["observations"], "no observations"
    for row in answer["observations"] + answer["unresolved"]:
        s, e = row["span"]
        assert text[s:e] == row["quote"], row


def by_value(answer: dict[str, Any]) -> dict[float, dict[str, Any]]:
    return {r["value"]: r for r in answer["observations"]}


async def test_a_gb18030_bulletin(api: httpx.AsyncClient, writer: dict[str, str]) -> None:
    body = BULLETIN.encode("gb18030")
    r = await post(api, writer, body, "text/plain", "?region=430400&published=2022-10-31")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    a = r.json()
    assert a["document"]["kind"] == "text" and a["document"]["encoding"] == "gb18030"
    assert a["document"]["characters"] == len(BULLETIN) and len(a["document"]["sha256"]) == 64
    holds_spans(a, BULLETIN)
    rows = by_value(a)
    va = rows[8.4]
    assert (va["indicator"], va["region"], va["period"], va["status"], va["new_indicator"]) == (
        "industry.value_added.growth",
        "430400",
        "2022-Q3",
        "A",
        False,
    )
    assert (va["period_start"], va["period_end"], va["unit"]) == ("2022-01-01", "2022-09-30", "percent")
    assert rows[2.0]["indicator"] == "industry.value_added.growth.rank"
    assert rows[2800.5]["quote"] == "全市地区生产总值[1]2800.5亿元"  # the footnote stays in the quote, not in the name
    assert rows[2800.5]["indicator_name"] == "地区生产总值" and rows[2800.5]["indicator"] == "economy.gdp"
    assert rows[4.5]["indicator"] == "economy.gdp.growth" and not rows[4.5]["new_indicator"]
    assert rows[3.5]["new_indicator"] and rows[3.5]["indicator"].startswith("new.") and rows[3.5]["unit"] == "10k_t"
    assert {i["code"] for i in a["indicators"]} == {r["indicator"] for r in a["observations"] if r["new_indicator"]}


async def test_traditional_characters_keep_spans_on_the_text_sent(
    api: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    sent = "衡陽市2022年規模以上工業增加值同比增長8.4%，鋰電池產量增長25.3%。"
    r = await post(api, writer, sent.encode(), "text/plain; charset=utf-8", "?published=2023-01-20")
    a = r.json()
    assert r.status_code == 200 and a["region"] == "430400"  # named in full at the head: 衡陽市
    holds_spans(a, sent)
    rows = by_value(a)
    assert rows[8.4]["indicator"] == "industry.value_added.growth" and "增長8.4%" in rows[8.4]["quote"]
    assert rows[25.3]["indicator_name"].startswith("锂电池产量")


async def test_an_html_page_with_a_table(api: httpx.AsyncClient, writer: dict[str, str]) -> None:
    page = (
        "<html><head><title>各市州规模工业增加值增速</title><script>var n='999亿元'</script></head><body>"
        "<p>2017年1-11月，全省规模工业增加值同比增长7.1%。</p><table>"
        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in TABLE)
        + "</table></body></html>"
    )
    r = await post(api, writer, page.encode(), "text/html", "?region=430000")
    a = r.json()
    assert r.status_code == 200 and a["document"]["kind"] == "html"
    text = a["document"]["text"]
    assert "999" not in text and "| 长沙市 | 11.0 | 8.3 |" in text
    holds_spans(a, text)
    cells = {(o["region"], o["period"], o["value"]) for o in a["observations"]}
    assert ("430100", "2017-11", 11.0) in cells  # 比上年同月: November
    assert ("430000", "2017-11", 9.4) in cells  # the 全 省 row
    assert any(
        o["region"] == "430100" and o["value"] == 8.3 and o["period_start"] == "2017-01-01" for o in a["observations"]
    )


async def test_an_xlsx_workbook(api: httpx.AsyncClient, writer: dict[str, str]) -> None:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet("各市州规模工业增加值增速")
    for i, row in enumerate(TABLE):
        sheet.write_row(i, 0, row)
    book.close()
    r = await post(api, writer, buf.getvalue(), XLSX, "?region=430000&period=2017年1-11月")
    a = r.json()
    assert r.status_code == 200 and a["document"]["kind"] == "workbook"
    holds_spans(a, a["document"]["text"])
    got = {(o["region"], o["period_start"], o["period_end"]): o["value"] for o in a["observations"]}
    assert got[("430200", "2017-11-01", "2017-11-30")] == 7.7
    assert got[("430200", "2017-01-01", "2017-11-30")] == 7.0
    assert len(a["observations"]) == 8


async def test_a_csv_table_and_a_pasted_table(api: httpx.AsyncClient, writer: dict[str, str]) -> None:
    csv_body = "\n".join(",".join(str(c) for c in row) for row in TABLE).encode("gbk")
    pasted = "\n".join(" | ".join(str(c) for c in row) for row in TABLE)
    for body, media in ((csv_body, "text/csv"), (pasted.encode(), "text/plain")):
        r = await post(api, writer, body, media, "?region=430000&period=2017年1-11月")
        a = r.json()
        assert r.status_code == 200, a
        text = a["document"].get("text", pasted)
        holds_spans(a, text)
        assert {(o["region"], o["value"]) for o in a["observations"]} >= {("430300", 8.2), ("430300", 7.1)}
        assert len(a["observations"]) == 8


async def test_the_rows_post_to_observations_as_they_are(lake_dir: Path) -> None:
    key = lake_at(lake_dir).keys.create("reviewer", "write")[1]
    h = {"authorization": f"Bearer {key}"}
    async for api in _client(lake_dir):
        r = await post(api, h, BULLETIN.encode(), "text/plain", "?region=430400&published=2022-11-02")
        a = r.json()
        jsonl = b"\n".join(orjson.dumps(i) for i in a["indicators"])
        r = await api.post("/v1/indicators", content=jsonl, headers={**h, "content-type": "application/x-ndjson"})
        assert r.status_code == 201, r.text
        jsonl = b"\n".join(orjson.dumps(o) for o in a["observations"])
        r = await api.post("/v1/observations", content=jsonl, headers={**h, "content-type": "application/x-ndjson"})
        assert r.status_code == 201, r.text
        new = [o for o in a["observations"] if o["new_indicator"]]
        assert len(new) == 2 and r.json()["added"] >= len(new)  # the seed may hold some of the others already
        r = await api.post("/v1/observations", content=jsonl, headers={**h, "content-type": "application/x-ndjson"})
        assert r.status_code == 200 and r.json()["added"] == 0  # posted again: nothing changes
        lithium = next(o for o in a["observations"] if o["value"] == 3.5)
        got = (await api.get(f"/v1/series/{lithium['indicator']}/430400")).json()
        assert [(o["period"], o["value"], o["quote"]) for o in got["observations"]] == [
            ("2022-Q3", 3.5, lithium["quote"])
        ]


async def test_no_key_is_401_and_a_read_key_403(
    api: httpx.AsyncClient, extract_lake: tuple[Path, dict[str, str]]
) -> None:
    r = await post(api, {}, BULLETIN.encode(), "text/plain")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = await post(api, {"authorization": f"Bearer {extract_lake[1]['read']}"}, BULLETIN.encode(), "text/plain")
    assert r.status_code == 403 and "write" in r.json()["detail"]


async def test_an_unsupported_media_type_is_415(api: httpx.AsyncClient, writer: dict[str, str]) -> None:
    r = await post(api, writer, b"%PDF-1.4", "application/pdf")
    assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert "application/pdf" in problem["detail"] and "text/html" in problem["errors"][0]["allowed"]


async def test_undecodable_bytes_are_a_422_problem(api: httpx.AsyncClient, writer: dict[str, str]) -> None:
    r = await post(api, writer, b"\x81\x20abc\xff\x80 \xfe", "text/plain")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert "neither UTF-8 nor GB18030" in r.json()["detail"]
    r = await post(api, writer, "衡阳市规模工业增加值".encode("gbk"), "text/plain; charset=utf-8")
    assert r.status_code == 422 and "declared utf-8" in r.json()["detail"]
    r = await post(api, writer, b"PK\x03\x04 damaged", XLSX)
    assert r.status_code == 422 and "workbook" in r.json()["detail"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?period=2022-Q5", "period"),
        ("?published=2022-02-30", "published"),
        ("?published=yesterday", "published"),
        ("?region=999999", "region"),
        ("?region=" + "4" * 80, "region"),
        ("?source=no-such-source", "source"),
        ("?source=", "source"),
        ("?period=", "period"),
        ("?regoin=430400", "regoin"),
    ],
)
async def test_bad_parameters_are_400_naming_them(
    api: httpx.AsyncClient, writer: dict[str, str], query: str, parameter: str
) -> None:
    r = await post(api, writer, BULLETIN.encode(), "text/plain", query)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["parameter"] == parameter


async def test_nothing_is_stored(api: httpx.AsyncClient, writer: dict[str, str]) -> None:
    before = (await api.get("/v1/snapshots")).json()["snapshots"][0]["snapshot"]
    r = await post(api, writer, BULLETIN.encode(), "text/plain", "?region=430400&published=2022-10-31")
    assert r.status_code == 200
    assert (await api.get("/v1/snapshots")).json()["snapshots"][0]["snapshot"] == before


async def test_the_contract_is_in_the_openapi_document(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    op = spec["paths"]["/v1/extract"]["post"]
    assert {p["name"] for p in op["parameters"]} == {"region", "published", "period", "source"}
    assert {"text/plain", "text/html", "text/csv", XLSX} <= set(op["requestBody"]["content"])
    assert {"200", "400", "401", "415", "422"} <= set(op["responses"])
