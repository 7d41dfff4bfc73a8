"""The explorer over time (issue #25): the comparison over the years as its first picture, a date range and units
kept in the URL, a table under every chart, 累计 on year-to-date series, readable on a phone, English, and an iframe
snippet as big as its widget. A real headless Chromium against the real server, as in test_explorer.py."""

from __future__ import annotations

import html
import itertools
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from service.ingest.load import ingest
from service.store.stores import lake_at
from tests.browser.test_explorer import ARGS, CHROMIUM, _open, _scroll_width, _wait_for_image, _wait_for_text
from tests.helpers import csv_bytes, obs, seeded_copy
from tests.live import live_server
from tests.reliability.conftest import ARTIFACTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it when run as root)"),
]
TAXES = "industry.taxes_paid"  # 工业企业实缴税金: quarterly, year to date (累计), in 亿元
QUARTERS = [f"{y}-Q{q}" for y in range(2012, 2023) for q in range(1, 5)][:-1]  # 2012-Q1 … 2022-Q3
HERE = "/?region=430400&indicator=" + TAXES


def _history() -> list[list[object]]:
    """Eleven years of taxes paid for Hengyang, Hunan and China (Hengyang's 2022-Q3 is the shipped 44.5)."""
    rows = []
    for i, period in enumerate(QUARTERS):
        year, q = int(period[:4]), int(period[-1])
        published = f"{year + 1}-02-01" if q == 4 else f"{year}-{3 * q + 1:02d}-20"
        for region, scale in (("430400", 1.0), ("430000", 20.0), ("CN", 600.0)):
            if region == "430400" and period == "2022-Q3":
                continue
            rows.append(obs(TAXES, region, period, round(scale * (10 * q + i / 4), 1), published))
    return rows


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    lake = seeded_copy(tmp_path_factory.mktemp("explorer-time") / "lake")
    ingest(lake_at(lake), [("history.csv", csv_bytes(_history()))])
    with live_server(lake, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        yield live.base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _src(page: object, selector: str) -> tuple[str, dict[str, str]]:
    """The path and the query parameters of an image's source."""
    for _ in range(100):
        src = page.eval_on_selector(selector, "img => img.getAttribute('src') || ''")  # type: ignore[attr-defined]
        if src:
            break
        time.sleep(0.1)
    parts = urlsplit(src)
    return parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}


