"""Bulk Parquet over HTTP read by the clients people use (pandas, polars, pyarrow + fsspec, DuckDB httpfs, curl),
against the real server on 127.0.0.1 and a store of two million generated rows in many row groups. Each client gets
exactly the rows the JSON API returns; ranged readers fetch a fraction of the file."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import duckdb
import fsspec
import httpx
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from bench.generate import county_codes, write_inputs
from service.ingest.load import ingest, ingest_paths
from service.store.stores import lake_at
from tests.e2e.test_serve import free_port
from tests.helpers import seeded_copy

pytestmark = pytest.mark.slow
IND, REGION = "synthetic.i007", county_codes(200)[42]
LAKES: dict[str, Path] = {}


@pytest.fixture(scope="module")
def server(seeded_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("bulk")
    lake = root / "lake"
    seeded_copy(lake)
    ingest_paths(lake_at(lake), write_inputs(root / "in", indicators=40, regions=200, months=250))  # 2,000,000 rows
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "--data-dir", str(lake), "serve", "--port", str(port)],
        env={**os.environ, "YARDSTICK_LOAD_SEED": "false"},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    LAKES[base] = lake
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        httpx.get(f"{base}/v1/bulk", timeout=120).raise_for_status()  # builds the whole-table file once
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def bulk_url(base: str, name: str = "observations") -> str:
    """The file's URL: the manifest's links are relative (no YARDSTICK_PUBLIC_URL here), so join them to the base."""
    files = {f["name"]: f for f in httpx.get(f"{base}/v1/bulk").json()["files"]}
    return urljoin(base, str(files[name]["url"]))


def expected(base: str, indicator: str = IND, region: str = REGION) -> list[tuple[str, float]]:
    obs = httpx.get(f"{base}/v1/series/{indicator}/{region}").json()["observations"]
    assert len(obs) == 250
    return [(o["period"], o["value"]) for o in obs]


def bulk_bytes(base: str) -> float:
    text = httpx.get(f"{base}/metrics").text
    m = re.search(r'yardstick_response_bytes_total\{route="/v1/bulk"\} ([0-9.e+]+)', text)
    return float(m.group(1)) if m else 0.0


def rows_of(df: pd.DataFrame) -> list[tuple[str, float]]:
    df = df[(df["indicator"] == IND) & (df["region"] == REGION)].sort_values("period_end")
    return list(zip(df["period"], df["value"], strict=True))


def test_manifest_and_datapackage(server: str) -> None:
    m = httpx.get(f"{server}/v1/bulk").json()
    names = {f["name"] for f in m["files"]}
    assert {"observations", "regions", "indicators", "sources", f"observations/{IND}"} <= names
    whole = next(f for f in m["files"] if f["name"] == "observations")
    assert whole["rows"] == 2_000_055 and len(whole["sha256"]) == 64
    assert [c["name"] for c in whole["schema"]][:3] == ["indicator", "region", "period"]
    dp = httpx.get(f"{server}/v1/bulk/datapackage.json").json()
    assert dp["profile"] == "data-package" and dp["resources"][0]["hash"] == f"sha256:{whole['sha256']}"
    assert urljoin(f"{server}/v1/bulk/datapackage.json", dp["resources"][0]["path"]) == urljoin(server, whole["url"])
    meta = pq.ParquetFile(fsspec.filesystem("http").open(urljoin(server, whole["url"]))).metadata
    assert meta.num_row_groups >= 40 and meta.metadata[b"yardstick.snapshot"] == m["snapshot"].encode()
    assert b"hyrb-2022-q3-industry" in meta.metadata[b"yardstick.sources"]


def test_pandas_reads_the_bulk_file(server: str) -> None:
    df = pd.read_parquet(bulk_url(server))
    assert len(df) == httpx.get(f"{server}/healthz").json()["counts"]["observations"]
    assert rows_of(df) == expected(server)


def test_polars_read_and_scan_with_a_filter(server: str) -> None:
    url = bulk_url(server)
    assert rows_of(pl.read_parquet(url).to_pandas()) == expected(server)
    scanned = (
        pl.scan_parquet(url)
        .filter((pl.col("indicator") == IND) & (pl.col("region") == REGION))
        .sort("period_end")
        .collect()
    )
    assert list(zip(scanned["period"], scanned["value"], strict=True)) == expected(server)


def test_pyarrow_over_fsspec_reads_only_some_row_groups(server: str) -> None:
    url = bulk_url(server)
    size = int(httpx.head(url).headers["content-length"])
    before = bulk_bytes(server)
    with fsspec.filesystem("http").open(url, block_size=256 * 1024) as f:
        pf = pq.ParquetFile(f)
        group = pf.read_row_group(pf.metadata.num_row_groups // 2, columns=["indicator", "region", "value"])
    transferred = bulk_bytes(server) - before
    assert group.num_rows > 0
    assert transferred < size * 0.25, (transferred, size)  # ranges, not a full download


def test_duckdb_httpfs_filtered_query_transfers_a_fraction(server: str) -> None:
    import duckdb_extension_httpfs

    ext = next(Path(duckdb_extension_httpfs.__file__).parent.glob("extensions/*/httpfs.duckdb_extension"))
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    con.execute(f"load '{ext}'")
    url = bulk_url(server)
    size = int(httpx.head(url).headers["content-length"])
    before = bulk_bytes(server)
    rows = con.execute(
        "select period, value from read_parquet($url) where indicator = $i and region = $r order by period_end",
        {"url": url, "i": IND, "r": REGION},
    ).fetchall()
    transferred = bulk_bytes(server) - before
    assert rows == expected(server)
    assert transferred < size * 0.5, (transferred, size)


def test_filtered_exports_read_back_equal_the_json(server: str) -> None:
    other = county_codes(200)[7]
    url = f"{server}/v1/observations?indicator={IND}&region={REGION},{other}"
    json_rows = []
    nxt: str | None = url + "&limit=200"
    while nxt:
        page = httpx.get(nxt).json()
        json_rows += [(r["region"], r["period"], r["value"]) for r in page["observations"]]
        nxt = urljoin(server, page["next"]) if page["next"] else None
    assert len(json_rows) == 500
    df = pd.read_parquet(url + "&format=parquet")
    assert list(zip(df["region"], df["period"], df["value"], strict=True)) == json_rows
    polars_df = pl.read_parquet(url + "&format=parquet")
    assert list(zip(polars_df["region"], polars_df["period"], polars_df["value"], strict=True)) == json_rows
    csv_df = pd.read_csv(url + "&format=csv", dtype={"region": str})
    assert list(zip(csv_df["region"], csv_df["period"], csv_df["value"], strict=True)) == json_rows


def test_curl_ranges_and_revalidation(server: str, tmp_path: Path) -> None:
    url = bulk_url(server, f"observations/{IND}")
    head = subprocess.run(["curl", "-sI", url], capture_output=True, text=True, check=True).stdout.lower()
    assert "accept-ranges: bytes" in head and 'etag: "' in head and "last-modified:" in head
    assert "content-range" not in head and "content-length:" in head
    size = int(re.search(r"content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    first = subprocess.run(
        ["curl", "-s", "-r", "0-99", "-D", "-", "-o", str(tmp_path / "a"), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    assert " 206" in first.splitlines()[0] and f"content-range: bytes 0-99/{size}" in first
    assert (tmp_path / "a").read_bytes()[:4] == b"PAR1" and (tmp_path / "a").stat().st_size == 100
    tail = subprocess.run(["curl", "-s", "-r", "-8", url], capture_output=True, check=True).stdout
    assert len(tail) == 8 and tail.endswith(b"PAR1")
    rest = subprocess.run(["curl", "-s", "-r", f"{size - 10}-", url], capture_output=True, check=True).stdout
    assert len(rest) == 10
    whole = tmp_path / "whole.parquet"
    subprocess.run(["curl", "-s", "-R", "-o", str(whole), url], check=True)
    assert whole.stat().st_size == size and pq.read_table(whole).num_rows == 50_000
    code = subprocess.run(
        ["curl", "-s", "-z", str(whole), "-o", "/dev/null", "-w", "%{http_code}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert code == "304"
    etag = re.search(r'etag: (".*?")', head).group(1)  # type: ignore[union-attr]
    assert httpx.get(url, headers={"if-none-match": etag}).status_code == 304
    stale = httpx.get(url, headers={"range": "bytes=0-9", "if-range": '"stale"'})
    assert stale.status_code == 200 and len(stale.content) == size and "content-range" not in stale.headers
    multi = httpx.get(url, headers={"range": "bytes=0-9,20-29"})
    assert multi.status_code == 206 and multi.headers["content-type"].startswith("multipart/byteranges")
    bad = httpx.get(url, headers={"range": f"bytes={size + 5}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{size}"
    assert bad.headers["content-type"] == "application/problem+json"


def test_latest_redirects_and_paths_are_confined(server: str) -> None:
    r = httpx.get(f"{server}/v1/bulk/latest/observations.parquet")
    assert r.status_code == 302 and re.fullmatch(r"/v1/bulk/\d{6}/observations\.parquet", r.headers["location"])
    assert pd.read_parquet(f"{server}/v1/bulk/latest/regions.parquet").shape[0] == 3218
    for path in [
        "/v1/bulk/000001/..%2F..%2FCURRENT.parquet",
        "/v1/bulk/000001/%2Fetc%2Fpasswd.parquet",
        "/v1/bulk/../../CURRENT",
        "/v1/bulk/999999/observations.parquet",
        "/v1/bulk/x/regions.parquet",
        "/v1/bulk/000002/observations/..%2F..%2Fregions.parquet",
    ]:
        assert httpx.get(server + path).status_code == 404, path


def test_duckdb_reads_a_filtered_export_with_ranges(server: str) -> None:
    import duckdb_extension_httpfs

    ext = next(Path(duckdb_extension_httpfs.__file__).parent.glob("extensions/*/httpfs.duckdb_extension"))
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    con.execute(f"load '{ext}'")
    url = f"{server}/v1/observations?indicator={IND}&format=parquet"
    head = httpx.head(url)
    assert head.status_code == 200 and head.headers["accept-ranges"] == "bytes"
    tail = httpx.get(url, headers={"range": "bytes=-4"})
    assert tail.status_code == 206 and tail.content == b"PAR1" and tail.headers["etag"] == head.headers["etag"]
    rows = con.execute(
        "select period, value from read_parquet($url) where region = $r order by period_end", {"url": url, "r": REGION}
    ).fetchall()
    assert rows == expected(server)


def test_a_download_spanning_a_commit_finishes_on_its_bytes(server: str) -> None:
    entry = next(f for f in httpx.get(f"{server}/v1/bulk").json()["files"] if f["name"] == "observations")
    digest = hashlib.sha256()
    url = urljoin(server, entry["url"])
    with httpx.stream("GET", url) as r:
        chunks = r.iter_raw(64 * 1024)
        digest.update(next(chunks))
        rev = "indicator,region,period,value,published\nindustry.value_added.growth,430400,2022-Q3,8.5,2023-02-01\n"
        ingest(lake_at(LAKES[server]), [("rev.csv", rev.encode())])  # a new snapshot while the download runs
        time.sleep(0.6)  # the server has moved to it
        assert httpx.get(f"{server}/healthz").json()["snapshot"] != entry["snapshot"]
        for chunk in chunks:
            digest.update(chunk)
    assert digest.hexdigest() == entry["sha256"]
    assert httpx.get(url, headers={"range": "bytes=0-3"}).content == b"PAR1"  # still served
