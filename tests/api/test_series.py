"""/v1/series/{indicator}/{region}: windows, vintages, every transform against a hand-computed series."""

from __future__ import annotations

import math

import httpx
import pytest


async def values(client: httpx.AsyncClient, url: str, **params: object) -> dict[str, float | None]:
    r = await client.get(url, params=params)
    assert r.status_code == 200, r.text
    return {o["period"]: o["value"] for o in r.json()["observations"]}


OUT = "/v1/series/test.output/430400"


async def test_latest_vintage_by_default_and_as_of(rich: httpx.AsyncClient) -> None:
    assert (await values(rich, OUT))["2022-Q3"] == 365
    assert (await values(rich, OUT, as_of="2022-12-31"))["2022-Q3"] == 363
    assert (await values(rich, OUT, as_of="2023-01-20"))["2022-Q3"] == 365
    assert "2022-Q3" not in await values(rich, OUT, as_of="2022-10-30")  # nothing known yet
    assert (await values(rich, OUT, initial="true"))["2022-Q3"] == 363
    r = await rich.get(OUT, params={"vintages": "all", "start": "2022-Q3"})
    assert [(o["value"], o["published"]) for o in r.json()["observations"]] == [
        (363, "2022-10-31"),
        (365, "2023-01-20"),
    ]


async def test_windows(rich: httpx.AsyncClient) -> None:
    assert list(await values(rich, OUT, start="2022-Q1")) == ["2022-Q1", "2022-Q2", "2022-Q3"]
    assert list(await values(rich, OUT, startPeriod="2021-Q3", endPeriod="2021-Q4")) == ["2021-Q3", "2021-Q4"]
    assert list(await values(rich, OUT, last_n=2)) == ["2022-Q2", "2022-Q3"]
    assert list(await values(rich, OUT, sort="desc", limit=2)) == ["2022-Q3", "2022-Q2"]
    assert list(await values(rich, OUT, limit=2, offset=1)) == ["2021-Q2", "2021-Q3"]
    assert list(await values(rich, OUT, mrnev=1)) == ["2022-Q3"]
    # a monthly label filters a quarterly series by dates
    assert list(await values(rich, OUT, start="2022-04", end="2022-09")) == ["2022-Q2", "2022-Q3"]


def close(a: dict[str, float | None], b: dict[str, float | None]) -> bool:
    return a.keys() == b.keys() and all(
        (x is None and y is None) or (x is not None and y is not None and math.isclose(x, y, rel_tol=1e-12))
        for x, y in ((a[k], b[k]) for k in a)
    )


Q = ["2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4", "2022-Q1", "2022-Q2", "2022-Q3"]
X = [100, 210, 330, 440, 110, 231, 365]


def hand(f: object) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for i, p in enumerate(Q):
        prev = X[i - 1] if i >= 1 else None
        year_ago = X[i - 4] if i >= 4 else None
        out[p] = f(X[i], prev, year_ago)  # type: ignore[operator]
    return out


TRANSFORMS = {
    "lin": lambda x, p, y: x,
    "chg": lambda x, p, y: None if p is None else x - p,
    "ch1": lambda x, p, y: None if y is None else x - y,
    "pch": lambda x, p, y: None if p is None else (x / p - 1) * 100,
    "pc1": lambda x, p, y: None if y is None else (x / y - 1) * 100,
    "pca": lambda x, p, y: None if p is None else ((x / p) ** 4 - 1) * 100,
    "cch": lambda x, p, y: None if p is None else (math.log(x) - math.log(p)) * 100,
    "cca": lambda x, p, y: None if p is None else (math.log(x) - math.log(p)) * 400,
    "log": lambda x, p, y: math.log(x),
}


@pytest.mark.parametrize("code", list(TRANSFORMS))
async def test_fred_transforms_match_hand_computation(rich: httpx.AsyncClient, code: str) -> None:
    got = await values(rich, OUT, units=code)
    assert close(got, hand(TRANSFORMS[code])), (code, got)


async def test_long_names_are_the_same_transforms(rich: httpx.AsyncClient) -> None:
    assert await values(rich, OUT, units="percent_change_from_year_ago") == await values(rich, OUT, units="pc1")
    assert await values(rich, OUT, units="period_values") == await values(rich, OUT, units="from_ytd")


async def test_window_is_cut_after_the_transform(rich: httpx.AsyncClient) -> None:
    got = await values(rich, OUT, units="pc1", start="2022-Q1")
    assert list(got) == ["2022-Q1", "2022-Q2", "2022-Q3"]
    assert math.isclose(got["2022-Q1"], 10.0)  # 110 / 100: the year-ago value lies outside the window


