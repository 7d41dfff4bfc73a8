"""Answers assembled from prepared bytes are the ordinary encoders' bytes: random series of the seeded lake and of
random lakes, every window form (none, start, end, start+end, last_n, combined), in JSON and CSV; and the server
answers from them (series handler, fast lane, /v1/observations for one series)."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api import create_app
from service.api.series import observations_payload, prepared_observations, prepared_series, series_payload
from service.config import Settings
from service.formats import CSV, JSON, JSONSTAT, Payload, encode, prepared
from service.model.schema import OBSERVATIONS
from service.query import transforms
from service.query.series import ObservationsQuery, SeriesQuery, Vintage, Window, cut, frame_run, latest_run
from service.query.series import observations as query_observations
from service.query.series import series as query_series
from service.store import frames, vintage
from service.store.snapshot import Snapshot, Store
from tests.helpers import seeded_copy

DAY = date(2018, 1, 1)
YEARS = (date(2000, 1, 1), date(2031, 12, 31))  # the random lakes' period ends
WINDOWS = ("none", "start", "end", "start+end", "last_n", "combined")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("prepared")
    seeded_copy(root / "lake")
    s = Settings(data_dir=root / "lake", load_seed=False, cache_dir=root / "cache", memory_mb=0)
    return Store(s, prepare=prepared.fragments)


def window(form: str, a: date, b: date, n: int) -> Window:
    lo, hi = min(a, b), max(a, b)
    start = lo if form in ("start", "start+end", "combined") else None
    end = hi if form in ("end", "start+end", "combined") else None
    return Window(start=start, end=end, last_n=n if form in ("last_n", "combined") else None)


def dates(lo: date, hi: date) -> st.SearchStrategy[date]:
    return st.dates(lo - timedelta(days=400), hi + timedelta(days=400))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), form=st.sampled_from(WINDOWS), fmt=st.sampled_from([JSON, CSV]))
def test_seeded_series_in_every_window_are_the_encoders_bytes(store: Store, data: Any, form: str, fmt: Any) -> None:
    snap = store.snapshot()
    code = data.draw(st.sampled_from(sorted(snap.manifest.partitions())))
    frame = snap.frame(code)
    region = data.draw(st.sampled_from(sorted(frame.index)))
    a, b = data.draw(dates(date(1990, 1, 1), date(2026, 1, 1))), data.draw(dates(DAY, date(2026, 1, 1)))
    q = SeriesQuery(window=window(form, a, b, data.draw(st.integers(1, 60))))
    indicator, where = snap.indicators[code], snap.regions[region]
    fast = prepared_series(snap, indicator, where, q, fmt)
    table = query_series(snap, indicator, region, q)
    if table.num_rows == 0:  # an empty answer carries a hint: the handler's path gives it
        assert fast is None
        return
    assert fast is not None  # answered from the prepared bytes
    assert fast == encode(series_payload(snap, indicator, where, transforms.TRANSFORMS["lin"], table), fmt)


def test_other_parameters_keep_the_handlers_path(store: Store) -> None:
    snap = store.snapshot()
    code = sorted(snap.manifest.partitions())[0]
    region = next(iter(snap.frame(code).index))
    assert latest_run(snap, code, region, SeriesQuery()) is not None
    for q in (
        SeriesQuery(window=Window(sort="desc")),
        SeriesQuery(window=Window(limit=3)),
        SeriesQuery(window=Window(offset=1)),
        SeriesQuery(window=Window(mrnev=2)),
        SeriesQuery(units=transforms.TRANSFORMS["pc1"]),
        SeriesQuery(vintage=Vintage(as_of=DAY)),
        SeriesQuery(vintage=Vintage(all=True)),
    ):
        assert latest_run(snap, code, region, q) is None, q
    indicator, where = snap.indicators[code], snap.regions[region]
    assert prepared_series(snap, indicator, where, SeriesQuery(), CSV, bom=True) is None
    assert prepared_series(snap, indicator, where, SeriesQuery(), JSONSTAT) is None


# ---- random lakes ------------------------------------------------------------------------------------------------

TEXT = st.lists(st.sampled_from([*'ab ,"\n\r\t=+-@é中\\{}:', '{"period":', "\x00", "\U0001f600"]), max_size=8).map(
    "".join
)


@st.composite
def histories(draw: Any) -> pa.Table:
    """One indicator's rows: a few regions, periods with one to three releases, values with nulls and awkward text."""
    rows: list[dict[str, Any]] = []
    recorded = datetime(2024, 1, 1, tzinfo=UTC)
    for region in sorted(draw(st.sets(st.sampled_from(["A", "B", "C1", "D-2"]), min_size=1, max_size=3))):
        for year in sorted(draw(st.sets(st.integers(2000, 2030), max_size=8))):
            end = date(year, 12, 31)
            releases = sorted(draw(st.sets(st.integers(0, 900), min_size=1, max_size=3)))
            for r in releases:
                value = draw(st.one_of(st.none(), st.floats(width=64), st.integers(-(10**6), 10**6)))
                rows.append(
                    {
                        "indicator": "x.y",
                        "region": region,
                        "period": str(year),
                        "period_start": date(year, 1, 1),
                        "period_end": end,
                        "value": None if value is None else float(value),
                        "status": draw(st.sampled_from("APED")),
                        "published": end + timedelta(days=r),
                        "source": draw(st.one_of(st.none(), TEXT)),
                        "quote": draw(st.one_of(st.none(), TEXT)),
                        "note": draw(st.one_of(st.none(), TEXT)),
                        "recorded_at": recorded + timedelta(seconds=draw(st.integers(0, 10**8))),
                    }
                )
    return pa.Table.from_pylist(rows, schema=OBSERVATIONS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=histories(), data=st.data())
