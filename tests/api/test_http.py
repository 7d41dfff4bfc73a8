"""HTTP behaviour: ETag and 304, the response cache, CORS, catalogs, search, pagination, health and metrics."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow.parquet as pq
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from service.logs import JsonFormatter

URL = "/v1/series/industry.value_added.growth/430400"


async def test_strong_etag_and_304(client: httpx.AsyncClient) -> None:
    r = await client.get(URL)
    etag = r.headers["etag"]
    assert etag.startswith('"000001-') and not etag.startswith("W/")
    assert "max-age" in r.headers["cache-control"]
    again = await client.get(URL, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = await client.get(URL, headers={"if-none-match": '"000001-0000"'})
    assert other.status_code == 200 and other.content == r.content
    csv = await client.get(URL, params={"format": "csv"})
    assert csv.headers["etag"] != etag  # the representation is part of the tag
    by_accept = await client.get(URL, headers={"accept": "text/csv"})
    assert by_accept.headers["etag"] not in (etag, csv.headers["etag"])


async def test_etag_changes_with_the_snapshot(writable_client: httpx.AsyncClient, lake_dir: object) -> None:
    from pathlib import Path

    from service.ingest.load import ingest
    from service.store.stores import lake_at
    from tests.helpers import csv_bytes, obs

    first = await writable_client.get(URL)
    ingest(
        lake_at(Path(str(lake_dir))),
        [("r.csv", csv_bytes([obs("industry.value_added.growth", "430400", "2022-Q3", 8.5, "2023-02-01")]))],
    )
    second = await writable_client.get(URL, headers={"if-none-match": first.headers["etag"]})
    assert second.status_code == 200 and second.headers["etag"].startswith('"000002-')
    assert second.json()["observations"][0]["value"] == 8.5
    assert (await writable_client.get(URL, params={"as_of": "2022-12-31"})).json()["observations"][0]["value"] == 8.4


async def test_cors_for_dashboards(client: httpx.AsyncClient) -> None:
    r = await client.get(URL, headers={"origin": "https://dash.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "etag" in r.headers["access-control-expose-headers"].lower()
    pre = await client.options(URL, headers={"origin": "https://dash.example", "access-control-request-method": "GET"})
    assert pre.status_code == 200 and "GET" in pre.headers["access-control-allow-methods"]


async def test_repeated_request_is_served_from_cache_identically(client: httpx.AsyncClient) -> None:
    a = await client.get("/v1/regions/430400")
    b = await client.get("/v1/regions/430400")
    assert a.content == b.content and a.headers["etag"] == b.headers["etag"]
    assert a.headers["content-type"] == b.headers["content-type"] == "application/json"


async def test_regions(client: httpx.AsyncClient) -> None:
    r = (await client.get("/v1/regions/430400")).json()
    assert r["name"] == "衡阳市" and [a["code"] for a in r["ancestors"]] == ["430000", "CN"]
    kids = {c["code"]: c["level"] for c in r["children"]}
    assert kids["430405"] == "county" and kids["430400Z01"] == "zone" and len(kids) == 16
    provinces = (await client.get("/v1/regions", params={"level": "province"})).json()
    assert provinces["total"] == 34
    q = (await client.get("/v1/regions", params={"q": "hengyang"})).json()
    assert {x["code"] for x in q["regions"]} >= {"430400", "430421", "430400Z01"}
    page = (await client.get("/v1/regions", params={"level": "county", "limit": 10})).json()
    assert len(page["regions"]) == 10 and page["total"] == 2846 and "offset=10" in page["next"]
    assert (await client.get("/v1/regions/999999")).status_code == 404


async def test_indicators_and_sources(client: httpx.AsyncClient) -> None:
    ind = (await client.get("/v1/indicators/industry.value_added.growth")).json()
    assert ind["accumulation"] == "ytd" and ind["basis"] == "real"
    assert {r["code"] for r in ind["regions"]} == {"430400", "430000", "CN"}
    assert ind["first_period"] == ind["last_period"] == "2022-Q3"
    ranks = (await client.get("/v1/indicators", params={"kind": "rank"})).json()["indicators"]
    assert all(i["rank_of"] for i in ranks) and len(ranks) >= 6
    src = (await client.get("/v1/sources/hyrb-2022-q3-industry")).json()
    assert src["publisher"] == "衡阳日报" and src["author"] == "邓小山"
    assert (await client.get("/v1/sources/nope")).status_code == 404


async def test_series_catalog_and_search(client: httpx.AsyncClient) -> None:
    s = (await client.get("/v1/series", params={"parent": "430000"})).json()["series"]
    assert {x["region"] for x in s} == {"430400"}
    zones = (await client.get("/v1/series", params={"parent": "430400", "level": "zone"})).json()["series"]
    assert {x["region"] for x in zones} == {"430400Z01", "430400Z02", "430400Z03", "430400Z04"}
    found = (await client.get("/v1/search", params={"q": "工业"})).json()["results"]
    assert {"indicator", "series"} <= {x["type"] for x in found}
    assert any(x["code"] == "industry.value_added.growth" for x in found)
    hy = (await client.get("/v1/search", params={"q": "衡阳"})).json()["results"]
    assert hy[0]["code"] == "430400"


async def test_observations_long_table_cursor_and_alignment(rich: httpx.AsyncClient) -> None:
    params = {"indicator": "test.output", "region": "430400,430000,CN", "limit": 3}
    first = (await rich.get("/v1/observations", params=params)).json()
    assert first["total"] == 9 and first["count"] == 3 and first["next"]
    rows = first["observations"]
    nxt = first["next"]
    while nxt:
        page = (await rich.get(nxt)).json()
        rows += page["observations"]
        nxt = page["next"]
    assert len(rows) == 9 and len({(r["region"], r["period"]) for r in rows}) == 9
    aligned = (
        await rich.get(
            "/v1/observations",
            params={"indicator": "test.output", "region": "430400,430000,CN", "align_periods": "true", "limit": 100},
        )
    ).json()
    assert aligned["total"] == 21  # 3 series x 7 periods, nulls where a series lacks one
    cn = [r for r in aligned["observations"] if r["region"] == "CN"]
    assert [r["value"] for r in cn if r["period"] != "2022-Q3"] == [None] * 6
    one = (
        await rich.get("/v1/observations", params={"indicator": "test.growth", "parent": "430000", "period": "2022-Q3"})
    ).json()
    assert one["total"] == 14
    transformed = (
        await rich.get(
            "/v1/observations",
            params={"indicator": "test.output", "region": "430400", "units": "pc1", "start": "2022-Q1"},
        )
    ).json()
    assert [round(r["value"], 6) for r in transformed["observations"]] == [10.0, 10.0, round(365 / 330 * 100 - 100, 6)]


@pytest.mark.parametrize(
    "below",
    [{"parent": "430421"}, {"parent": "430000", "level": "county"}],
    ids=["a county: no regions below it", "a province: no county children"],
)
async def test_observations_of_a_parent_with_no_region_below_it_are_none(
    rich: httpx.AsyncClient, below: dict[str, str]
) -> None:
    """The filter matches no region: an empty table, not every region of the indicator (as /v1/regions and
    /v1/series answer the same filter with an empty list)."""
    assert (await rich.get("/v1/regions", params=below)).json()["regions"] == []
    for extra in ({"period": "2022-Q3"}, {"indicator": "test.growth"}, {"indicator": "test.growth", "limit": 5}):
        r = await rich.get("/v1/observations", params={**below, **extra})
        assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["observations"] == [], (extra, r.json())
    csv = await rich.get("/v1/observations", params={**below, "period": "2022-Q3", "format": "csv"})
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith('"indicator","region","period"')
    assert len(csv.text.splitlines()) == 1, csv.text[:500]
    parquet = await rich.get("/v1/observations", params={**below, "period": "2022-Q3", "format": "parquet"})
    assert parquet.status_code == 200 and pq.read_table(io.BytesIO(parquet.content)).num_rows == 0
    with_region = await rich.get("/v1/observations", params={**below, "region": "430400", "period": "2022-Q3"})
    assert {r["region"] for r in with_region.json()["observations"]} == {"430400"}  # listed regions still count


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    h = await client.get("/healthz")
    assert h.json()["snapshot"] == "000001" and h.json()["counts"]["observations"] == 55
    assert h.headers["cache-control"] == "no-store"
    await client.get(URL)
    m = await client.get("/metrics")
    assert m.status_code == 200
    assert 'yardstick_requests_total{route="/v1/series",status="200"}' in m.text
    assert "yardstick_snapshot_age_seconds" in m.text


async def test_the_fast_lane_answers_exactly_like_the_handler(rich: httpx.AsyncClient) -> None:
    for url in (
        "/v1/series/test.output/430400",
        "/v1/series/industry.value_added.growth/430400",
        "/v1/series/test.monthly/430400",
    ):
        await rich.get(url + "?sort=asc")  # the full handler (a parameter), which also loads the frame
        fast = await rich.get(url, headers={"accept": "application/json"})
        full = await rich.get(url + "?sort=asc")
        assert fast.status_code == full.status_code == 200
        assert fast.content == full.content, url
        assert fast.headers["content-type"] == full.headers["content-type"] == "application/json"
        assert fast.headers["x-snapshot"] == full.headers["x-snapshot"]
    missing = await rich.get("/v1/series/test.output/999999")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    for query in ("indicator=test.output&region=430400", "region=CN&indicator=industry.value_added.growth"):
        await rich.get(f"/v1/observations?{query}&limit=1000")  # the handler, which also loads the frame
        fast = await rich.get(f"/v1/observations?{query}", headers={"accept": "application/json"})
        full = await rich.get(f"/v1/observations?{query}&limit=1000")
        assert fast.status_code == full.status_code == 200 and fast.json()["total"] > 0
        assert fast.content == full.content, query
    for query in ("indicator=test.output&region=999999", "indicator=test.output&region=430400&junk=1"):
        refused = await rich.get(f"/v1/observations?{query}")  # the handler's 404 and 400, never the fast lane's
        assert refused.status_code in (400, 404) and refused.headers["content-type"] == "application/problem+json"


async def test_the_compare_and_rankings_lanes_answer_exactly_like_their_handlers(rich: httpx.AsyncClient) -> None:
    """The fast lanes of /v1/compare and /v1/rankings (period and parent only) against their handlers, which a
    default-valued parameter sends the request to; whatever the lanes do not take stays the handlers'."""
    pairs = [
        ("/v1/compare/test.growth/430400", "rank_scope=siblings"),
        ("/v1/compare/test.growth/430400?period=2022-Q3", "rank_scope=siblings"),
        ("/v1/compare/industry.value_added.growth/430400?period=2022-Q3", "rank_scope=siblings"),  # reported ranks
        ("/v1/compare/test.output/430400?period=2022-Q3", "units=lin"),  # a revised figure: the latest release
        ("/v1/compare/test.growth/430400?period=1999-Q1", "units=lin"),  # nobody has a figure: the hint
        ("/v1/rankings/test.growth?parent=430000", "order=desc"),
        ("/v1/rankings/test.growth?period=2022-Q3&parent=430000", "order=desc"),
        ("/v1/rankings/industry.value_added.growth?parent=430000&period=2022-Q3", "order=desc"),
    ]
    for url, default in pairs:
        full = await rich.get(url + ("&" if "?" in url else "?") + default)  # the handler, which loads the frames
        fast = await rich.get(url, headers={"accept": "application/json"})
        assert fast.status_code == full.status_code == 200, (url, fast.text)
        assert fast.content == full.content, url
        assert fast.headers["content-type"] == full.headers["content-type"] == "application/json"
    for url, status in (
        ("/v1/compare/test.growth/430400?period=2022-Q9", 400),  # not a period
        ("/v1/rankings/test.growth?parent=430405", 400),  # no children to rank
        ("/v1/rankings/test.growth?parent=999999", 404),
        ("/v1/rankings/test.growth?parent=430000&period=2022-Q3&junk=1", 400),
        ("/v1/rankings/test.growth?parent=430000&parent=CN", 200),  # a repeated name: the handler's reading
    ):
        r = await rich.get(url)
        assert r.status_code == status, (url, r.text)
        if status != 200:
            assert r.headers["content-type"] == "application/problem+json"


