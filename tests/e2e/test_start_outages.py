"""Starting while a part is down (#26): a replica whose catalog database does not answer starts degraded and
recovers by itself; an empty lake whose object store does not answer is seeded, once, when it comes back; a worker
killed outright leaves no live gauges behind. Live servers, real PostgreSQL and S3 (tests/services.py)."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests import services
from tests.e2e.test_operations import json_lines, wait_status
from tests.e2e.test_replicas import SERIES, latest, replica, shared_env, upload, yardstick


@pytest.fixture(scope="module")
def pg() -> Iterator[services.Postgres]:
    with services.postgres() as server:
        yield server


def database(pg: services.Postgres, name: str) -> str:
    with psycopg.connect(pg.url.replace("+psycopg", ""), autocommit=True) as c:
        c.execute(f"drop database if exists {name}")
        c.execute(f"create database {name}")
    return pg.url.rsplit("/", 1)[0] + f"/{name}"


def through(url: str, forwarder: services.Forwarder) -> str:
    """``url`` with its host and port replaced by the forwarder's."""
    return re.sub(r"@127\.0\.0\.1:\d+/", f"@127.0.0.1:{forwarder.port}/", url)


def serving(base: str, seconds: float = 60) -> None:
    """Every worker serves: ten reads in a row answer 200 (each worker retries on its own, a few seconds apart)."""
    deadline = time.monotonic() + seconds  # a bound for a busy machine
    streak = 0
    while streak < 10:
        with httpx.Client(timeout=10) as client:  # a new connection: any worker may answer
            got = client.get(f"{base}{SERIES}")
        streak = streak + 1 if got.status_code == 200 else 0
        assert got.status_code in (200, 503) and time.monotonic() < deadline, got.text
        time.sleep(0.1)


def test_a_replica_started_while_the_catalog_is_down_recovers_by_itself(pg: services.Postgres, tmp_path: Path) -> None:
    catalog = database(pg, "start_catalog_down")
    env = shared_env(catalog, str(tmp_path / "warehouse"))
    yardstick(tmp_path / "admin", env, "seed")
    key = yardstick(tmp_path / "admin", env, "keys", "create", "--name", "bureau", "--scope", "write").strip()
    port = int(catalog.rsplit(":", 1)[1].split("/")[0])
    door = services.Forwarder(("127.0.0.1", port))  # refuses connections: the database is down
    down_env = {**env, "YARDSTICK_CATALOG_URI": through(catalog, door), "YARDSTICK_LOG_FORMAT": "json"}
    log = tmp_path / "stderr.log"
    try:
        with replica(tmp_path, "late", down_env, workers=2, ready="/livez", stderr=log) as r:
            assert httpx.get(f"{r.base}/livez", timeout=10).status_code == 200
            ready = httpx.get(f"{r.base}/readyz", timeout=10)
            assert ready.status_code == 503 and ready.headers["retry-after"], ready.text
            state = ready.json()
            assert state["catalog"]["ok"] is False and "/start_catalog_down?" in state["catalog"]["name"]
            assert f":{door.port}/" in state["catalog"]["name"] and state["catalog"]["error"]
            assert (state["reads"], state["writes"], state["snapshot"]) == (False, False, None)
            assert "catalog" in state["detail"]
            read = httpx.get(f"{r.base}{SERIES}", timeout=10)
            assert read.status_code == 503 and read.headers["retry-after"] == "5"
            problem = read.json()
            assert problem["type"] == "/problems/catalog-unavailable" and "catalog database" in problem["detail"]
            assert upload(r.base, key, 9.9).status_code == 503
            door.open()  # the database comes back; nobody touches the replica
            assert wait_status(f"{r.base}/readyz", 200, 60).status_code == 200
            serving(r.base)
            assert latest(r.base) == 8.4
            assert upload(r.base, key, 8.6).status_code == 201
            assert latest(r.base) == 8.6
        told = [(x.get("event"), x.get("part")) for x in json_lines(log)]
        assert ("degraded", "catalog") in told and ("recovered", "catalog") in told
    finally:
        door.close()


