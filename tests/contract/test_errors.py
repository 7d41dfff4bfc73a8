"""Malformed requests: each answered 4xx application/problem+json naming what was wrong; none answers 500."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.api import create_app
from service.config import Settings

VA = "industry.value_added.growth"
CASES = [
    (f"/v1/series/{VA}/999999", 404, "region"),
    ("/v1/series/no.such/430400", 404, "indicator"),
    (f"/v1/series/{VA}/430400?start=2022-13", 400, "start"),
    (f"/v1/series/{VA}/430400?start=2022-Q5", 400, "start"),
    (f"/v1/series/{VA}/430400?start=2023&end=2022", 400, "start"),
    (f"/v1/series/{VA}/430400?as_of=yesterday", 400, "as_of"),
    (f"/v1/series/{VA}/430400?as_of=2022-02-30", 400, "as_of"),
    (f"/v1/series/{VA}/430400?limit=0", 400, "limit"),
    (f"/v1/series/{VA}/430400?limit=100001", 400, "limit"),
    (f"/v1/series/{VA}/430400?limit=50000", 400, "limit"),  # above YARDSTICK_MAX_LIMIT
    (f"/v1/series/{VA}/430400?offset=-1", 400, "offset"),
    (f"/v1/series/{VA}/430400?sort=sideways", 400, "sort"),
    (f"/v1/series/{VA}/430400?vintages=some", 400, "vintages"),
    (f"/v1/series/{VA}/430400?vintages=all&initial=true", 400, "initial"),
    (f"/v1/series/{VA}/430400?units=pch", 400, "units"),
    (f"/v1/series/{VA}/430400?format=xml", 400, "format"),
    (f"/v1/series/{VA}/430400?updated_after=notatime", 400, "updated_after"),
    (f"/v1/series/{VA}/430400?last_n=abc", 400, "last_n"),
    (f"/v1/compare/{VA}/430400?period=2022-08", 400, "period"),
    (f"/v1/compare/{VA}/430400?period=2022-Q3&start=2022-Q1", 400, "period"),
    (f"/v1/compare/{VA}/nowhere", 404, "region"),
    (f"/v1/rankings/{VA}?parent=430000&order=up", 400, "order"),
    (f"/v1/rankings/{VA}?parent=430000&period=garbage", 400, "period"),
    (f"/v1/rankings/{VA}?parent=430400&level=province", 400, "level"),
    ("/v1/observations?units=pc1", 400, "indicator"),
    ("/v1/observations?align_periods=true", 400, "indicator"),
    (f"/v1/observations?indicator={VA}&units=pch", 400, "units"),
    ("/v1/observations?indicator=nope&region=430400", 404, "indicator"),
    (f"/v1/observations?indicator={VA}&region=430400&cursor=%%%", 400, "cursor"),
    (f"/v1/observations?indicator={VA}&region=430400&period=2022-Q3&start=2022-Q1", 400, "period"),
    ("/v1/regions?level=planet", 400, "level"),
    ("/v1/regions?parent=nowhere", 404, "parent"),
    ("/v1/search", 400, "q"),
    ("/v1/search?q=" + "x" * 201, 400, "q"),
    (f"/v1/series/{VA}/430400?start=%27%3B%20drop%20table%20observations%3B--", 400, "start"),
    ("/v1/series/..%2F..%2Fetc/passwd", 404, None),
    ("/v1/nothing-here", 404, None),
]


@pytest.mark.parametrize(("url", "status", "parameter"), CASES, ids=[c[0][:70] for c in CASES])
async def test_malformed_requests(client: httpx.AsyncClient, url: str, status: int, parameter: str | None) -> None:
    r = await client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    if parameter is not None:
        assert parameter in {e.get("parameter") for e in body["errors"]}, body


async def test_unsupported_method_is_405_problem(client: httpx.AsyncClient) -> None:
    r = await client.delete("/v1/regions")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"


async def test_every_route_answers_bad_input_with_a_problem(client: httpx.AsyncClient, tmp_path: Path) -> None:
    app = create_app(Settings(load_seed=False, data_dir=tmp_path))
    for route in app.routes:
        path = getattr(route, "path", "")
        if not path.startswith("/v1/"):
            continue
        url = (
            path.replace("{indicator}", "no.such.indicator")
            .replace("{region}", "000000")
            .replace("{source}", "no-source")
            + "?format=bogus&limit=-5&period=2022-Q9"
        )
        r = await client.get(url)
        assert 400 <= r.status_code < 500, (path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json", path