async def test_a_cursor_pins_the_snapshot_of_its_first_page(
    writable_client: httpx.AsyncClient, lake_dir: object
) -> None:
    from pathlib import Path

    from service.ingest.load import ingest
    from service.store.stores import lake_at
    from tests.helpers import csv_bytes, obs

    url = "/v1/observations?indicator=industry.value_added.growth&limit=2"
    first = (await writable_client.get(url)).json()
    assert first["snapshot"] == "000001" and first["total"] == 3 and first["next"]
    rows = [obs("industry.value_added.growth", c, "2022-Q3", 5.0) for c in ("430100", "430200", "430300")]
    ingest(lake_at(Path(str(lake_dir))), [("more.csv", csv_bytes(rows))])  # a commit between two pages
    second = (await writable_client.get(first["next"])).json()
    assert second["snapshot"] == "000001" and second["total"] == 3 and second["next"] is None
    seen = [(r["region"], r["value"]) for r in first["observations"] + second["observations"]]
    assert sorted(seen) == [("430000", 7.4), ("430400", 8.4), ("CN", 3.9)]
    fresh = (await writable_client.get(url)).json()
    assert fresh["snapshot"] == "000002" and fresh["total"] == 6


async def test_an_unexpected_error_is_one_problem_and_one_log_line_with_its_request_id(settings: Settings) -> None:
    app = create_app(settings)

    def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v1/broken", broken)
    lines: list[dict[str, Any]] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(orjson.loads(JsonFormatter().format(record)))  # type: ignore[method-assign]
    logger = logging.getLogger("yardstick")
    logger.addHandler(handler)
    try:
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=True)
            async with httpx.AsyncClient(transport=transport, base_url="http://yardstick.test") as c:
                got = await c.get("/v1/broken", headers={"x-request-id": "err-7"})
    finally:
        logger.removeHandler(handler)
    assert got.status_code == 500 and got.headers["content-type"] == "application/problem+json"
    assert got.headers["x-request-id"] == "err-7" and got.headers["x-yardstick-replica"]  # not raised past us
    errors = [x for x in lines if x["level"] == "error"]  # as YARDSTICK_LOG_FORMAT=json writes them
    assert len(errors) == 1 and errors[0]["request_id"] == "err-7" and "RuntimeError: boom" in errors[0]["error"]