def _rows(page: object, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(  # type: ignore[attr-defined,no-any-return]
        f"{selector} tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )


def _wait_for_src(page: object, selector: str, key: str, value: str) -> dict[str, str]:
    for _ in range(100):
        _, query = _src(page, selector)
        if query.get(key) == value:
            return query
        time.sleep(0.1)
    raise AssertionError(f"{selector} never asked for {key}={value}: {query}")


def test_the_first_picture_is_the_comparison_over_the_chosen_years(server: str, browser: object) -> None:
    page = _open(browser, server + HERE)
    page.wait_for_selector("#trend-table tbody tr")  # type: ignore[attr-defined]
    first = page.eval_on_selector("[data-view=compare] img", "img => img.id")  # type: ignore[attr-defined]
    assert first == "trend-chart"
    path, query = _src(page, "#trend-chart")
    assert path == f"/v1/compare/{TAXES}/430400/chart.svg" and query["start"] == "2013" and "period" not in query
    assert int(query["width"]) >= 160
    _loads_where_it_can(page, server, "#trend-chart")
    assert len(_rows(page, "#compare")) == 3  # the one-period table is still below it
    page.select_option("#span", "5y")  # type: ignore[attr-defined]
    query = _wait_for_src(page, "#trend-chart", "start", "2018")
    assert "span=5y" in page.url  # type: ignore[attr-defined]
    page.fill("#start", "2020")  # type: ignore[attr-defined]
    page.fill("#end", "2021-Q4")  # type: ignore[attr-defined]
    page.press("#end", "Tab")  # type: ignore[attr-defined]
    query = _wait_for_src(page, "#trend-chart", "end", "2021-Q4")
    assert query["start"] == "2020"
    assert "start=2020" in page.url and "end=2021-Q4" in page.url and "span" not in page.url  # type: ignore[attr-defined]
    _wait_for_rows(page, "#trend-table", 8)
    rows = _rows(page, "#trend-table")
    assert [r[0] for r in rows] == [p for p in QUARTERS if "2020" <= p[:4] <= "2021"]
    page.go_back()  # type: ignore[attr-defined]  # start=2020 typed, end not yet
    page.go_back()  # type: ignore[attr-defined]
    _wait_for_src(page, "#trend-chart", "start", "2018")
    assert page.eval_on_selector("#span", "s => s.value") == "5y"  # type: ignore[attr-defined]
    page.go_forward()  # type: ignore[attr-defined]
    page.go_forward()  # type: ignore[attr-defined]
    _wait_for_src(page, "#trend-chart", "end", "2021-Q4")
    page.close()  # type: ignore[attr-defined]


CONTRACT = {"start", "end", "last_n", "lang", "width", "height"}  # what the over-time charts and widgets take


def _loads_where_it_can(page: object, server: str, selector: str) -> bool:
    """The image loads; or, on a server without the comparison over time yet, its URL is refused (400) for one of
    the parameters the over-time contract adds, and only for those. True when it loaded."""
    r = page.request.get(server + _src_url(page, selector))  # type: ignore[attr-defined]
    if r.status == 200:
        _wait_for_image(page, selector)
        return True
    assert r.status == 400, (selector, r.status)
    refused = {e.get("parameter") for e in r.json()["errors"]}
    assert refused and refused <= CONTRACT, (selector, refused)
    return False


def _wait_for_rows(page: object, selector: str, n: int) -> None:
    for _ in range(100):
        if len(_rows(page, selector)) == n:
            return
        time.sleep(0.1)
    raise AssertionError(f"{selector}: {len(_rows(page, selector))} rows, not {n}")


def test_the_trend_table_holds_the_region_its_province_and_the_nation(server: str, browser: object) -> None:
    page = _open(browser, server + HERE + "&span=all")
    page.wait_for_selector("#trend-table tbody tr")  # type: ignore[attr-defined]
    table = page.locator("#trend-table")  # type: ignore[attr-defined]
    assert "累计" in table.locator("caption").inner_text()
    assert table.locator("thead th[scope=col]").all_inner_texts()[1:] == ["衡阳市", "湖南省", "中国"]
    api = page.request.get(f"{server}/v1/compare/{TAXES}/430400?start=2012-Q1").json()  # type: ignore[attr-defined]
    expected = [[p["period"], *[_shown(x["value"]) for x in [p, *p["against"]]]] for p in api["periods"]]
    assert _rows(page, "#trend-table") == expected and len(expected) == len(QUARTERS)
    assert table.locator("tbody th[scope=row]").count() == len(QUARTERS)
    page.close()  # type: ignore[attr-defined]


def _shown(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def test_units_re_request_the_series_chart_and_its_table_equals_the_json(server: str, browser: object) -> None:
    page = _open(browser, server + HERE + "&span=all")
    page.wait_for_selector("#series-table tbody tr")  # type: ignore[attr-defined]
    offered = page.eval_on_selector_all("#units option", "os => os.map(o => o.value)")  # type: ignore[attr-defined]
    assert {"lin", "chg", "pch", "pc1", "chg_prev", "pch_prev", "from_ytd"} <= set(offered), offered
    rate = _open(browser, server + "/?region=430400&indicator=industry.value_added.growth")
    rate.wait_for_selector("#series-table tbody tr")  # type: ignore[attr-defined]
    rates = rate.eval_on_selector_all("#units option", "os => os.map(o => o.value)")  # type: ignore[attr-defined]
    assert "pch" not in rates and "from_ytd" not in rates and "chg" in rates, rates  # a growth rate: no % of a %
    rate.close()  # type: ignore[attr-defined]
    page.select_option("#units", "pc1")  # type: ignore[attr-defined]
    query = _wait_for_src(page, "#series-chart", "units", "pc1")
    assert query["start"] == "2012-Q1" and "units=pc1" in page.url  # type: ignore[attr-defined]
    _wait_for_image(page, "#series-chart")
    api = page.request.get(f"{server}/v1/series/{TAXES}/430400?start=2012-Q1&units=pc1").json()  # type: ignore[attr-defined]
    expected = [[o["period"], _shown(o["value"]), "%"] for o in api["observations"]]
    for _ in range(100):
        if _rows(page, "#series-table") == expected:
            break
        time.sleep(0.1)
    assert _rows(page, "#series-table") == expected and any(o["value"] for o in api["observations"])
    page.select_option("#units", "from_ytd")  # type: ignore[attr-defined]
    _wait_for_src(page, "#series-chart", "units", "from_ytd")
    _wait_for_text(page, "#series-table caption", "当期值")
    assert "累计" not in page.inner_text("#series-table caption")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_the_units_choice_re_requests_the_over_time_chart_and_its_table(server: str, browser: object) -> None:
    page = _open(browser, server + HERE + "&span=all&units=pc1")
    query = _wait_for_src(page, "#trend-chart", "units", "pc1")
    assert query["start"] == "2012-Q1"
    path, _ = _src(page, "#trend-chart")
    assert path == f"/v1/compare/{TAXES}/430400/chart.svg"
    chart = page.request.get(server + _src_url(page, "#trend-chart"))  # type: ignore[attr-defined]
    assert chart.status == 200 and "percent_change_from_year_ago" in chart.text()
    _wait_for_image(page, "#trend-chart")
    api = page.request.get(f"{server}/v1/compare/{TAXES}/430400?start=2012-Q1&units=pc1").json()  # type: ignore[attr-defined]
    expected = [[p["period"], *[_shown(x["value"]) for x in [p, *p["against"]]]] for p in api["periods"]]
    for _ in range(100):
        if _rows(page, "#trend-table") == expected:
            break
        time.sleep(0.1)
    assert _rows(page, "#trend-table") == expected and api["units"] == "pc1"
    assert expected[0][1] == "—" and expected[-1][1] != "—"  # the first year has no year before it
    page.select_option("#units", "lin")  # type: ignore[attr-defined]
    for _ in range(100):
        if "units" not in _src(page, "#trend-chart")[1]:
            break
        time.sleep(0.1)
    assert "units" not in _src(page, "#trend-chart")[1]
    page.close()  # type: ignore[attr-defined]


def test_a_year_to_date_series_says_so_in_its_titles_and_axis(server: str, browser: object) -> None:
    page = _open(browser, server + HERE)
    _wait_for_text(page, "#heading", "累计")
    assert "累计" in page.title() and "累计" in page.inner_text("#series-caption")  # type: ignore[attr-defined]
    svg = page.request.get(server + _src_url(page, "#series-chart")).body()  # type: ignore[attr-defined]
    words = " ".join(ET.fromstring(svg).itertext())
    assert "工业企业实缴税金（累计）" in words and "亿元（累计）" in words, words  # the title and the value axis
    flow = _open(browser, server + "/?region=430400&indicator=enterprises.lead_geese")
    _wait_for_text(flow, "#heading", "头雁")
    assert "累计" not in flow.inner_text("#heading")  # type: ignore[attr-defined]  # a count at a date, not YTD
    page.close()  # type: ignore[attr-defined]
    flow.close()  # type: ignore[attr-defined]


def _src_url(page: object, selector: str) -> str:
    path, query = _src(page, selector)
    return path + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_on_a_phone_charts_are_drawn_at_their_width_and_labels_do_not_collide(server: str, browser: object) -> None:
    page = _open(browser, server + HERE + "&span=all", 390, 844)
    page.wait_for_selector("#series-table tbody tr")  # type: ignore[attr-defined]
    for selector in ("#trend-chart", "#series-chart", "#compare-chart"):
        if not _loads_where_it_can(page, server, selector):
            continue
        natural, shown = page.eval_on_selector(selector, "i => [i.naturalWidth, i.clientWidth]")  # type: ignore[attr-defined]
        assert natural <= shown + 1, (selector, natural, shown)  # never scaled down, so 10 px text stays 10 px
    assert _scroll_width(page) <= 390, _scroll_width(page)
    page.screenshot(path=str(ARTIFACTS / "explorer-time-phone.png"), full_page=True)  # type: ignore[attr-defined]
    chart = browser.new_page()  # type: ignore[attr-defined]
    chart.goto(server + _src_url(page, "#series-chart"))
    sizes = chart.eval_on_selector_all("text", "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize))")
    assert sizes and min(sizes) >= 10, sizes
    boxes = chart.eval_on_selector_all(
        ".role-axis-label text:not([opacity='0'])",  # labels thinned out are drawn transparent
        "ts => ts.map(t => { const b = t.getBoundingClientRect(); return [b.left, b.right, b.top, b.bottom]; })",
    )
    assert len(boxes) >= 2
    for a, b in itertools.pairwise(boxes):
        assert a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2], (a, b)  # side by side, or stacked
    chart.close()
    page.close()  # type: ignore[attr-defined]


def test_english_names_words_and_charts(server: str, browser: object) -> None:
    page = _open(browser, server + HERE)
    page.wait_for_selector("#trend-table tbody tr")  # type: ignore[attr-defined]
    page.select_option("#lang", "en")  # type: ignore[attr-defined]
    _wait_for_text(page, "#heading", "Hengyang · Taxes paid by industrial enterprises")
    assert "lang=en" in page.url  # type: ignore[attr-defined]
    assert page.eval_on_selector("html", "h => h.lang") == "en"  # type: ignore[attr-defined]
    assert page.inner_text("#tabs button[data-tab=compare]") == "Compare"  # type: ignore[attr-defined]
    heads = page.locator("#trend-table thead th").all_inner_texts()  # type: ignore[attr-defined]
    assert heads == ["Period", "Hengyang", "Hunan", "China"], heads
    assert "Hunan" in page.inner_text("#compare")  # type: ignore[attr-defined]
    for selector in ("#trend-chart", "#series-chart", "#compare-chart"):
        assert _src(page, selector)[1].get("lang") == "en", selector
        _loads_where_it_can(page, server, selector)
    options = page.eval_on_selector_all("#indicator option", "os => os.map(o => o.text)")  # type: ignore[attr-defined]
    assert "Taxes paid by industrial enterprises (industry.taxes_paid)" in options
    shared = _open(browser, page.url)  # type: ignore[attr-defined]
    _wait_for_text(shared, "#heading", "Hengyang")
    page.close()  # type: ignore[attr-defined]
    shared.close()  # type: ignore[attr-defined]


def test_the_iframe_snippet_is_as_big_as_its_widget_and_does_not_scroll(server: str, browser: object) -> None:
    page = _open(browser, server + HERE + "&span=5y&tab=use")
    page.wait_for_selector("#snippets pre")  # type: ignore[attr-defined]
    texts = page.locator("#snippets pre").all_inner_texts()  # type: ignore[attr-defined]
    snippet = next(t for t in texts if t.startswith("<iframe"))
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', snippet))
    src = html.unescape(attrs["src"])
    query = {k: v[-1] for k, v in parse_qs(urlsplit(src).query).items()}
    assert urlsplit(src).path == f"/embed/compare/{TAXES}/430400" and query["start"] == "2018"
    assert int(attrs["width"]) == int(query["width"])  # the widget's own width
    assert int(attrs["height"]) > int(query["height"])  # its chart and the caption below it
    widget = page.request.get(src)  # type: ignore[attr-defined]
    if widget.status != 200:  # a server without the over-time widget yet refuses only the contract's parameters
        assert widget.status == 400 and {e["parameter"] for e in widget.json()["errors"]} <= CONTRACT
        page.close()  # type: ignore[attr-defined]
        return
    host = browser.new_page(viewport={"width": 900, "height": 700})  # type: ignore[attr-defined]
    host.goto(server + "/healthz")
    host.set_content(f"<!doctype html><body style='margin:0'>{snippet}</body>")
    frame = host.frame_locator("iframe")
    frame.locator("img").wait_for()
    for _ in range(100):
        if frame.locator("img").evaluate("i => i.complete && i.naturalWidth > 0"):
            break
        time.sleep(0.1)
    inner = frame.locator("html").evaluate("h => [h.scrollWidth, h.scrollHeight, innerWidth, innerHeight]")
    assert inner[0] <= inner[2] and inner[1] <= inner[3], inner  # nothing to scroll, either way
    host.screenshot(path=str(ARTIFACTS / "explorer-snippet.png"))
    host.close()
    page.close()  # type: ignore[attr-defined]
