"""Charts for every kind on the seed data (values and labels in the SVG, which parses as XML), PNG, themes,
widgets for iframes and the explorer page with their safety headers."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from service.ingest.load import ingest
from service.store.stores import lake_at
from tests.helpers import PARTIAL, csv_bytes, partly_ranked, seeded_copy

VA = "industry.value_added.growth"
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: bytes) -> str:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    return " ".join(t for t in root.itertext())


async def test_series_chart(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/v1/series/{VA}/430400/chart.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    words = texts(r.content)
    assert "衡阳市 规模以上工业增加值增速" in words and "8.4" in words and "2022-Q3" in words
    assert "来源：衡阳日报" in words and "%" in words
    assert r.headers["etag"]


async def test_compare_chart_says_the_article(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/v1/compare/{VA}/430400/chart.svg", params={"period": "2022-Q3"})
    words = texts(r.content)
    for expected in ("衡阳市", "湖南省", "中国", "8.4", "7.4", "3.9", "比湖南省高1.0个百分点", "比中国高4.5个百分点"):
        assert expected in words, expected
    desc = ET.fromstring(r.content).find(f"{SVG}desc")
    assert desc is not None and "衡阳市 8.4" in (desc.text or "")


async def test_rankings_chart_and_dark_theme(rich: httpx.AsyncClient) -> None:
    r = await rich.get(
        "/v1/rankings/test.growth/chart.svg",
        params={"parent": "430000", "period": "2022-Q3", "theme": "dark", "width": 600, "height": 400},
    )
    words = texts(r.content)
    assert "长沙市" in words and "9" in words and "14/14" in words
    assert "#0d1117" in r.text  # the dark background


async def test_png_and_bad_chart_requests(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/v1/compare/{VA}/430400/chart.png", params={"width": 320, "height": 200})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    for url, parameter in [
        (f"/v1/series/{VA}/430400/chart.gif", "fmt"),
        (f"/v1/series/{VA}/430400/chart.svg?theme=pink", "theme"),
        (f"/v1/series/{VA}/430400/chart.svg?width=5", "width"),
        (f"/v1/series/{VA}/999999/chart.svg", "region"),
    ]:
        bad = await client.get(url)
        assert 400 <= bad.status_code < 500 and bad.headers["content-type"] == "application/problem+json", url
        assert parameter in {e.get("parameter") for e in bad.json()["errors"]}, (url, bad.json())


@pytest.mark.parametrize(
    "url",
    [
        f"/embed/series/{VA}/430400",
        f"/embed/compare/{VA}/430400?period=2022-Q3",
        f"/embed/rankings/{VA}?parent=430000&theme=dark",
    ],
)
async def test_widgets(client: httpx.AsyncClient, url: str) -> None:
    r = await client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors *" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert "set-cookie" not in r.headers and r.headers["x-content-type-options"] == "nosniff"
    assert "/chart.svg" in r.text and "format=csv" in r.text and "衡阳日报" in r.text
    assert "http" not in r.text.replace('href="/', "").split("<body>")[0]  # nothing from another host
    csv = html.unescape(r.text.split('<a href="')[1].split('"')[0])
    assert "format=csv" in csv and (await client.get(csv)).content.startswith("\ufeff".encode())  # Excel-ready


async def test_explorer_page_and_static_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and '<script src="/static/explorer.js"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    js = await client.get("/static/explorer.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/static/../service/config.py")).status_code == 404
    assert (await client.get("/static/secrets.txt")).status_code == 404


async def test_derived_figures_are_marked_on_charts_with_a_legend(client: httpx.AsyncClient) -> None:
    # The seed's Hunan (7.4) and China (3.9) growth figures are derived from the article's gaps: status D
    compare = await client.get("/v1/compare/industry.value_added.growth/430400/chart.svg")
    assert "role-legend" in compare.text and "推算 derived" in compare.text
    hunan = await client.get("/v1/series/industry.value_added.growth/430000/chart.svg")
    assert "role-legend" in hunan.text and "推算 derived" in hunan.text
    reported = await client.get("/v1/series/industry.value_added.growth/430400/chart.svg")
    assert reported.status_code == 200 and "role-legend" not in reported.text  # nothing to explain: no legend


SOURCE_HEADER = ["id", "title", "publisher", "author", "published", "url", "note"]
CITED = ["indicator", "region", "period", "value", "status", "published", "source", "quote", "note"]


@pytest.fixture(scope="module")
def cited_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, three sources no figure here cites (first in the catalog), and Changsha's 2022-Q3 growth from a
    fourth: a widget credits the figures it shows, never the catalog's first sources."""
    root = seeded_copy(tmp_path_factory.mktemp("cited") / "lake")
    sources = [[f"aa-{i}", f"无关公报{i}", f"无关统计局{i}", "", "2022-01-01", "", ""] for i in range(1, 4)]
    sources.append(["zz-changsha", "长沙市经济运行情况", "长沙市统计局", "", "2022-10-28", "", ""])
    figure = [VA, "430100", "2022-Q3", 9.0, "A", "2022-10-28", "zz-changsha", "", ""]
    files = [("sources.csv", csv_bytes(sources, SOURCE_HEADER)), ("changsha.csv", csv_bytes([figure], CITED))]
    ingest(lake_at(root), files)
    return root