async def test_a_commit_that_cannot_be_opened_keeps_the_old_snapshot_and_shows_as_lag(
    writable_client: httpx.AsyncClient, lake_dir: Path
) -> None:
    from service.ingest.load import ingest
    from service.store.stores import lake_at
    from tests.helpers import csv_bytes, obs

    ingest(
        lake_at(lake_dir),
        [("r.csv", csv_bytes([obs("industry.value_added.growth", "430400", "2022-Q3", 8.5, "2023-02-01")]))],
    )
    (lake_dir / "warehouse").rename(lake_dir / "away")  # the new snapshot's files cannot be read
    served = await writable_client.get(URL)
    assert served.status_code == 200 and served.headers["x-snapshot"] == "000001"  # the old one, not a 500
    metrics = (await writable_client.get("/metrics")).text
    lag = float(re.search(r"^yardstick_snapshot_lag_seconds (\S+)$", metrics, re.M).group(1))  # type: ignore[union-attr]
    assert lag > 0 and 'yardstick_up{part="warehouse"} 0.0' in metrics
    ready = (await writable_client.get("/readyz")).json()
    assert ready["state"] == "degraded" and ready["reads"] and not ready["writes"]
    (lake_dir / "away").rename(lake_dir / "warehouse")
    assert (await writable_client.get(URL)).headers["x-snapshot"] == "000002"
    assert "yardstick_snapshot_lag_seconds 0.0" in (await writable_client.get("/metrics")).text
