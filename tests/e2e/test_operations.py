"""Operating Yardstick for real (#26): health (/livez, /readyz, /healthz), a replica that starts while the object
store is down, metrics summed over workers and replicas, JSON logs, and one rate-limit budget enforced by nginx.
Live servers and real services (tests/services.py)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest

from tests import services
from tests.e2e.test_replicas import SERIES, latest, replica, shared_env, upload, yardstick
from tests.live import live_server

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    with services.postgres() as pg:
        yield pg.url


@pytest.fixture
def catalog(pg_server: str, request: pytest.FixtureRequest) -> str:
    name = "o_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    with psycopg.connect(pg_server.replace("+psycopg", ""), autocommit=True) as c:
        c.execute(f"drop database if exists {name}")
        c.execute(f"create database {name}")
    return pg_server.rsplit("/", 1)[0] + f"/{name}"


def json_lines(path: Path) -> list[dict[str, object]]:
    """Every line the server wrote to stderr, each one JSON object (a line that is not fails the test)."""
    return [orjson.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_status(url: str, status: int, seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds  # a bound for a busy machine
    while True:
        got = httpx.get(url, timeout=10)
        if got.status_code == status or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_health_request_ids_and_json_logs(tmp_path: Path) -> None:
    env = shared_env(f"sqlite:///{tmp_path / 'admin' / 'catalog.db'}", str(tmp_path / "warehouse"))
    yardstick(tmp_path / "admin", env, "seed")
    key = yardstick(tmp_path / "admin", env, "keys", "create", "--name", "bureau", "--scope", "write").strip()
    log = tmp_path / "stderr.log"
    with replica(tmp_path, "alpha", {**env, "YARDSTICK_LOG_FORMAT": "json"}, stderr=log) as a:
        live = httpx.get(f"{a.base}/livez", timeout=10)
        assert live.status_code == 200 and live.headers["x-yardstick-replica"] == "alpha"
        ready = httpx.get(f"{a.base}/readyz", timeout=10)
        body = ready.json()
        assert ready.status_code == 200 and body["status"] == body["state"] == "ok" and body["reads"] and body["writes"]
        assert body["catalog"] == {"name": f"sqlite:///{tmp_path / 'admin' / 'catalog.db'}", "ok": True}
        assert body["warehouse"] == {"name": (tmp_path / "warehouse").resolve().as_uri(), "ok": True}
        traced = httpx.get(f"{a.base}/v1/regions/430400", headers={"x-request-id": "trace-42"}, timeout=10)
        assert traced.headers["x-request-id"] == "trace-42" and traced.headers["x-yardstick-replica"] == "alpha"
        odd = httpx.get(f"{a.base}/v1/regions/430400", headers={"x-request-id": "a b <script>"}, timeout=10)
        assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])  # not echoed: a fresh one
        assert httpx.get(f"{a.base}/v1/nowhere", timeout=10).headers["x-request-id"]  # errors carry one too
        written = upload(a.base, key, 8.6)
        assert written.status_code == 201, written.text
        assert latest(a.base) == 8.6

        # the warehouse goes away: /readyz says so (503, what still works), /healthz no longer says ok
        moved = tmp_path / "warehouse-away"
        (tmp_path / "warehouse").rename(moved)
        down = wait_status(f"{a.base}/readyz", 503, 10)
        assert down.status_code == 503 and down.headers["content-type"] == "application/problem+json"
        state = down.json()
        assert (state["status"], state["state"]) == (503, "degraded")  # a problem document: status is the HTTP one
        assert state["warehouse"]["ok"] is False and state["catalog"]["ok"]
        assert (state["reads"], state["writes"]) == (True, False)
        health = httpx.get(f"{a.base}/healthz", timeout=10).json()
        assert health["status"] == "degraded" and "warehouse does not answer" in health["notices"][-1]
        assert latest(a.base) == 8.6  # reads go on
        moved.rename(tmp_path / "warehouse")
        assert wait_status(f"{a.base}/readyz", 200, 10).status_code == 200
    lines = json_lines(log)  # every line is JSON
    start = next(x for x in lines if x.get("event") == "start")
    assert start["catalog"] == body["catalog"]["name"] and start["warehouse"] == body["warehouse"]["name"]
    assert start["snapshot"] == "000001" and start["replica"] == "alpha"
    requests = [x for x in lines if x["logger"] == "yardstick.request"]
    trace = next(x for x in requests if x.get("request_id") == "trace-42")
    assert trace["route"] == "/v1/regions/{region}" and trace["status"] == 200 and trace["snapshot"] == "000001"
    assert isinstance(trace["duration_ms"], float)
    post = next(x for x in requests if x["route"] == "/v1/observations")
    assert post["status"] == 201 and post["key"] and post["key"] in key  # the key's id, never the key
    assert key not in log.read_text()
    told = [(x["event"], x.get("part")) for x in lines if x.get("event") in ("degraded", "recovered")]
    assert told == [("degraded", "warehouse"), ("recovered", "warehouse")]  # once each, when they happened
    commit = next(x for x in lines if x.get("event") == "commit")
    assert commit["snapshot"] == written.json()["snapshot"] and commit["rows"] >= 1 and commit["bytes"] > 0


def test_a_replica_started_while_the_object_store_is_down_recovers_by_itself(catalog: str, tmp_path: Path) -> None:
    with services.s3() as s3:
        env = shared_env(catalog, "s3://lake/yardstick", s3.env)
        yardstick(tmp_path / "admin", env, "seed")
        key = yardstick(tmp_path / "admin", env, "keys", "create", "--name", "bureau", "--scope", "write").strip()
        host, port = s3.endpoint.removeprefix("http://").split(":")
        endpoint = services.Forwarder((host, int(port)))  # refuses connections: the store is down
        down_env = {**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{endpoint.port}", "YARDSTICK_LOG_FORMAT": "json"}
        log = tmp_path / "stderr.log"
        try:
            with replica(tmp_path, "late", down_env, workers=2, ready="/livez", stderr=log) as r:
                ready = httpx.get(f"{r.base}/readyz", timeout=10)
                assert ready.status_code == 503, ready.text
                state = ready.json()
                assert state["warehouse"]["ok"] is False and state["warehouse"]["name"] == "s3://lake/yardstick"
                assert state["catalog"]["ok"] is True and (state["reads"], state["writes"]) == (False, False)
                read = httpx.get(f"{r.base}{SERIES}", timeout=10)
                assert read.status_code == 503 and read.headers["retry-after"] == "5"
                refused = upload(r.base, key, 9.9)
                assert refused.status_code == 503 and refused.headers["retry-after"]
                endpoint.open()  # the store comes back; nobody touches the replica
                assert wait_status(f"{r.base}/readyz", 200, 60).status_code == 200
                assert latest(r.base) == 8.4
                assert upload(r.base, key, 8.6).status_code == 201
                assert latest(r.base) == 8.6
            events = [x.get("event") for x in json_lines(log)]
            assert "degraded" in events and "recovered" in events
            endpoint.close()  # down again; the replica restarts with what it has cached: it serves reads
            with replica(tmp_path, "late", down_env, workers=2, ready="/livez", stderr=log) as r:
                state = httpx.get(f"{r.base}/readyz", timeout=10).json()
                assert state["warehouse"]["ok"] is False and (state["reads"], state["writes"]) == (True, False)
                assert latest(r.base) == 8.6
                assert upload(r.base, key, 8.7).status_code == 503
        finally:
            endpoint.close()


def scrape_total(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return sum(float(v) for v in re.findall(r"^yardstick_requests_total\{[^}]*\} (\S+)$", text, re.M))


def test_metrics_are_summed_over_two_workers_of_each_of_two_replicas(catalog: str, tmp_path: Path) -> None:
    env = shared_env(catalog, str(tmp_path / "shared-warehouse"))
    yardstick(tmp_path / "admin", env, "seed")
    key = yardstick(tmp_path / "admin", env, "keys", "create", "--name", "bureau", "--scope", "write").strip()
    with (
        replica(tmp_path, "a", env, workers=2) as a,
        replica(tmp_path, "b", env, workers=2) as b,
        services.nginx([a.base.removeprefix("http://"), b.base.removeprefix("http://")]) as front,
    ):
        before = scrape_total(a.base) + scrape_total(b.base)
        sent = 0
        replicas = set()
        with httpx.Client(base_url=front, timeout=30) as client:
            for i in range(80):
                got = client.get(SERIES if i % 2 else "/v1/regions/430400", headers={"x-request-id": f"n-{i}"})
                assert got.status_code == 200 and got.headers["x-request-id"] == f"n-{i}"  # through nginx
                replicas.add(got.headers["x-yardstick-replica"])
                sent += 1
        assert upload(front, key, 8.6).status_code == 201
        sent += 1
        assert replicas == {"a", "b"}  # nginx spread them
        time.sleep(0.5)  # a request is counted just after its last byte
        after = scrape_total(a.base) + scrape_total(b.base)
        assert after - before == sent + 2  # the two scrapes before are counted too, once each
        text = httpx.get(f"{a.base}/metrics", timeout=10).text + httpx.get(f"{b.base}/metrics", timeout=10).text
        commits = re.findall(r"^yardstick_commits_total (\S+)$", text, re.M)
        assert sorted(float(c) for c in commits) == [0.0, 1.0]  # one commit, on the replica that took it
        assert re.search(r"^yardstick_commit_rows_total [1-9]", text, re.M)
        assert re.search(r"^yardstick_writer_lock_wait_seconds_count [1-9]", text, re.M)


def test_nginx_enforces_one_rate_limit_budget_over_two_workers(tmp_path: Path) -> None:
    shipped = (DEPLOY / "nginx-ratelimit.conf").read_text()
    rate = int(re.search(r"rate=(\d+)r/s", shipped).group(1))  # type: ignore[union-attr]
    burst = int(re.search(r"burst=(\d+)", shipped).group(1))  # type: ignore[union-attr]
    server_part = (DEPLOY / "nginx-ratelimit-server.conf").read_text()
    env = {"YARDSTICK_RATE_LIMIT_PER_MINUTE": "0"}  # the app's own (per-worker) limit off: nginx's budget only
    with (
        live_server(tmp_path / "lake", workers=2, YARDSTICK_LOAD_SEED="true", **env) as server,
        services.nginx([server.base.removeprefix("http://")], shipped, server_part) as front,
    ):
        statuses: list[int] = []
        lock = threading.Lock()

        def client() -> None:
            with httpx.Client(base_url=front, timeout=30) as c:
                for _ in range(burst + rate):
                    status = c.get("/v1/regions/430400").status_code
                    with lock:
                        statuses.append(status)

        start = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        elapsed = time.monotonic() - start
        ok, limited = statuses.count(200), statuses.count(429)
        assert ok + limited == len(statuses) == 4 * (burst + rate)
        assert ok <= burst + 1 + rate * elapsed + 1, (ok, elapsed)  # one budget, whichever worker answers
        assert limited > 0
        for _ in range(10 * burst):  # spend what refilled since
            refusal = httpx.get(f"{front}/v1/regions/430400", timeout=10)
            if refusal.status_code == 429:
                break
        assert refusal.headers["content-type"] == "application/problem+json"
        assert refusal.json()["status"] == 429 and refusal.headers["retry-after"] == "1"
        assert httpx.get(f"{front}/readyz", timeout=10).status_code == 200  # operations are not limited
