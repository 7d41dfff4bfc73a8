"""Hardening (security and protocol), in process against the real app: each test failed on the code before it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow.parquet as pq
import pytest
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import Settings
from service.store.stores import lake_at
from tests.helpers import fingerprint

VA = "industry.value_added.growth"
SERIES = f"/v1/series/{VA}/430400"
BULK_FILE = "/v1/bulk/000001/regions.parquet"


async def app_client(settings: Settings, **client: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"refresh_seconds": 0}))
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app, **client), base_url="http://t") as c,
    ):
        yield c


@pytest.fixture
def keys(lake_dir: Path) -> dict[str, str]:
    store = lake_at(lake_dir).keys
    keys = {"read": store.create("dash", "read")[1], "write": store.create("bureau", "write")[1]}
    keys["revoked"] = store.create("old", "read")[1]
    store.revoke("old")
    return keys


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


# -- 1. keyed reads never leave through a cache --------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/v1/regions/430400", SERIES, f"/embed/compare/{VA}/430400", BULK_FILE])
async def test_keyed_reads_are_decided_before_any_cached_answer(lake_dir: Path, keys: dict[str, str], url: str) -> None:
    async for api in app_client(Settings(data_dir=lake_dir, load_seed=False, read_requires_key=True)):
        first = await api.get(url, headers=bearer(keys["read"]))
        assert first.status_code == 200
        assert "private" in first.headers["cache-control"] and "public" not in first.headers["cache-control"]
        assert "Authorization" in first.headers["vary"] and "X-API-Key" in first.headers["vary"]
        widget = url.startswith("/embed/")  # a widget's refusal is its readable page (#25), never its content
        assert not widget or b"chart.svg" in first.content
        for headers in ({}, bearer("junk"), bearer(keys["revoked"]), {"x-api-key": "ys_x_y"}):
            again = await api.get(url, headers=headers)
            assert again.status_code == 401, (url, headers)
            assert again.headers["content-type"] == (
                "text/html; charset=utf-8" if widget else "application/problem+json"
            )
            assert (b"chart.svg" not in again.content) if widget else (first.content[:40] not in again.content)
            tagged = await api.get(url, headers={**headers, "if-none-match": first.headers.get("etag", "*")})
            assert tagged.status_code == 401
        assert (await api.get(url, headers={"if-none-match": "*"})).status_code == 401
        assert (await api.head(url)).status_code == 401
        assert (await api.get(url, headers={"x-api-key": keys["write"]})).status_code == 200


async def test_if_none_match_star_matches_only_what_exists(client: httpx.AsyncClient) -> None:
    assert (await client.get(SERIES, headers={"if-none-match": "*"})).status_code == 304
    missing = await client.get("/v1/series/no.such/430400", headers={"if-none-match": "*"})
    assert missing.status_code == 404
    bad = await client.get(SERIES, params={"units": "nope"}, headers={"if-none-match": "*"})
    assert bad.status_code == 400


async def test_public_reads_stay_public_and_shared(client: httpx.AsyncClient) -> None:
    r = await client.get(SERIES)
    assert r.headers["cache-control"].startswith("public") and "Authorization" not in r.headers["vary"]


# -- 2. links do not depend on request headers ---------------------------------------------------------------------
async def test_host_header_does_not_poison_links(client: httpx.AsyncClient) -> None:
    evil = {"host": "attacker.example:666", "x-forwarded-proto": "gopher", "x-forwarded-host": "evil.example"}
    for url, params in [("/v1/regions", {"level": "county", "limit": "10"}), ("/v1/observations", {"limit": "1"})]:
        poisoned = await client.get(url, params=params, headers=evil)
        clean = await client.get(url, params=params)
        assert poisoned.json()["next"] == clean.json()["next"]
        assert poisoned.json()["next"].startswith(f"{url}?") and "attacker" not in poisoned.text
    manifest = (await client.get("/v1/bulk", headers=evil)).json()
    assert manifest["datapackage"] == "/v1/bulk/datapackage.json"
    assert all(f["url"].startswith("/v1/bulk/000001/") for f in manifest["files"])
    package = (await client.get("/v1/bulk/datapackage.json", headers=evil)).json()
    paths = [r["path"] for r in package["resources"]]
    assert "000001/observations.parquet" in paths and not any("attacker" in p or p.startswith("/") for p in paths)


async def test_public_url_makes_links_absolute(seeded_lake: Path) -> None:
    base = "https://data.example.org/yardstick"
    settings = Settings(data_dir=seeded_lake, load_seed=False, public_url=base)
    async for api in app_client(settings):
        page = (await api.get("/v1/regions", params={"level": "county", "limit": "10"}, headers={"host": "x"})).json()
        assert page["next"] == f"{base}/v1/regions?level=county&limit=10&offset=10"
        files = (await api.get("/v1/bulk")).json()["files"]
        assert files[0]["url"].startswith(f"{base}/v1/bulk/000001/")
        resources = (await api.get("/v1/bulk/datapackage.json")).json()["resources"]
        assert all(r["path"].startswith(f"{base}/v1/bulk/000001/") for r in resources)


# -- 3. rate limits cannot be dodged ------------------------------------------------------------------------------
async def test_invented_keys_get_401_not_a_fresh_bucket(lake_dir: Path, keys: dict[str, str]) -> None:
    settings = Settings(data_dir=lake_dir, load_seed=False, rate_limit_per_minute=2, key_rate_limit_per_minute=2)
    async for api in app_client(settings):
        assert [(await api.get("/v1/sources")).status_code for _ in range(3)] == [200, 200, 429]
        for i in range(5):
            invented = await api.get("/v1/sources", headers=bearer(f"ys_{i}_made-up"))
            assert invented.status_code == 401 and "invalid_token" in invented.headers["www-authenticate"]
        assert (await api.get("/v1/sources", headers=bearer(keys["revoked"]))).status_code == 401
        spoofed = await api.get("/v1/sources", headers={"x-forwarded-for": "203.0.113.9"})
        assert spoofed.status_code == 429  # the peer address counts, not a header anyone can write
        # a real key has its own bucket, counted by key id
        assert [(await api.get("/v1/sources", headers=bearer(keys["read"]))).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]


# -- 4. CSV formula injection -------------------------------------------------------------------------------------
async def test_excel_csv_neutralises_formulas_and_plain_csv_is_exact(lake_dir: Path, keys: dict[str, str]) -> None:
    hostile = ["=1+1", "+cmd|'/c calc'!A0", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "plain"]
    rows = [
        {"indicator": VA, "region": "430100", "period": f"202{i}-Q3", "value": -1.5 - i, "published": "2022-10-31"}
        | {"quote": text}
        for i, text in enumerate(hostile)
    ]
    async for api in app_client(Settings(data_dir=lake_dir, load_seed=False)):
        r = await api.post(
            "/v1/observations",
            content=b"\n".join(orjson.dumps(row) for row in rows),
            headers={**bearer(keys["write"]), "content-type": "application/x-ndjson"},
        )
        assert r.status_code == 201, r.text
        url = f"/v1/series/{VA}/430100"
        stored = {o["period"]: o for o in (await api.get(url)).json()["observations"]}
        assert stored["2024-Q3"]["quote"] == "\t=1+1"  # ingest kept the tab: no formula was made by trimming
        assert stored["2025-Q3"]["quote"] == "\r=1+1"
        for params, exact in [({"format": "csv", "bom": "true"}, False), ({"format": "csv"}, True)]:
            for link in (url, f"/v1/observations?indicator={VA}&region=430100"):
                body = (await api.get(link, params=params)).content.decode("utf-8-sig")
                table = list(csv.DictReader(io.StringIO(body, newline="")))
                quotes = {row["quote"] for row in table}
                values = {row["value"] for row in table}
                assert "-1.5" in values  # numbers untouched
                if exact:
                    assert set(hostile) <= quotes
                else:
                    assert {"'" + h for h in hostile[:-1]} <= quotes and "plain" in quotes
                    assert not any(q[:1] in "=+-@\t\r" for q in quotes if q)


# -- 5. input limits, code grammar, cycles, Content-Disposition ---------------------------------------------------
async def test_input_limits_and_grammar_are_422_with_file_row_column(lake_dir: Path, keys: dict[str, str]) -> None:
    before = fingerprint(lake_dir)
    huge = '{"indicator": "%s", "region": "430400", "period": "2022-Q3", "value": 1, "published": "2022-11-01", '
    huge = (huge % VA) + '"quote": "' + "x" * 50_000 + '"}\n'
    cases: list[tuple[str, bytes, str, int, str]] = [
        ("application/x-ndjson", huge.encode(), "quote", 1, "at most 2000"),
        ("text/csv", b'code,name,level,parent\n"a""b",X,county,430400\n', "code", 2, "not a region code"),
        ("text/csv", b"code,name,level,parent\nA B,X,county,430400\n", "code", 2, "not a region code"),
        ("text/csv", b"code,name,level,parent\nCN,China,nation,430400\n", "parent", 2, "lead back"),
        ("text/csv", b"code,name,level,parent\n" + b"z" * 65 + b",X,county,430400\n", "code", 2, "at most 64"),
    ]
    async for api in app_client(Settings(data_dir=lake_dir, load_seed=False)):
        for media, body, column, row, reason in cases:
            kind = "observations" if media == "application/x-ndjson" else "regions"
            r = await api.post(f"/v1/{kind}", content=body, headers={**bearer(keys["write"]), "content-type": media})
            assert r.status_code == 422, (column, r.text)
            first = r.json()["errors"][0]
            assert (first["column"], first["row"]) == (column, row) and first["file"], r.json()
            assert reason in first["detail"], first
    assert fingerprint(lake_dir) == before


async def test_content_disposition_is_rfc_6266(client: httpx.AsyncClient) -> None:
    r = await client.get(SERIES, params={"format": "csv"})
    cd = r.headers["content-disposition"]
    assert cd.startswith('inline; filename="') and "filename*=UTF-8''" in cd
    name = cd.split('filename="', 1)[1].split('"', 1)[0]
    assert all(c.isalnum() or c in "._-" for c in name)


# -- 6. cross-origin writes ---------------------------------------------------------------------------------------
async def test_cors_reads_from_anywhere_writes_from_the_list_only(lake_dir: Path) -> None:
    origin = {"origin": "https://evil.example"}
    preflight = {**origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization"}
    async for api in app_client(Settings(data_dir=lake_dir, load_seed=False)):
        assert (await api.get("/v1/sources", headers=origin)).headers["access-control-allow-origin"] == "*"
        pre = await api.options("/v1/observations", headers=preflight)
        assert pre.status_code == 400 and "access-control-allow-origin" not in pre.headers
        post = await api.post("/v1/observations", headers=origin, content=b"x")
        assert "access-control-allow-origin" not in post.headers
    allowed = Settings(data_dir=lake_dir, load_seed=False, cors_write_origins=["https://bureau.example"])
    async for api in app_client(allowed):
        ok = {**preflight, "origin": "https://bureau.example"}
        pre = await api.options("/v1/observations", headers=ok)
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://bureau.example"
        assert (await api.options("/v1/observations", headers=preflight)).status_code == 400


# -- 7. Range --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rng", ["bytes=abc", "bytes=5-2", "items=0-1", "bytes 0-1", "bytes=", "bytes=-", "=0-1"])
async def test_malformed_range_is_ignored(client: httpx.AsyncClient, rng: str) -> None:
    whole = await client.get(BULK_FILE)
    for method in ("GET", "HEAD"):
        r = await client.request(method, BULK_FILE, headers={"range": rng})
        assert r.status_code == 200, (rng, method, r.text)
        assert r.headers["content-length"] == whole.headers["content-length"]
        assert r.content == (whole.content if method == "GET" else b"")
    export = "/v1/observations?format=parquet"
    assert (await client.get(export, headers={"range": rng})).status_code == 200


async def test_unsatisfiable_range_is_416_and_good_ranges_work(client: httpx.AsyncClient) -> None:
    whole = await client.get(BULK_FILE)
    size = len(whole.content)
    r = await client.get(BULK_FILE, headers={"range": f"bytes={size + 10}-{size + 20}"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"
    assert r.headers["content-type"] == "application/problem+json"
    part = await client.get(BULK_FILE, headers={"range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == whole.content[:4] == b"PAR1"
    stale = await client.get(BULK_FILE, headers={"range": "bytes=0-3", "if-range": '"stale"'})
    assert stale.status_code == 200 and stale.content == whole.content


# -- 8. HEAD everywhere -----------------------------------------------------------------------------------------
HEAD_URLS = [
    "/",
    "/healthz",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/v1/regions",
    "/v1/indicators",
    "/v1/search?q=hengyang",
    f"/v1/compare/{VA}/430400",
    f"/v1/rankings/{VA}?parent=430000",
    "/v1/bulk",
    "/v1/bulk/datapackage.json",
    f"/v1/compare/{VA}/430400/chart.svg",
    f"/embed/compare/{VA}/430400",
    SERIES,
    BULK_FILE,
]


@pytest.mark.parametrize("url", HEAD_URLS)
async def test_every_get_answers_head_with_gets_headers(client: httpx.AsyncClient, url: str) -> None:
    get = await client.get(url)
    head = await client.head(url)
    assert get.status_code == head.status_code == 200, (url, head.status_code)
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if "content-length" in get.headers:
        assert head.headers["content-length"] == get.headers["content-length"]


async def test_405_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    r = await client.request("PUT", "/v1/observations")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, POST"
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.delete(SERIES)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


# -- 9. unknown query parameters --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "name"),
    [(SERIES, "mrv"), (SERIES, "foo"), ("/v1/regions", "levle"), ("/v1/observations", "indicators"), ("/healthz", "x")],
)
async def test_unknown_parameters_are_refused_by_name(client: httpx.AsyncClient, url: str, name: str) -> None:
    r = await client.get(url, params={name: "1"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    error = r.json()["errors"][0]
    assert error["parameter"] == name and name in r.json()["detail"]
    if url == SERIES:
        assert "last_n" in error["allowed"] and "units" in error["allowed"]


# -- 11. anonymous reads write bounded files outside the lake -----------------------------------------------------
async def test_exports_are_keyed_by_the_normalised_query_and_bounded(lake_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = fingerprint(lake_dir)
    settings = Settings(data_dir=lake_dir, load_seed=False, cache_dir=cache, export_cache_mb=0.003)
    async for api in app_client(settings):
        spellings = [
            f"/v1/observations?format=parquet&indicator={VA}&region=430400",
            f"/v1/observations?region=430400&indicator={VA}&format=parquet",
            f"/v1/observations?region=430400&format=parquet&indicator={VA},",
        ]
        tags = {(await api.get(u)).headers["etag"] for u in spellings}
        assert len(tags) == 1
        assert len(list(cache.rglob("*.parquet"))) == 1
        assert (await api.get(spellings[0] + "&junk=1")).status_code == 400
        assert len(list(cache.rglob("*.parquet"))) == 1
        for region in ("430000", "CN", "430100", "430200"):
            r = await api.get(f"/v1/observations?format=parquet&region={region}")
            assert r.status_code == 200
            assert pq.read_table(io.BytesIO(r.content)).num_rows >= 0
        files = list(cache.rglob("*.parquet"))
        assert sum(f.stat().st_size for f in files) <= 3 * 1024 * 1024 * 0.001 + max(f.stat().st_size for f in files)
        assert len(files) < 5  # older exports were evicted
    assert fingerprint(lake_dir) == before  # reads wrote nothing into the lake


# -- 16. a missing seed says so ---------------------------------------------------------------------------------
async def test_missing_seed_is_one_line_and_in_healthz(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path / "lake", seed_dir=tmp_path / "nowhere", load_seed=True)
    async for api in app_client(settings):
        health = (await api.get("/healthz")).json()
        assert len(health["notices"]) == 1 and "seed dataset is missing" in health["notices"][0]
        assert str((tmp_path / "nowhere").resolve()) in health["notices"][0]
    assert any("seed dataset is missing" in r.getMessage() for r in caplog.records)


# -- issue 22, item 9: the low ones -------------------------------------------------------------------------------
async def test_invented_keys_are_throttled_per_address(lake_dir: Path, keys: dict[str, str]) -> None:
    from service.api.access import FAILED_KEYS_PER_MINUTE

    async for api in app_client(Settings(data_dir=lake_dir, load_seed=False)):
        statuses = [(await api.get("/v1/sources", headers=bearer(f"ys_{i}_guess"))).status_code for i in range(40)]
        assert statuses[:FAILED_KEYS_PER_MINUTE] == [401] * FAILED_KEYS_PER_MINUTE
        assert set(statuses[FAILED_KEYS_PER_MINUTE:]) == {429}
        refused = await api.get("/v1/sources", headers=bearer("ys_x_guess"))
        assert refused.headers["content-type"] == "application/problem+json" and int(refused.headers["retry-after"]) > 0
    async for api in app_client(Settings(data_dir=lake_dir, load_seed=False), client=("192.0.2.7", 4000)):
        assert (await api.get("/v1/sources", headers=bearer(keys["read"]))).status_code == 200  # per address


async def test_a_refused_preflight_is_a_problem_document_and_vary_names_origin_once(lake_dir: Path) -> None:
    settings = Settings(data_dir=lake_dir, load_seed=False, cors_origins=["https://news.example"])
    async for api in app_client(settings):
        pre = await api.options(
            "/v1/sources", headers={"origin": "https://evil.example", "access-control-request-method": "GET"}
        )
        assert pre.status_code == 400 and pre.headers["content-type"] == "application/problem+json"
        assert "https://evil.example" in pre.json()["detail"] and "YARDSTICK_CORS_ORIGINS" in pre.json()["detail"]
        answer = await api.get("/v1/sources", headers={"origin": "https://news.example"})
        vary = [v.strip().lower() for v in answer.headers.get_list("vary") for v in v.split(",")]
        assert vary.count("origin") == 1 and "accept" in vary


@pytest.mark.parametrize("value", ["430400,../etc", "43 04", "430400,a.b", "衡阳"])
async def test_a_region_code_that_breaks_the_grammar_in_a_list_is_400(client: httpx.AsyncClient, value: str) -> None:
    r = await client.get("/v1/observations", params={"indicator": VA, "region": value})
    assert r.status_code == 400 and r.json()["errors"][0]["parameter"] == "region"
    known = await client.get("/v1/observations", params={"indicator": VA, "region": "430400,ZZ9"})
    assert known.status_code in (200, 404)  # well-formed codes are looked up, not refused for their shape


async def test_metrics_follow_the_key_setting(lake_dir: Path, keys: dict[str, str]) -> None:
    async for api in app_client(Settings(data_dir=lake_dir, load_seed=False, read_requires_key=True)):
        assert (await api.get("/metrics")).status_code == 401
        assert (await api.get("/metrics", headers=bearer(keys["read"]))).status_code == 200
    async for api in app_client(Settings(data_dir=lake_dir, load_seed=False)):
        assert (await api.get("/metrics")).status_code == 200


def test_the_catalog_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    lake = lake_at(tmp_path / "lake")
    lake.keys.create("bureau", "write")
    assert (tmp_path / "lake" / "catalog.db").stat().st_mode & 0o777 == 0o600
