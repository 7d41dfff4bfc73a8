"""The Python client (clients/python, installed as yardstick-client) against a live server on a lake of its own:
DataFrames with the API's values and proper dtypes, ETag revalidation, a resumed and checked bulk download, an
idempotent upload, and errors raised with their problem documents."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from yardstick_client import Client, YardstickError

from service.ingest.load import ingest
from service.store.stores import lake_at
from tests.helpers import csv_bytes, obs, seeded_copy
from tests.live import live_server

VA = "industry.value_added.growth"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    lake = seeded_copy(tmp_path_factory.mktemp("client") / "lake")
    key = subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(lake), "keys", "create", "--name", "client-test"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with live_server(lake) as live:
        yield live.base, key


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """More than 1,000 indicators (a page of /v1/indicators), and a monthly one past the first page with twelve
    monthly figures for Hengyang."""
    lake = seeded_copy(tmp_path_factory.mktemp("crowded") / "lake")
    header = ["code", "name", "name_en", "unit", "kind", "frequency", "accumulation", "basis", "topic"]
    fillers = [
        [f"filler.{i:04d}", f"填充{i}", f"Filler {i}", "count", "count", "A", "period", "", "test"] for i in range(1000)
    ]
    monthly = ["zz.monthly", "月度指标", "A monthly one", "count", "count", "M", "period", "", "test"]
    rows = [obs("zz.monthly", "430400", f"2023-{m:02d}", m) for m in range(1, 13)]
    ingest(
        lake_at(lake),
        [("indicators.csv", csv_bytes([*fillers, monthly], header)), ("monthly.csv", csv_bytes(rows))],
    )
    with live_server(lake) as live:
        yield live.base


@pytest.fixture
def yc(served: tuple[str, str]) -> Iterator[Client]:
    with Client(served[0]) as client:
        yield client


def test_series_is_a_dataframe_with_periods_floats_and_categorical_status(yc: Client, served: tuple[str, str]) -> None:
    df = yc.series(VA, "430400")
    plain = httpx.get(f"{served[0]}/v1/series/{VA}/430400").json()
    assert str(df["period"].dtype) == "period[Q-DEC]" and df["value"].dtype == "float64"
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)
    assert [(p, v, s) for p, v, s in zip(df["period"], df["value"], df["status"], strict=True)] == [
        (pd.Period(o["period"], "Q"), o["value"], o["status"]) for o in plain["observations"]
    ]
    assert df.attrs["snapshot"] == plain["snapshot"] and df.attrs["region"]["name"] == "衡阳市"


def test_observations_compare_rankings_and_catalogs(yc: Client) -> None:
    long = yc.observations([VA, "industry.taxes_paid"], ["430400", "430000", "CN"])
    got = {(i, r, str(p)): v for i, r, p, v in long[["indicator", "region", "period", "value"]].itertuples(index=False)}
    assert got[(VA, "430000", "2022Q3")] == 7.4 and got[("industry.taxes_paid", "430400", "2022Q3")] == 44.5
    compare = yc.compare(VA, "430400")
    assert dict(zip(compare["region"], compare["value"], strict=True)) == {"430400": 8.4, "430000": 7.4, "CN": 3.9}
    assert list(compare["role"]) == ["region", "ancestor", "ancestor"]
    ranks = yc.rankings(VA, "430000")
    assert len(ranks) == 14 and ranks.set_index("region")["reported_rank"]["430400"] == 2
    assert "430400" in set(yc.regions()["code"]) and VA in set(yc.indicators()["code"])
    assert len(yc.snapshots()) >= 1 and len(yc.search("衡阳")) >= 1
    with Client(yc.http.base_url.__str__(), as_polars=True) as polar:
        assert isinstance(polar.series(VA, "430400"), pl.DataFrame)


def test_repeated_reads_revalidate_with_etags(yc: Client) -> None:
    statuses: list[int] = []
    yc.http.event_hooks["response"].append(lambda r: statuses.append(r.status_code))
    first, again = yc.series(VA, "430400"), yc.series(VA, "430400")
    assert statuses == [200, 304] and first.equals(again)


def test_download_resumes_a_partial_file_and_checks_its_sha256(yc: Client, tmp_path: Path) -> None:
    whole = yc.download("regions", tmp_path / "regions.parquet", progress=False)
    assert pq.read_table(whole).num_rows == 3218
    body = whole.read_bytes()
    target = tmp_path / "again.parquet"
    target.with_name("again.parquet.part").write_bytes(body[:1000])  # an interrupted download
    ranges: list[str | None] = []
    yc.http.event_hooks["request"].append(lambda r: ranges.append(r.headers.get("range")))
    seen: list[int] = []
    yc.download("regions", target, progress=lambda done, total: seen.append(done))
    assert target.read_bytes() == body and ranges[-1] == "bytes=1000-" and seen[-1] == len(body)
    target.with_name("broken.parquet.part").write_bytes(b"x" * 1000)  # a prefix that is not the file's
    with pytest.raises(YardstickError) as caught:
        yc.download("regions", tmp_path / "broken.parquet", progress=False)
    assert "sha256" in caught.value.problem["detail"] and not (tmp_path / "broken.parquet").exists()


def test_upload_is_idempotent_and_errors_carry_the_problem(served: tuple[str, str], tmp_path: Path) -> None:
    base, key = served
    file = tmp_path / "revision.csv"
    file.write_bytes(csv_bytes([obs(VA, "430400", "2022-Q3", 8.5, "2023-02-01")]))
    with Client(base, api_key=key) as writer:
        first = writer.upload(file, idempotency_key="client-test-1")
        again = writer.upload(file, idempotency_key="client-test-1")
        assert first == again and first["revised"] == 1
    with Client(base) as anonymous, pytest.raises(YardstickError) as caught:
        anonymous.upload(file)
    assert caught.value.status == 401 and caught.value.problem["status"] == 401
    with Client(base) as reader, pytest.raises(YardstickError) as caught:
        reader.series("no.such.indicator", "430400")
    assert caught.value.status == 404 and "no.such.indicator" in caught.value.problem["detail"]


def test_observations_read_each_rows_frequency_beyond_the_first_catalog_page(crowded: str) -> None:
    with Client(crowded) as yc:
        assert yc.get_json("/v1/indicators")["next"]  # zz.monthly is not on the first page
        monthly = yc.observations("zz.monthly", "430400")
        both = yc.observations(["zz.monthly", VA], "430400")
    assert str(monthly["period"].dtype) == "period[M]"
    assert list(monthly["period"]) == [pd.Period(f"2023-{m:02d}", "M") for m in range(1, 13)]
    by = {(i, str(p)) for i, p in zip(both["indicator"], both["period"], strict=True)}
    assert (VA, "2022Q3") in by and ("zz.monthly", "2023-12") in by and len(by) == 13


def test_an_empty_answer_keeps_the_columns_and_date_bounds_are_periods_ending_between(yc: Client) -> None:
    full = yc.observations(VA, "430400")
    empty = yc.observations(VA, "430400", start="2030")
    assert empty.empty and list(empty.columns) == list(full.columns)
    assert empty["value"].dtype == "float64" and isinstance(empty["status"].dtype, pd.CategoricalDtype)
    for start, end in [
        (date(2022, 7, 1), date(2022, 9, 30)),
        (pd.Timestamp("2022-09-30"), pd.Timestamp("2022-10-15")),
    ]:
        df = yc.observations(VA, "430400", start=start, end=end)
        assert [str(p) for p in df["period"]] == ["2022Q3"], (start, end)
    assert yc.observations(VA, "430400", end=date(2022, 9, 29)).empty  # 2022-Q3 ends on 30 September
    assert yc.observations(VA, "430400", start=pd.Timestamp("2022-10-01")).empty
    assert len(yc.series(VA, "430400", start=date(2022, 1, 1), end=pd.Timestamp("2022-12-31"))) == 1
