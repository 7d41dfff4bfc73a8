"""Writes over HTTP: keys and scopes, all-or-nothing uploads in every format, conflicts, idempotency, limits,
and the audit trail."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from service.store.stores import lake_at
from tests.helpers import csv_bytes, fingerprint, obs

VA = "industry.value_added.growth"


@pytest.fixture
def keys(lake_dir: Path) -> dict[str, str]:
    store = lake_at(lake_dir).keys
    return {"write": store.create("bureau", "write")[1], "read": store.create("dashboard", "read")[1]}


async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as c,
    ):
        yield c


@pytest.fixture
async def api(lake_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in client_for(Settings(data_dir=lake_dir, load_seed=False, refresh_seconds=0)):
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


async def test_keys_and_scopes(api: httpx.AsyncClient, keys: dict[str, str]) -> None:
    body = csv_bytes([obs(VA, "430100", "2022-Q3", 7.1)])
    r = await api.post("/v1/observations", content=body, headers={"content-type": "text/csv"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"
    r = await api.post("/v1/observations", content=body, headers={**bearer("ys_nope_nope"), "content-type": "text/csv"})
    assert r.status_code == 401
    r = await api.post("/v1/observations", content=body, headers={**bearer(keys["read"]), "content-type": "text/csv"})
    assert r.status_code == 403 and "scope" in r.json()["detail"]
    r = await api.post(
        "/v1/observations", content=body, headers={"x-api-key": keys["write"], "content-type": "text/csv"}
    )
    assert r.status_code == 201 and r.json()["snapshot"] == "000002" and r.json()["added"] == 1
    log = (await api.get("/v1/snapshots")).json()["snapshots"]
    assert log[0]["snapshot"] == "000002" and log[0]["author"] == "bureau" and log[0]["changes"]["added"] == 1
    detail = (await api.get("/v1/snapshots/000002")).json()
    assert all(len(f["sha256"]) == 64 for f in detail["files"])


async def test_revoked_key_is_refused(api: httpx.AsyncClient, keys: dict[str, str], lake_dir: Path) -> None:
    lake_at(lake_dir).keys.revoke("bureau")
    r = await api.post("/v1/observations", content=b"x", headers=bearer(keys["write"]))
    assert r.status_code == 401


async def test_every_format_and_kind(api: httpx.AsyncClient, keys: dict[str, str]) -> None:
    h = bearer(keys["write"])
    regions = b"code,name,level,parent\n430400Z05,New zone,zone,430400\n"
    r = await api.post("/v1/regions", content=regions, headers={**h, "content-type": "text/csv"})
    assert r.status_code == 201 and r.json()["catalog_rows"] == {"regions": 1}
    jsonl = orjson.dumps(
        {"indicator": VA, "region": "430400Z05", "period": "2022Q3", "value": 9.9, "published": "2022-10-31"}
    )
    r = await api.post("/v1/observations", content=jsonl, headers={**h, "content-type": "application/x-ndjson"})
    assert r.status_code == 201 and r.json()["added"] == 1
    buf = io.BytesIO()
    pq.write_table(
        pa.table(
            {
                "indicator": [VA],
                "region": ["430200"],
                "period": ["2022-Q3"],
                "value": [6.6],
                "published": ["2022-10-31"],
            }
        ),
        buf,
    )
    r = await api.post(
        "/v1/observations", content=buf.getvalue(), headers={**h, "content-type": "application/vnd.apache.parquet"}
    )
    assert r.status_code == 201
    series = (await api.get(f"/v1/series/{VA}/430200")).json()["observations"]
    assert series[0]["value"] == 6.6
    again = await api.post(
        "/v1/observations", content=buf.getvalue(), headers={**h, "content-type": "application/vnd.apache.parquet"}
    )
    assert again.status_code == 200 and again.json()["unchanged"] == 1 and again.json()["snapshot"] == "000004"


async def test_bad_rows_are_422_and_nothing_is_stored(
    api: httpx.AsyncClient, keys: dict[str, str], lake_dir: Path
) -> None:
    before = fingerprint(lake_dir)
    body = csv_bytes([obs(VA, "430100", "2022-Q3", 7.1), obs(VA, "nowhere", "2022-Q5", "x")])
    r = await api.post("/v1/observations", content=body, headers={**bearer(keys["write"]), "content-type": "text/csv"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    located = {(e["row"], e["column"]) for e in r.json()["errors"]}
    assert {(3, "region"), (3, "period"), (3, "value")} <= located
    assert fingerprint(lake_dir) == before


async def test_conflict_is_409(api: httpx.AsyncClient, keys: dict[str, str], lake_dir: Path) -> None:
    before = fingerprint(lake_dir)
    body = csv_bytes([obs(VA, "430400", "2022-Q3", 9.9, status="A")])
    r = await api.post("/v1/observations", content=body, headers={**bearer(keys["write"]), "content-type": "text/csv"})
    assert r.status_code == 409 and "stored value 8.4" in r.json()["errors"][0]["detail"]
    assert fingerprint(lake_dir) == before


async def test_idempotency_key(api: httpx.AsyncClient, keys: dict[str, str]) -> None:
    h = {**bearer(keys["write"]), "content-type": "text/csv", "idempotency-key": "upload-7"}
    body = csv_bytes([obs(VA, "430100", "2022-Q3", 7.1)])
    first = await api.post("/v1/observations", content=body, headers=h)
    retry = await api.post("/v1/observations", content=body, headers=h)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["idempotency-replayed"] == "true"
    assert (await api.get("/healthz")).json()["snapshot"] == "000002"  # not committed twice
    other = await api.post("/v1/observations", content=csv_bytes([obs(VA, "430100", "2022-Q3", 7.2)]), headers=h)
    assert other.status_code == 422 and "different body" in other.json()["detail"]


async def test_body_limits_and_media_types(lake_dir: Path, keys: dict[str, str]) -> None:
    settings = Settings(data_dir=lake_dir, load_seed=False, max_body_mb=0.001)
    async for api in client_for(settings):
        h = bearer(keys["write"])
        r = await api.post("/v1/observations", content=b"x" * 2000, headers={**h, "content-type": "text/csv"})
        assert r.status_code == 413
        claimed = await api.post(
            "/v1/observations", content=b"x", headers={**h, "content-type": "text/csv", "content-length": str(2 << 30)}
        )
        assert claimed.status_code == 413 and "declares" in claimed.json()["detail"]
        r = await api.post("/v1/observations", content=b"<xml/>", headers={**h, "content-type": "application/xml"})
        assert r.status_code == 415


async def test_rate_limit_answers_429_with_headers(lake_dir: Path) -> None:
    async for api in client_for(Settings(data_dir=lake_dir, load_seed=False, rate_limit_per_minute=3)):
        answers = [await api.get("/v1/sources") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["ratelimit-limit"] == "3" and answers[0].headers["ratelimit-remaining"] == "2"
        assert int(answers[3].headers["retry-after"]) >= 1
        assert answers[3].headers["content-type"] == "application/problem+json"
        assert (await api.get("/healthz")).status_code == 200  # operations are not limited


async def test_reads_can_require_a_key(lake_dir: Path, keys: dict[str, str]) -> None:
    async for api in client_for(Settings(data_dir=lake_dir, load_seed=False, read_requires_key=True)):
        assert (await api.get("/v1/sources")).status_code == 401
        assert (await api.get("/v1/sources", headers=bearer(keys["read"]))).status_code == 200
        assert (await api.get("/v1/sources", headers=bearer(keys["write"]))).status_code == 200


def test_keys_command_line(lake_dir: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service", "--data-dir", str(lake_dir), "keys", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    created = run("create", "--name", "nbs", "--scope", "write")
    secret = created.stdout.strip()
    assert created.returncode == 0 and secret.startswith("ys_") and "shown once" in created.stderr
    assert secret.encode() not in (lake_dir / "catalog.db").read_bytes()  # only its hash is stored
    listed = run("list").stdout
    assert "nbs" in listed and "active" in listed and secret not in listed
    assert run("revoke", "nbs").returncode == 0
    assert lake_at(lake_dir).keys.check(secret) is None