def test_random_lakes_in_every_window_are_the_encoders_bytes(tmp_path: Path, table: pa.Table, data: Any) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    pq.write_table(table, folder / "part.parquet")
    frame = frames.load(str(folder / "part.parquet"), folder / "frames", prepared.fragments)
    assert frame.latest is not None or table.num_rows == 0
    doc = {"snapshot": "000001", "count": 0}
    for region in frame.index:
        rows = vintage.pick(frame.rows(region), None)
        for form in WINDOWS:
            w = window(
                form, data.draw(dates(YEARS[0], YEARS[1])), data.draw(dates(*YEARS)), data.draw(st.integers(1, 12))
            )
            run = frame_run(frame, region, w)
            assert run is not None
            want = cut(rows, w)
            assert run.count == want.num_rows
            got_json = prepared.json_document({**doc, "count": run.count}, "observations", run.span("json"))
            assert got_json == encode(Payload(want, {**doc, "count": want.num_rows}, "observations"), JSON)
            assert prepared.csv_table(frame.table.schema, run.span("csv")) == encode(Payload(want), CSV)
            long = want.add_column(0, "region", pa.array([region] * want.num_rows, pa.string()))
            long = long.add_column(0, "indicator", pa.array(["x.y"] * want.num_rows, pa.string()))
            prefix = '"indicator":"x.y","region":' + orjson.dumps(region).decode() + ","  # /v1/observations' rows
            keyed = prepared.keyed_rows(run.strings("json"), prefix)
            got_long = prepared.json_document(doc, "observations", keyed)
            assert got_long == encode(Payload(long, doc, "observations"), JSON)


# ---- through the server ------------------------------------------------------------------------------------------


async def test_the_server_answers_from_prepared_bytes(tmp_path: Path) -> None:
    seeded_copy(tmp_path / "lake")
    app = create_app(Settings(data_dir=tmp_path / "lake", load_seed=False, cache_dir=tmp_path / "cache", cache_mb=0))
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as c,
    ):
        snap: Snapshot = app.state.store.snapshot()
        code = sorted(snap.manifest.partitions())[0]
        region = max(snap.frame(code).index, key=lambda r: snap.frame(code).counts[snap.frame(code).index[r]])
        assert latest_run(snap, code, region, SeriesQuery()) is not None
        assert all(
            "_json" in pa.ipc.open_file(str(f)).schema.names for f in (tmp_path / "cache" / "frames").glob("*.arrow")
        )
        indicator, where = snap.indicators[code], snap.regions[region]
        old = series_payload(
            snap, indicator, where, transforms.TRANSFORMS["lin"], query_series(snap, indicator, region, SeriesQuery())
        )
        r = await c.get(f"/v1/series/{code}/{region}")  # the fast lane
        assert r.status_code == 200 and r.content == encode(old, JSON)
        r = await c.get(f"/v1/series/{code}/{region}", params={"format": "csv"})  # the handler
        assert r.status_code == 200 and r.content == encode(old, CSV)
        assert f'filename="{code}-{region}.csv"' in r.headers["content-disposition"]
        r = await c.get(f"/v1/series/{code}/{region}", params={"last_n": 2, "format": "json"})
        assert (
            r.json()["count"] == min(2, old.table.num_rows) and r.json()["observations"] == r.json()["observations"][:2]
        )
        table, total = query_observations(snap, ObservationsQuery([code], [region]), 0)
        want = encode(observations_payload(snap, table, total, None, ObservationsQuery([code], [region])), JSON)
        run = latest_run(snap, code, region, SeriesQuery())
        assert run is not None and prepared_observations(snap, code, region, run) == want
        r = await c.get("/v1/observations", params={"indicator": code, "region": region})  # its fast lane
        assert r.status_code == 200 and r.content == want
