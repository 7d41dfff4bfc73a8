"""The city against its province and the nation over time: the compare chart as lines (start, end, last_n), gaps
left as gaps, derived figures marked, the latest gaps said; its widget, the widgets' parameters, problems shown in a
widget as a page, and lang=en."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from tests.helpers import LEVEL, quarters_lake

VA = "industry.value_added.growth"
SVG = "{http://www.w3.org/2000/svg}"
CHART = f"/v1/compare/{VA}/430400/chart.svg"
RED, BLUE = "#dc2626", "#2563eb"  # the region's line and the province's (light theme)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return quarters_lake(tmp_path_factory.mktemp("overtime") / "lake")


@pytest.fixture
async def c(lake: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=lake, load_seed=False, refresh_seconds=0))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as client,
    ):
        yield client


def parsed(r: httpx.Response) -> tuple[ET.Element, str]:
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml", r.text[:500]
    root = ET.fromstring(r.content)
    return root, " ".join(root.itertext())


def line_paths(root: ET.Element, colour: str) -> int:
    """How many separate line paths of one colour the chart draws."""
    return sum(
        1
        for g in root.iter(f"{SVG}g")
        if "mark-line" in (g.get("class") or "")
        for p in g.iter(f"{SVG}path")
        if p.get("stroke") == colour
    )


async def test_start_draws_a_line_per_region_with_the_latest_gaps(c: httpx.AsyncClient) -> None:
    root, words = parsed(await c.get(CHART, params={"start": "2021-Q1"}))
    for expected in ("衡阳市", "湖南省", "中国", "8.4", "7.4", "3.9", "2021-Q1–2022-Q3"):
        assert expected in words, expected
    assert "（累计）" in words and "年初至该期末累计" in words  # a year-to-date series says so, title and axis
    assert "2022-Q3：比湖南省高1.0个百分点，比中国高4.5个百分点" in words, words
    assert "推算 derived" in words  # Hunan's derived figures: a shape of their own, with a legend
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "Line chart, 7 periods" in (desc.text or "") and "衡阳市 8.4" in (desc.text or "")


async def test_a_missing_period_breaks_the_line(c: httpx.AsyncClient) -> None:
    root, words = parsed(await c.get(CHART, params={"start": "2021-Q1", "end": "2022-Q3"}))
    assert "2022-Q1" in words  # the gap keeps its place on the axis
    assert line_paths(root, RED) == 2, "Hengyang has no 2022-Q1: two runs, not one line joined across the gap"
    assert line_paths(root, BLUE) == 1  # Hunan has every quarter


async def test_last_n_start_and_end_choose_the_periods(c: httpx.AsyncClient) -> None:
    _, last3 = parsed(await c.get(CHART, params={"last_n": 3}))
    assert "2022-Q1–2022-Q3" in last3 and "2021-Q4" not in last3
    _, window = parsed(await c.get(CHART, params={"start": "2021-Q3", "end": "2021-Q4"}))
    assert "2021-Q3–2021-Q4" in window and "8.4" not in window and "2021-Q4：比湖南省高" in window, window
    _, tail = parsed(await c.get(CHART, params={"end": "2021-Q2", "last_n": 1}))
    assert "2021-Q2–2021-Q2" in tail
    png = await c.get(CHART.replace(".svg", ".png"), params={"last_n": 4})
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"


@pytest.mark.parametrize("extra", [{"start": "2021-Q1"}, {"end": "2022-Q2"}, {"last_n": "2"}])
async def test_period_with_a_window_is_a_400(c: httpx.AsyncClient, extra: dict[str, str]) -> None:
    r = await c.get(CHART, params={"period": "2022-Q3", **extra})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["parameter"] == "period"


async def test_bad_and_empty_windows(c: httpx.AsyncClient) -> None:
    for params, status, parameter in [
        ({"start": "2022-Q3", "end": "2021-Q1"}, 400, "start"),
        ({"start": "someday"}, 400, "start"),
        ({"last_n": 0}, 400, "last_n"),
        ({"start": "2030-Q1"}, 404, "period"),
    ]:
        r = await c.get(CHART, params=params)
        assert r.status_code == status and r.headers["content-type"] == "application/problem+json", params
        assert parameter in {e.get("parameter") for e in r.json()["errors"]}, (params, r.json())


async def test_as_of_draws_what_was_known_then(c: httpx.AsyncClient) -> None:
    window = {"start": "2022-Q1", "end": "2022-Q2"}
    now, _ = parsed(await c.get(CHART, params=window))
    then, _ = parsed(await c.get(CHART, params={**window, "as_of": "2022-12-31"}))
    assert "衡阳市 9.9 (2022-Q2)" in desc(now) and "衡阳市 9.5 (2022-Q2)" in desc(then)  # before the revision: 9.5
    _, early = parsed(await c.get(CHART, params={"last_n": 8, "as_of": "2022-09-01"}))
    assert "2021-Q1–2022-Q2" in early and "8.4" not in early  # the article's quarter was not yet published


def desc(root: ET.Element) -> str:
    found = root.find(f"{SVG}desc")
    assert found is not None
    return found.text or ""


async def test_a_level_without_a_province_names_it_and_shows_shares(c: httpx.AsyncClient) -> None:
    url = f"/v1/compare/{LEVEL}/430400/chart.svg"
    root, words = parsed(await c.get(url, params={"start": "2019"}))
    assert "湖南省: 无数据" in words and "湖南省" in words.replace("湖南省: 无数据", "")  # in the legend too
    assert "2022：占中国0.4%" in words and "累计" not in words and "亿元" in words, words
    assert "2019–2022" in words and line_paths(root, RED) == 2  # Hengyang has no 2020


async def test_lang_en(c: httpx.AsyncClient) -> None:
    _, words = parsed(await c.get(CHART, params={"start": "2021-Q1", "lang": "en"}))
    for expected in ("Hengyang", "Hunan", "China", "(year to date)", "1.0 pp above Hunan", "Source: ", "derived"):
        assert expected in words, expected
    assert not re.search("衡阳市|湖南省|累计|来源", words), words
    _, level = parsed(await c.get(f"/v1/compare/{LEVEL}/430400/chart.svg", params={"start": "2019", "lang": "en"}))
    assert "Hunan: no data" in level and "100 million yuan" in level and "0.4% of China" in level, level
    _, bars = parsed(await c.get(f"/v1/compare/{VA}/430400/chart.svg", params={"lang": "en"}))
    assert "Hengyang" in bars and "4.5 pp above China" in bars and "rank 2 of 14" in bars, bars
    _, league = parsed(await c.get(f"/v1/rankings/{VA}/chart.svg", params={"parent": "430000", "lang": "en"}))
    assert "Hengyang" in league and "have data" in league and "衡阳市" not in league
    assert (await c.get(CHART, params={"lang": "fr"})).status_code == 400


async def test_the_over_time_widget_passes_its_parameters_to_the_chart(c: httpx.AsyncClient) -> None:
    r = await c.get(f"/embed/compare/{VA}/430400", params={"last_n": 4, "theme": "dark", "width": 600, "lang": "en"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    img = re.search(r'<img src="([^"]+)"', r.text)
    narrow = re.search(r'<source media="\(max-width: 480px\)" srcset="([^"]+)"', r.text)
    assert img and narrow, r.text
    src = img.group(1).replace("&amp;", "&")
    assert src.startswith(CHART) and all(p in src for p in ("last_n=4", "theme=dark", "width=600", "lang=en")), src
    assert "width=300" in narrow.group(1) and '<html lang="en">' in r.text and "Hengyang" in r.text
    assert 'href="/v1/compare/' + VA + "/430400?last_n=4&amp;format=csv" in r.text  # the chart's window, not periods
    chart = await c.get(src)
    assert chart.status_code == 200 and "Hengyang" in chart.text and "#0d1117" in chart.text


async def test_the_other_widgets_take_their_charts_parameters(c: httpx.AsyncClient) -> None:
    league = await c.get(
        f"/embed/rankings/{VA}", params={"parent": "430000", "limit": 1, "highlight": "430400", "height": 300}
    )
    src = re.search(r'<img src="([^"]+)"', league.text)
    assert src and all(p in src.group(1) for p in ("limit=1", "highlight=430400", "height=300")), league.text
    assert (await c.get(src.group(1).replace("&amp;", "&"))).status_code == 200
    series = await c.get(f"/embed/series/{VA}/430400", params={"start": "2021-Q3", "end": "2021-Q4"})
    src = re.search(r'<img src="([^"]+)"', series.text)
    assert src and "start=2021-Q3" in src.group(1) and "end=2021-Q4" in src.group(1)
    picture = await c.get(src.group(1).replace("&amp;", "&"))
    assert "8.6" in picture.text and "8.4" not in picture.text  # the window's figures only


async def test_compare_json_takes_last_n_as_the_chart_counts_it(c: httpx.AsyncClient) -> None:
    api = f"/v1/compare/{VA}/430400"
    body = (await c.get(api, params={"last_n": 3})).json()
    assert [p["period"] for p in body["periods"]] == ["2022-Q1", "2022-Q2", "2022-Q3"]
    gap = body["periods"][0]
    assert gap["missing"] and gap["value"] is None and gap["against"][0]["value"] is not None  # Hunan has 2022-Q1
    _, words = parsed(await c.get(CHART, params={"last_n": 3}))
    assert "2022-Q1–2022-Q3" in words  # the chart draws the same periods
    start = (await c.get(api, params={"start": "2021-Q3"})).json()
    assert [p["period"] for p in start["periods"]] == ["2021-Q3", "2021-Q4", "2022-Q1", "2022-Q2", "2022-Q3"]
    both = (await c.get(api, params={"start": "2021-Q1", "last_n": 2})).json()
    assert [p["period"] for p in both["periods"]] == ["2022-Q2", "2022-Q3"]
    csv = (await c.get(api, params={"last_n": 2, "format": "csv"})).text.splitlines()
    assert len(csv) == 1 + 2 * 3 and {line.split(",")[0].strip('"') for line in csv} == {"period", "2022-Q2", "2022-Q3"}
    for fmt in ("parquet", "arrow"):
        assert (await c.get(api, params={"last_n": 2, "format": fmt})).status_code == 200
    assert (await c.get(api, params={"last_n": 2, "period": "2022-Q3"})).status_code == 400
    assert (await c.get(api, params={"last_n": 0})).status_code == 400


async def test_the_widget_data_link_answers_the_periods_drawn(c: httpx.AsyncClient) -> None:
    r = await c.get(f"/embed/compare/{VA}/430400", params={"start": "2021-Q2", "end": "2022-Q2"})
    link = re.search(r'href="([^"]+format=json)"', r.text)
    assert link and "start=2021-Q2&amp;end=2022-Q2" in link.group(1), r.text
    data = (await c.get(link.group(1).replace("&amp;", "&"))).json()
    assert [p["period"] for p in data["periods"]] == ["2021-Q2", "2021-Q3", "2021-Q4", "2022-Q1", "2022-Q2"]


async def test_units_draw_each_line_transformed(c: httpx.AsyncClient) -> None:
    level = f"/v1/compare/{LEVEL}/430400/chart.svg"
    _, plain = parsed(await c.get(level, params={"start": "2019"}))
    assert "3800" in plain
    root, words = parsed(await c.get(level, params={"start": "2019", "units": "pc1"}))
    assert "percent_change_from_year_ago" in words and "3800" not in words
    assert "8.57143" in words  # Hengyang 2022 on 2021: 3800 / 3500 - 1, a year-on-year % per line
    assert "比中国高8.6个百分点" in words, words  # the gap recomputed on the new values, in points
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "衡阳市 8.57143 (2022)" in (desc.text or "")
    _, change = parsed(await c.get(CHART, params={"last_n": 2, "units": "chg"}))
    assert "-1.5" in change  # Hengyang 2022-Q3 against the revised 2022-Q2: 8.4 - 9.9


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"last_n": "4", "units": "pc1"}, "needs a level or count series"),
        ({"last_n": "4", "units": "nonsense"}, "unknown units"),
        ({"period": "2022-Q3", "units": "chg"}, "over time"),
    ],
)
async def test_units_that_do_not_apply_are_a_400(c: httpx.AsyncClient, params: dict[str, str], says: str) -> None:
    r = await c.get(CHART, params=params)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert says in r.json()["detail"] and r.json()["errors"][0]["parameter"] == "units", r.json()
    page = await c.get(f"/embed/compare/{VA}/430400", params=params)
    assert page.status_code == 400 and 'role="alert"' in page.text and "units" in page.text


async def test_the_widget_passes_units_to_its_chart(c: httpx.AsyncClient) -> None:
    r = await c.get(f"/embed/compare/{LEVEL}/430400", params={"start": "2019", "units": "pc1"})
    assert r.status_code == 200, r.text
    src = re.search(r'<img src="([^"]+)"', r.text)
    assert src and "units=pc1" in src.group(1) and "start=2019" in src.group(1), r.text
    assert "8.57143" in (await c.get(src.group(1).replace("&amp;", "&"))).text
    links = re.findall(r'href="(/v1/compare/[^"]+)"', r.text)
    assert len(links) == 3 and all("start=2019&amp;units=pc1" in x for x in links), links  # what the chart draws
    data = (await c.get(next(x for x in links if "json" in x).replace("&amp;", "&"))).json()
    assert data["periods"][-1]["value"] == pytest.approx(60 / 7) and data["units"] == "pc1"


async def test_compare_json_takes_units_over_time(c: httpx.AsyncClient) -> None:
    api = f"/v1/compare/{LEVEL}/430400"
    body = (await c.get(api, params={"start": "2019", "units": "pc1"})).json()
    assert body["units"] == "pc1" and body["unit"]["code"] == "percent" and "percentage points" in body["measure"]
    last = body["periods"][-1]
    assert last["period"] == "2022" and last["value"] == pytest.approx(60 / 7)  # 3800 / 3500 - 1, in per cent
    china = next(a for a in last["against"] if a["region"] == "CN")
    assert china["value"] == pytest.approx(100 / 1_002_021) and china["gap_pp"] == pytest.approx(60 / 7, abs=1e-3)
    assert body["periods"][0]["value"] is None  # 2019: no year before it
    csv = (await c.get(api, params={"start": "2019", "units": "pc1", "format": "csv"})).text
    assert "8.571428571" in csv and "3800" not in csv
    plain = (await c.get(api, params={"start": "2019"})).json()
    assert plain["units"] == "lin" and plain["periods"][-1]["value"] == 3800
    bad = await c.get(f"/v1/compare/{VA}/430400", params={"last_n": 2, "units": "pc1"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameter"] == "units"
    one = await c.get(api, params={"period": "2022", "units": "pc1"})
    assert one.status_code == 400 and "over time" in one.json()["detail"]


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        (f"/embed/compare/{VA}/999999?last_n=4", 404, "unknown region"),
        (f"/embed/compare/{VA}/430400?start=someday", 400, "start"),
        (f"/embed/compare/{VA}/430400?period=2022-Q3&last_n=2", 400, "not both"),
        (f"/embed/rankings/{VA}?parent=430000&limit=0&theme=dark", 400, "limit"),
        ("/embed/series/nothing/430400?lang=en", 404, "unknown indicator"),
    ],
)
async def test_a_widget_says_its_problem_as_a_page(c: httpx.AsyncClient, url: str, status: int, says: str) -> None:
    r = await c.get(url)
    assert r.status_code == status and r.headers["content-type"].startswith("text/html"), r.text
    assert 'role="alert"' in r.text and says in r.text and '"status"' not in r.text
    assert "frame-ancestors" in r.headers["content-security-policy"]  # shown inside another site's iframe
    if "theme=dark" in url:
        assert "#0d1117" in r.text
    if "lang=en" in url:
        assert "This chart cannot be shown" in r.text
    api = await c.get(url.replace("/embed/", "/v1/").replace("?", "/chart.svg?", 1))
    assert api.headers["content-type"] == "application/problem+json"  # the API keeps problem documents


def test_close_end_labels_are_pushed_apart() -> None:
    from service.formats.lines import LABEL_GAP, Line, end_labels

    periods = ["2022-Q2", "2022-Q3"]
    lines = [Line(c, c, [(None, "A"), (v, "A")]) for c, v in (("a", 8.4), ("b", 8.3), ("c", 8.35), ("d", 2.0))]
    placed = end_labels(lines, periods, (0.0, 10.0), 200)  # 20 px per unit: 0.05 apart is 1 px
    ys = sorted(p["label_y"] * 20 for p in placed)
    assert all(b - a >= LABEL_GAP - 1e-9 for a, b in pairwise(ys)), ys
    assert {p["text"] for p in placed} == {"8.4", "8.3", "8.35", "2"} and min(ys) == 40  # the lowest stays put