def test_an_empty_lake_is_seeded_once_when_the_object_store_comes_back(pg: services.Postgres, tmp_path: Path) -> None:
    catalog = database(pg, "start_store_down")
    with services.s3() as s3:
        host, port = s3.endpoint.removeprefix("http://").split(":")
        door = services.Forwarder((host, int(port)))  # refuses connections: the store is down
        env = shared_env(catalog, "s3://lake/empty", {**s3.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{door.port}"})
        seeded = {**env, "YARDSTICK_LOAD_SEED": "true", "YARDSTICK_LOG_FORMAT": "json"}
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        try:
            with (
                replica(tmp_path, "a", seeded, workers=2, ready="/livez", stderr=logs[0]) as a,
                replica(tmp_path, "b", seeded, workers=2, ready="/livez", stderr=logs[1]) as b,
            ):
                deadline = time.monotonic() + 120
                while sum(starts(log) for log in logs) < 4:  # every worker gave up seeding at its start
                    assert time.monotonic() < deadline, "the workers did not start"
                    time.sleep(0.3)
                for r in (a, b):
                    ready = httpx.get(f"{r.base}/readyz", timeout=10)
                    assert ready.status_code == 503 and ready.json()["warehouse"]["ok"] is False
                door.open()  # the store comes back: the lake is seeded, by one of the four workers
                for r in (a, b):
                    deadline = time.monotonic() + 90  # a bound for a busy machine (seeding writes to S3)
                    while httpx.get(f"{r.base}/readyz", timeout=10).json().get("snapshot") != "000001":
                        assert time.monotonic() < deadline, "not seeded"
                        time.sleep(0.3)
                    assert latest(r.base) == 8.4
                time.sleep(1)  # a second seed, were there one, would have committed by now
                for r in (a, b):
                    state = httpx.get(f"{r.base}/readyz", timeout=10).json()
                    assert state["status"] == "ok" and state["snapshot"] == "000001"  # seeded once
        finally:
            door.close()


def starts(log: Path) -> int:
    """How many workers logged their start line."""
    return sum(x.get("event") == "start" for x in json_lines(log)) if log.exists() else 0


def worker_pids(folder: Path) -> set[int]:
    return {int(f.stem.rsplit("_", 1)[1]) for f in folder.glob("gauge_live*_*.db")}


def labelled_pids(base: str) -> set[int]:
    """The workers /metrics counts in its live gauges (``yardstick_frames`` keeps one series per worker)."""
    with httpx.Client(timeout=10) as client:  # a new connection: any worker may answer
        text = client.get(f"{base}/metrics").text
    return {int(p) for p in re.findall(r'^yardstick_frames\{pid="(\d+)"', text, re.M)}


def test_a_worker_killed_outright_leaves_no_live_gauges(tmp_path: Path) -> None:
    env = shared_env(f"sqlite:///{tmp_path / 'admin' / 'catalog.db'}", str(tmp_path / "warehouse"))
    yardstick(tmp_path / "admin", env, "seed")
    folder = tmp_path / "metrics"
    with replica(tmp_path, "m", {**env, "PROMETHEUS_MULTIPROC_DIR": str(folder)}, workers=2) as r:
        deadline = time.monotonic() + 60
        seen: set[int] = set()
        while len(seen) < 2:  # each worker writes its gauges when it answers /metrics
            assert time.monotonic() < deadline, f"one worker answered: {seen}"
            seen |= labelled_pids(r.base)
        victim = min(seen)
        os.kill(victim, signal.SIGKILL)  # no shutdown runs: its gauge files stay
        deadline = time.monotonic() + 60
        while not worker_pids(folder) - seen:  # uvicorn's supervisor starts another worker
            assert time.monotonic() < deadline, "no worker took its place"
            time.sleep(0.2)
        for _ in range(10):
            found = labelled_pids(r.base)
            assert victim not in found and found, found
        assert victim not in worker_pids(folder)