@pytest.fixture
async def cited(cited_lake: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=cited_lake, load_seed=False, refresh_seconds=0))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as c,
    ):
        yield c


@pytest.mark.parametrize(
    ("url", "credited"),
    [
        (f"/embed/series/{VA}/430100", ["长沙市统计局《长沙市经济运行情况》"]),
        (f"/embed/series/{VA}/430400", ["衡阳日报《"]),
        (f"/embed/compare/{VA}/430100?period=2022-Q3", ["长沙市统计局《长沙市经济运行情况》", "衡阳日报《"]),
        (f"/embed/rankings/{VA}?parent=430000", ["衡阳日报《", "长沙市统计局《长沙市经济运行情况》"]),
    ],
)
async def test_a_widget_credits_the_sources_of_the_figures_it_shows(
    cited: httpx.AsyncClient, url: str, credited: list[str]
) -> None:
    r = await cited.get(url)
    caption = r.text.split("<figcaption>")[1].split("</figcaption>")[0]
    assert "无关" not in caption, caption
    for source in credited:
        assert source in caption, (source, caption)
    if len(credited) == 1:
        assert caption.count("《") == 1, caption


async def test_a_league_chart_credits_the_bars_it_draws(cited: httpx.AsyncClient) -> None:
    top = texts((await cited.get(f"/v1/rankings/{VA}/chart.svg", params={"parent": "430000", "limit": 1})).content)
    assert "长沙市" in top and "长沙市统计局" in top and "衡阳日报" not in top, top
    both = texts((await cited.get(f"/v1/rankings/{VA}/chart.svg", params={"parent": "430000"})).content)
    assert "长沙市统计局" in both and "衡阳日报" in both


@pytest.fixture(scope="module")
def partial_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return partly_ranked(tmp_path_factory.mktemp("partial") / "lake")


@pytest.fixture
async def partial(partial_lake: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=partial_lake, load_seed=False, refresh_seconds=0))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as c,
    ):
        yield c


async def test_a_compare_chart_says_what_is_missing_and_how_complete_its_rank_is(partial: httpx.AsyncClient) -> None:
    doc = (await partial.get(f"/v1/compare/{PARTIAL}/430400", params={"period": "2022-Q3"})).json()["periods"][0]
    assert doc["against"][0]["missing"] and doc["rank"]["of"] == 4 and len(doc["rank"]["computed"]["missing"]) == 10
    r = await partial.get(f"/v1/compare/{PARTIAL}/430400/chart.svg", params={"period": "2022-Q3"})
    words = texts(r.content)
    assert "湖南省: 无数据" in words and "比中国高4.4个百分点" in words, words
    assert "第2名/4（14个中4个有数据）" in words, words
    assert "湖南省" in words.replace("湖南省: 无数据", "")  # drawn on the axis too, not left out
    desc = ET.fromstring(r.content).find(f"{SVG}desc")
    assert desc is not None and "湖南省 无数据" in (desc.text or ""), desc.text
    complete = texts((await partial.get(f"/v1/compare/{VA}/430400/chart.svg")).content)
    assert "第2名/14" in complete and "有数据" not in complete and "无数据" not in complete  # the seed: as reported