async def test_from_ytd_quarterly(rich: httpx.AsyncClient) -> None:
    got = await values(rich, OUT, units="from_ytd")
    assert got == {
        "2021-Q1": 100,
        "2021-Q2": 110,
        "2021-Q3": 120,
        "2021-Q4": 110,
        "2022-Q1": 110,
        "2022-Q2": 121,
        "2022-Q3": 134,
    }


async def test_from_ytd_monthly_with_combined_january_february(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/series/test.monthly/430400", params={"units": "from_ytd"})
    obs = {o["period"]: o for o in r.json()["observations"]}
    assert {p: o["value"] for p, o in obs.items()} == {
        "2021-01": 10,
        "2021-02": 12,
        "2021-03": 14,
        "2022-02": 25,
        "2022-03": 15,
        "2022-05": None,
    }
    assert obs["2022-02"]["period_start"] == "2022-01-01"  # covers January and February
    assert obs["2022-03"]["period_start"] == "2022-03-01"


async def test_normalize(rich: httpx.AsyncClient) -> None:
    assert await values(rich, "/v1/series/test.index/430400", units="normalize", base="2020") == {
        "2019": 50.0,
        "2020": 100.0,
        "2021": 150.0,
    }
    assert await values(rich, "/v1/series/test.index/430400", units="index") == {
        "2019": 100.0,
        "2020": 200.0,
        "2021": 300.0,
    }


@pytest.mark.parametrize(
    ("url", "units", "fragment"),
    [
        ("/v1/series/industry.value_added.growth/430400", "from_ytd", "needs a level or count"),
        ("/v1/series/test.growth/430400", "from_ytd", "needs a level or count"),
        ("/v1/series/test.index/430400", "from_ytd", "year-to-date"),
        ("/v1/series/test.growth/430400", "pc1", "percentage points"),
        ("/v1/series/industry.value_added.growth.rank/430400", "chg", "rank"),
        ("/v1/series/test.output/430400", "squared", "unknown units"),
    ],
)
async def test_meaningless_transforms_are_400(rich: httpx.AsyncClient, url: str, units: str, fragment: str) -> None:
    r = await rich.get(url, params={"units": units})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert fragment in body["detail"] and body["errors"][0]["parameter"] == "units"


async def test_updated_after(rich: httpx.AsyncClient) -> None:
    r = await rich.get(OUT, params={"vintages": "all"})
    stamps = sorted({o["recorded_at"] for o in r.json()["observations"]})
    assert len(stamps) == 2
    later = await rich.get(OUT, params={"updated_after": stamps[0], "vintages": "all"})
    assert [(o["period"], o["value"]) for o in later.json()["observations"]] == [("2022-Q3", 365)]


async def test_observation_fields(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/series/industry.value_added.growth/430000")
    (o,) = r.json()["observations"]
    assert set(o) >= {"period", "value", "status", "published", "source", "quote", "note", "period_start", "period_end"}
    assert r.json()["units"]["unit"] == "percent"


async def test_every_release_with_its_realtime_interval_as_alfred_gives_it(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/series/test.output/430400", params={"vintages": "all", "start": "2022-Q3"})
    rows = [(o["value"], o["published"], o["realtime_start"], o["realtime_end"]) for o in r.json()["observations"]]
    assert rows == [(363, "2022-10-31", "2022-10-31", "2023-01-19"), (365, "2023-01-20", "2023-01-20", "9999-12-31")]
    later = await rich.get("/v1/series/test.output/430400", params={"realtime_start": "2023-02-01"})
    q3 = [(o["period"], o["value"], o["realtime_start"]) for o in later.json()["observations"]][-2:]
    assert q3 == [("2022-Q2", 231, "2023-02-01"), ("2022-Q3", 365, "2023-02-01")]  # clipped to the range asked
    before = await rich.get("/v1/series/test.output/430400", params={"realtime_end": "2022-12-31"})
    last = before.json()["observations"][-1]
    assert (last["value"], last["realtime_end"]) == (363, "2022-12-31")
    many = await rich.get(
        "/v1/observations", params={"indicator": "test.output", "region": "430400", "realtime_start": "2023-01-01"}
    )
    assert [o["value"] for o in many.json()["observations"]][-1] == 365
    assert "realtime_end" in many.json()["observations"][0]
    assert "realtime_start" not in (await rich.get("/v1/series/test.output/430400")).json()["observations"][0]
    bad = await rich.get("/v1/series/test.output/430400", params={"realtime_start": "2023-02-01", "initial": "true"})
    assert bad.status_code == 400
    backwards = {"realtime_start": "2023-02-01", "realtime_end": "2023-01-01"}
    assert (await rich.get("/v1/series/test.output/430400", params=backwards)).status_code == 400


async def test_change_from_the_previous_observation_bridges_gaps(rich: httpx.AsyncClient) -> None:
    # MONTHLY_HY: 2021-01..03 = 10, 22, 36; 2022-02 = 25, 2022-03 = 40, 2022-05 = 70 (2022-04 missing)
    pch = await rich.get("/v1/series/test.monthly/430400", params={"units": "pch"})
    assert [o["value"] for o in pch.json()["observations"]][-1] is None  # FRED's rule: 2022-04 is missing
    prev = await rich.get("/v1/series/test.monthly/430400", params={"units": "pch_prev"})
    values = [o["value"] for o in prev.json()["observations"]]
    expected = [None, 120.0, 63.63636, -30.55556, 60.0, 75.0]  # 2022-05 against 2022-03: 70 / 40
    assert values[0] is None and values[1:] == pytest.approx(expected[1:])
    chg = await rich.get("/v1/series/test.monthly/430400", params={"units": "change_from_previous_observation"})
    assert [o["value"] for o in chg.json()["observations"]] == [None, 12, 14, -11, 15, 30]
    assert chg.json()["units"]["code"] == "chg_prev" and prev.json()["unit"]["code"] == "percent"


async def test_realtime_intervals_are_whole_across_pages_of_a_large_scan(rich: httpx.AsyncClient) -> None:
    """All indicators of a region is a DuckDB scan paged by SQL: a page's last release must still see the next."""
    params = {"region": "430400", "vintages": "all", "limit": "1000"}
    whole = (await rich.get("/v1/observations", params=params)).json()
    pages, url = [], "/v1/observations?region=430400&vintages=all&limit=2"
    while url:
        body = (await rich.get(url)).json()
        pages += body["observations"]
        url = body.get("next")
    assert pages == whole["observations"] and len(pages) == whole["total"]
    revised = [o for o in pages if o["indicator"] == "test.output" and o["period"] == "2022-Q3"]
    assert [o["realtime_end"] for o in revised] == ["2023-01-19", "9999-12-31"]
    narrowed = await rich.get("/v1/observations", params={"region": "430400", "realtime_start": "2023-01-01"})
    assert narrowed.status_code == 400 and "narrow" in narrowed.json()["detail"]


async def test_an_empty_series_names_the_regions_that_have_the_indicator(rich: httpx.AsyncClient) -> None:
    for url in ("/v1/series/test.output/430100", "/v1/series/test.output/430100?sort=asc"):  # fast lane, handler
        body = (await rich.get(url)).json()
        assert body["count"] == 0 and body["observations"] == []
        assert body["hint"] == {
            "latest_period": None,
            "regions_with_data": {
                "count": 3,
                "sample": [
                    {"code": "430000", "name": "湖南省"},
                    {"code": "430400", "name": "衡阳市"},
                    {"code": "CN", "name": "中国"},
                ],
            },
        }, url


async def test_an_empty_window_names_the_latest_period_with_data(rich: httpx.AsyncClient) -> None:
    body = (await rich.get(OUT, params={"start": "2030"})).json()
    assert body["count"] == 0 and body["hint"] == {"latest_period": "2022-Q3"}
    assert "hint" not in (await rich.get(OUT)).json()


async def test_observations_of_an_empty_period_name_the_latest_period(rich: httpx.AsyncClient) -> None:
    r = await rich.get("/v1/observations", params={"indicator": "test.growth", "period": "2099-Q3"})
    assert r.status_code == 200 and r.json()["total"] == 0
    assert r.json()["hint"] == {"latest_period": "2022-Q3"}
    r = await rich.get("/v1/observations", params={"indicator": "test.growth,test.index", "period": "2099"})
    assert r.json()["hint"] == {"latest_periods": {"test.growth": "2022-Q3", "test.index": "2021"}}
    r = await rich.get("/v1/observations", params={"indicator": "test.output", "region": "430100"})
    assert r.json()["hint"]["regions_with_data"]["count"] == 3
    r = await rich.get("/v1/observations", params={"indicator": "test.growth", "region": "430400"})
    assert r.json()["total"] == 2 and "hint" not in r.json()
