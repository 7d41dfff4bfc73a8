"""The bad input corpus: real bad files and requests, each answered 4xx application/problem+json naming the
problem, with the lake byte-for-byte unchanged afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from tests.helpers import fingerprint
from tests.reliability.conftest import record

CORPUS = Path(__file__).with_name("corpus")
MEDIA = {".csv": "text/csv", ".jsonl": "application/x-ndjson", ".parquet": "application/vnd.apache.parquet"}
EXPECTED = {  # file → (status, words the problem must contain)
    "malformed_quotes.csv": (422, "never closed"),
    "ragged_rows.csv": (422, "wrong number of fields"),
    "wrong_types.csv": (422, "not a number"),
    "nan_infinity.csv": (422, "not a number"),
    "empty.csv": (422, "empty"),
    "header_only.csv": (422, "no rows"),
    "duplicate_keys.csv": (422, "duplicate key"),
    "unknown_region.csv": (422, "unknown region"),
    "unknown_indicator.csv": (422, "unknown indicator"),
    "impossible_month.csv": (422, "2022-13"),
    "impossible_quarter.csv": (422, "2022-Q5"),
    "future_vintage.csv": (422, "future"),
    "sql_injection.csv": (422, "unknown region"),
    "path_traversal.csv": (422, "unknown indicator"),
    "bom_in_the_middle.csv": (422, "byte-order mark"),
    "gbk_declared_utf8.csv": (422, "declared UTF-8"),
    "deeply_nested.jsonl": (422, "depth limit exceeded"),
    "not_json.jsonl": (422, "not JSON"),
    "zip_bomb.parquet": (422, "decompresses beyond"),
}


@pytest.fixture
async def api(lake_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=lake_dir, load_seed=False, rate_limit_per_minute=0))
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as c,
    ):
        yield c


def test_the_corpus_is_complete() -> None:
    assert {p.name for p in CORPUS.iterdir()} == set(EXPECTED)


async def test_every_bad_file_is_refused_and_nothing_changes(
    api: httpx.AsyncClient, write_key: str, lake_dir: Path
) -> None:
    before = fingerprint(lake_dir)
    answered = {}
    for name, (status, words) in EXPECTED.items():
        path = CORPUS / name
        media = MEDIA[path.suffix] + ("; charset=utf-8" if "declared_utf8" in name else "")
        r = await api.post(
            "/v1/observations",
            content=path.read_bytes(),
            headers={"authorization": f"Bearer {write_key}", "content-type": media},
        )
        answered[name] = r.status_code
        assert r.status_code == status, (name, r.text[:300])
        assert r.headers["content-type"] == "application/problem+json", name
        assert words in r.text, (name, r.text[:300])
        assert fingerprint(lake_dir) == before, name
    record("bad-files", {"files": len(answered), "statuses": sorted(set(answered.values())), "lake_changed": False})


async def test_a_2gb_claimed_body_is_refused_before_reading(
    api: httpx.AsyncClient, write_key: str, lake_dir: Path
) -> None:
    before = fingerprint(lake_dir)
    r = await api.post(
        "/v1/observations",
        content=b"indicator,region\n",
        headers={
            "authorization": f"Bearer {write_key}",
            "content-type": "text/csv",
            "content-length": str(2 * 1024**3),
        },
    )
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert fingerprint(lake_dir) == before


HOSTILE = [
    "'; DROP TABLE observations; --",
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "1 OR 1=1",
    "$(reboot)",
    "<script>alert(1)</script>",
    "9" * 400,
    "衡阳'--",
]


async def test_hostile_strings_in_every_parameter(api: httpx.AsyncClient, lake_dir: Path) -> None:
    before = fingerprint(lake_dir)
    spec = (await api.get("/openapi.json")).json()
    requests = 0
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if op is None or not op.get("parameters"):
            continue
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        for bad in HOSTILE:
            url = path
            for p in (p for p in op.get("parameters", []) if p["in"] == "path"):
                url = url.replace("{" + p["name"] + "}", bad.replace("/", "%2F"))
            params = dict.fromkeys(names, bad)
            r = await api.get(url, params=params)
            requests += 1
            assert r.status_code < 500, (path, bad, r.text[:200])
            assert r.status_code >= 400 or path == "/v1/search", (path, bad)  # search takes any text
            if r.status_code >= 400:  # SDMX clients get SDMX error messages (docs/interop.md)
                expected = "application/xml" if path.startswith("/sdmx/") else "application/problem+json"
                assert r.headers["content-type"] == expected, (path, bad)
    assert fingerprint(lake_dir) == before
    record("hostile-parameters", {"requests": requests, "server_errors": 0})
