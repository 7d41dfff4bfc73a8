"""Two replicas, as two machines would run them: separate data and cache folders, nothing shared but one PostgreSQL
catalog and one warehouse (a shared folder, or an S3-compatible endpoint: moto's standalone server), behind nginx.
Every service is real and started here (tests/services.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests import services
from tests.helpers import csv_bytes, obs
from tests.live import Live, live_server

VA = "industry.value_added.growth"
SERIES = f"/v1/series/{VA}/430400"


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    with services.postgres() as pg:
        yield pg.url


@pytest.fixture
def catalog(pg_server: str, request: pytest.FixtureRequest) -> str:
    """A fresh database of the shared PostgreSQL server for each test."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    with psycopg.connect(pg_server.replace("+psycopg", ""), autocommit=True) as c:
        c.execute(f"drop database if exists {name}")
        c.execute(f"create database {name}")
    return pg_server.rsplit("/", 1)[0] + f"/{name}"


def yardstick(data_dir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(data_dir), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def shared_env(catalog: str, warehouse: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "YARDSTICK_CATALOG_URI": catalog,
        "YARDSTICK_WAREHOUSE": warehouse,
        "YARDSTICK_REFRESH_SECONDS": "0.5",  # the product's default: a commit shows everywhere within it
        **(extra or {}),
    }


@contextmanager
def replica(tmp_path: Path, name: str, env: dict[str, str], workers: int = 1, **options: Any) -> Iterator[Live]:
    """A replica with its own data and cache folders (as on its own machine), named ``name``."""
    own = {**env, "YARDSTICK_CACHE_DIR": str(tmp_path / f"{name}-cache"), "YARDSTICK_REPLICA_NAME": name}
    with live_server(tmp_path / name, workers, **options, **own) as live:
        yield live


def upload(base: str, key: str, value: float, idempotency_key: str | None = None) -> httpx.Response:
    body = csv_bytes([obs(VA, "430400", "2022-Q3", value, published="2023-02-01")])
    headers = {"authorization": f"Bearer {key}", "content-type": "text/csv"}
    if idempotency_key:
        headers["idempotency-key"] = idempotency_key
    return httpx.post(f"{base}/v1/observations", content=body, headers=headers, timeout=60)


def latest(base: str) -> float:
    rows = httpx.get(f"{base}{SERIES}", timeout=10).json()["observations"]
    return float(next(r["value"] for r in rows if r["period"] == "2022-Q3"))


def wait_for(base: str, value: float, seconds: float = 10) -> float:
    """Seconds until ``base`` serves ``value`` (the bound is for a busy machine; the figure is what we report)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if latest(base) == value:
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{base} did not serve {value} within {seconds} s")


@pytest.mark.parametrize("store", ["shared-folder", "s3"])
def test_two_replicas_share_one_postgresql_catalog_and_one_warehouse(
    store: str, catalog: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with services.s3() if store == "s3" else nullcontext() as s3:
        warehouse = "s3://lake/yardstick" if s3 else str(tmp_path / "shared-warehouse")
        env = shared_env(catalog, warehouse, s3.env if s3 else None)
        yardstick(tmp_path / "admin", env, "seed")
        key = yardstick(tmp_path / "admin", env, "keys", "create", "--name", "bureau", "--scope", "write").strip()
        with (
            replica(tmp_path, "a", env) as a,
            replica(tmp_path, "b", env) as b,
            services.nginx([a.base.removeprefix("http://"), b.base.removeprefix("http://")]) as front,
        ):
            assert latest(a.base) == latest(b.base) == latest(front) == 8.4  # the article's figure, on both
            first = upload(a.base, key, 8.6, idempotency_key="revise-1")
            assert first.status_code == 201, first.text
            seen = wait_for(b.base, 8.6)
            with capsys.disabled():
                print(f"\n[{store}] a write through replica A served by replica B after {seen:.2f} s")
            # the key and the idempotency record are the catalog's: replica B knows both
            again = upload(b.base, key, 8.6, idempotency_key="revise-1")
            assert again.headers.get("idempotency-replayed") == "true" and again.json() == first.json()
            snaps = [httpx.get(f"{x}/v1/snapshots", timeout=10).json()["snapshots"][0] for x in (a.base, b.base)]
            assert snaps[0] == snaps[1] and snaps[0]["author"] == "bureau"
            # every file the snapshot lists is served whole by either replica, checked against the log's sha256
            bulk = httpx.get(f"{b.base}/v1/bulk", timeout=30).json()
            other = httpx.get(f"{a.base}/v1/bulk", timeout=30).json()
            assert (bulk["snapshot"], bulk["iceberg"]) == (other["snapshot"], other["iceberg"])
            assert [(f["name"], f["rows"], f["sha256"]) for f in bulk["files"]] == [
                (f["name"], f["rows"], f["sha256"]) for f in other["files"]
            ]  # the same bytes from either replica (whole-table files are built the same way on each)
            assert bulk["iceberg"]["warehouse"] == (warehouse if s3 else Path(warehouse).resolve().as_uri())
            detail = httpx.get(f"{b.base}/v1/snapshots/{bulk['snapshot']}", timeout=10).json()
            files = {f["path"] for f in detail["files"]}
            assert len(files) > 4  # the catalogs and one file per indicator
            if s3:  # the data lives in the bucket; each replica holds only its own cached copies
                import pyarrow.fs as pafs

                bucket = pafs.S3FileSystem(
                    access_key="testing", secret_key="testing", endpoint_override=s3.endpoint[7:], scheme="http"
                )
                stored = {
                    i.path.removeprefix("lake/yardstick/")
                    for i in bucket.get_file_info(pafs.FileSelector("lake/yardstick", recursive=True))
                }
                assert files <= stored and any(p.endswith(".metadata.json") for p in stored)
                assert all((tmp_path / "a-cache" / "warehouse" / f).exists() for f in files)
                assert not (tmp_path / "a" / "warehouse").exists()
            else:
                assert all((Path(warehouse) / f).exists() for f in files)
            # revoked anywhere, refused everywhere within the refresh interval
            yardstick(tmp_path / "admin", env, "keys", "revoke", "bureau")
            time.sleep(1.0)
            assert upload(b.base, key, 8.7).status_code == 401
            assert upload(a.base, key, 8.7).status_code == 401
        assert yardstick(tmp_path / "admin", env, "check").strip() == "ok"  # every file against its sha256


def test_a_replica_killed_under_read_load(catalog: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = shared_env(catalog, str(tmp_path / "shared-warehouse"))
    yardstick(tmp_path / "admin", env, "seed")
    key = yardstick(tmp_path / "admin", env, "keys", "create", "--name", "bureau", "--scope", "write").strip()
    with replica(tmp_path, "b", env) as b:
        a_ctx = replica(tmp_path, "a", env)
        a = a_ctx.__enter__()
        with services.nginx([a.base.removeprefix("http://"), b.base.removeprefix("http://")]) as front:
            urls = [SERIES, f"/v1/series/{VA}/430100", "/v1/regions/430400", f"/v1/compare/{VA}/430400"]
            results: list[int] = []
            killed = threading.Event()
            lock = threading.Lock()

            def client(n: int) -> None:
                with httpx.Client(base_url=front, timeout=30) as c:
                    for i in range(250):
                        try:
                            status = c.get(urls[(n + i) % len(urls)]).status_code
                        except httpx.TransportError:
                            status = 0
                        with lock:
                            results.append(status)
                            if len(results) == 400 and not killed.is_set():
                                os.killpg(a.pid, signal.SIGKILL)  # the whole replica: server and workers
                                killed.set()

            threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
            assert killed.is_set() and len(results) == 8 * 250
            failed = [s for s in results if s != 200]
            with capsys.disabled():
                print(f"\nreplica A killed under load: {len(failed)} of {len(results)} requests failed")
            # no error but the requests in flight on A at the kill: at most one per client connection
            assert len(failed) <= 8, failed
            assert httpx.get(f"{front}{SERIES}", timeout=10).status_code == 200
            # a write through B while A is down; A, restarted, catches up
            assert upload(b.base, key, 9.1).status_code == 201
        a_ctx.__exit__(None, None, None)
        with replica(tmp_path, "a", env) as a2:
            assert latest(a2.base) == 9.1 == latest(b.base)


def test_writers_on_two_replicas_never_interleave_or_lose_an_update(catalog: str, tmp_path: Path) -> None:
    """Uploads through both replicas at once: the PostgreSQL advisory lock orders them; every one commits exactly
    one snapshot, and the last snapshot holds every row."""
    env = shared_env(catalog, str(tmp_path / "shared-warehouse"))
    yardstick(tmp_path / "admin", env, "seed")
    key = yardstick(tmp_path / "admin", env, "keys", "create", "--name", "bureau", "--scope", "write").strip()
    with replica(tmp_path, "a", env) as a, replica(tmp_path, "b", env) as b:
        before = int(httpx.get(f"{a.base}/v1/snapshots", timeout=10).json()["snapshots"][0]["snapshot"])
        periods = [f"{year}-Q{q}" for year in (2019, 2020, 2021) for q in (1, 2)]
        answers: dict[str, httpx.Response] = {}

        def send(i: int, period: str) -> None:
            body = csv_bytes([obs(VA, "430400", period, 10.0 + i, published="2023-03-01")])
            base = (a, b)[i % 2].base
            headers = {"authorization": f"Bearer {key}", "content-type": "text/csv"}
            answers[period] = httpx.post(f"{base}/v1/observations", content=body, headers=headers, timeout=120)

        threads = [threading.Thread(target=send, args=(i, p)) for i, p in enumerate(periods)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert all(r.status_code == 201 for r in answers.values()), [r.text for r in answers.values()]
        committed = sorted(int(r.json()["snapshot"]) for r in answers.values())
        assert committed == list(range(before + 1, before + 1 + len(periods)))  # one each, none shared
        wait_for_snapshot = time.monotonic() + 10
        while time.monotonic() < wait_for_snapshot:
            rows = httpx.get(f"{b.base}{SERIES}", timeout=10).json()["observations"]
            got = {r["period"]: r["value"] for r in rows}
            if all(got.get(p) == 10.0 + i for i, p in enumerate(periods)):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"replica B lost an update: {got}")


def test_a_catalog_outage_keeps_reads_up_and_refuses_writes_with_503(tmp_path: Path) -> None:
    with services.postgres() as pg:
        env = shared_env(pg.url, str(tmp_path / "shared-warehouse"))
        yardstick(tmp_path / "admin", env, "seed")
        key = yardstick(tmp_path / "admin", env, "keys", "create", "--name", "bureau", "--scope", "write").strip()
        with replica(tmp_path, "a", env) as a:
            assert upload(a.base, key, 8.6).status_code == 201  # the key is known (and remembered briefly)
            wait_for(a.base, 8.6)
            pg.stop()
            time.sleep(1.5)  # past the key's freshness and the refresh interval: the replica has asked and failed
            assert latest(a.base) == 8.6  # reads go on from the open snapshot
            health = httpx.get(f"{a.base}/healthz", timeout=10).json()
            assert health["status"] == "degraded" and "catalog database does not answer" in health["notices"][-1]
            for headers in ({"authorization": f"Bearer {key}"}, {"authorization": "Bearer ys_0123456789ab_x"}):
                refused = httpx.post(
                    f"{a.base}/v1/observations", content=b"x", headers={**headers, "content-type": "text/csv"}
                )
                assert refused.status_code == 503, refused.text
                assert refused.headers["content-type"] == "application/problem+json"
                assert refused.headers["retry-after"] == "5"
            assert httpx.get(f"{a.base}/v1/snapshots", timeout=10).status_code == 503
