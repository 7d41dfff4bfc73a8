"""The OpenAPI examples, taken from the real app over the seed data: ``python -m tests.contract.examples`` writes
service/api/examples.json; tests/contract/test_schemas.py asks the same questions and checks the answers still equal
the examples and validate against the declared schemas.

Lists are cut to their first two items, and what changes from one build of the lake to the next (commit times,
digests, file sizes and names, Iceberg ids, SDMX message ids) is replaced by a fixed placeholder."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from service.api import create_app
from service.config import REPO_DATA, Settings
from service.ingest.seed import ensure_seed
from service.store.stores import lake_at

OUT = Path(__file__).resolve().parents[2] / "service" / "api" / "examples.json"
JSON, JSONSTAT, SDMX_JSON = (
    "application/json",
    "application/json-stat+json",
    "application/vnd.sdmx.data+json; version=1.0.0",
)
VA = "industry.value_added.growth"


@dataclass(frozen=True)
class Ask:
    operation: str
    url: str
    media: str = JSON
    status: int = 200
    method: str = "GET"
    body: bytes = b""
    content_type: str = ""


GETS = [
    Ask("regions-list", "/v1/regions?parent=430400"),
    Ask("regions-get", "/v1/regions/430400"),
    Ask("indicators-list", "/v1/indicators?topic=industry"),
    Ask("indicators-get", "/v1/indicators/industry.taxes_paid"),
    Ask("units-list", "/v1/units"),
    Ask("sources-list", "/v1/sources"),
    Ask("sources-get", "/v1/sources/hyrb-2022-q3-industry"),
    Ask("series-list", "/v1/series?region=430400"),
    Ask("search", "/v1/search?q=%E8%A1%A1%E9%98%B3"),
    Ask("series-get", f"/v1/series/{VA}/430400"),
    Ask("series-get", f"/v1/series/{VA}/430400?format=jsonstat", JSONSTAT),
    Ask("observations-list", f"/v1/observations?indicator={VA}&region=430400,430000,CN"),
    Ask("observations-list", f"/v1/observations?indicator={VA}&region=430400,430000,CN&format=jsonstat", JSONSTAT),
    Ask("compare-get", f"/v1/compare/{VA}/430400?period=2022-Q3"),
    Ask("compare-get", f"/v1/compare/{VA}/430400?period=2022-Q3&format=jsonstat", JSONSTAT),
    Ask("rankings-get", f"/v1/rankings/{VA}?parent=430000&period=2022-Q3"),
    Ask("rankings-get", f"/v1/rankings/{VA}?parent=430000&period=2022-Q3&format=jsonstat", JSONSTAT),
    Ask("bulk-manifest", "/v1/bulk"),
    Ask("bulk-datapackage", "/v1/bulk/datapackage.json"),
    Ask("healthz", "/healthz"),
    Ask("livez", "/livez"),
    Ask("readyz", "/readyz"),
    Ask("snapshots-list", "/v1/snapshots"),
    Ask("snapshots-get", "/v1/snapshots/000001"),
    Ask("sdmx-data", "/sdmx/2.1/data/YARDSTICK/..industry-taxes_paid?format=jsondata", SDMX_JSON),
]
ARTICLE = (  # the seed article's sentence
    "今年前三季度，面临新冠肺炎疫情的严峻考验，"
    "我市规模工业增加值同比增长8.4%，分别高于全国、全省4.5个、1.0个百分点，居全省第二。"
)
SOURCE = "id,title,publisher,published\nexample-2023,衡阳统计月报,衡阳市统计局,2023-01-20\n".encode()
REGION = "code,name,level,parent\n430400Z09,示例园区,zone,430400\n".encode()
INDICATOR = b"code,name,unit,kind,frequency,accumulation\nexample.output,Example output,100m_cny,level,Q,ytd\n"
OBSERVATION = f"indicator,region,period,value,published\n{VA},430400,2022-Q4,8.1,2023-01-20\n".encode()
BATCH = json.dumps(
    {
        "observations": [
            {"indicator": VA, "region": "430000", "period": "2022-Q4", "value": 7.2, "published": "2023-01-20"}
        ]
    }
).encode()
WRITES = [
    Ask(
        "extract",
        "/v1/extract?region=430400&published=2022-10-31",
        method="POST",
        body=ARTICLE.encode(),
        content_type="text/plain",
    ),
]
for _op, _path, _body in [
    ("sources-post", "/v1/sources", SOURCE),
    ("regions-post", "/v1/regions", REGION),
    ("indicators-post", "/v1/indicators", INDICATOR),
    ("observations-post", "/v1/observations", OBSERVATION),
]:
    for _status in (201, 200):  # committed, then the same rows again: nothing changed
        WRITES.append(Ask(_op, _path, JSON, _status, "POST", _body, "text/csv"))
WRITES += [Ask("batch-post", "/v1/batch", JSON, s, "POST", BATCH, JSON) for s in (201, 200)]
ASKS = GETS + WRITES

WHEN = "2026-01-01T00:00:00+00:00"
DIGEST = "0" * 64
PLACEHOLDERS: dict[str, Any] = {
    "committed_at": WHEN,
    "recorded_at": WHEN,
    "created": WHEN,
    "sha256": DIGEST,
    "hash": f"sha256:{DIGEST}",
    "bytes": 4096,
    "metadata_location": "file:///var/lake/warehouse/yardstick/observations/metadata/00001.metadata.json",
    "warehouse": "file:///var/lake/warehouse",
    "snapshot_id": 1,
}
HEADER = {"id": "IREF0000000000000000", "prepared": "2026-01-01T00:00:00Z"}


def stable(value: Any, n: int = 2) -> Any:
    """The example form of an answer: lists cut to ``n`` items, what changes between builds replaced."""
    if isinstance(value, list):
        return [stable(v, n) for v in value[:n]]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in PLACEHOLDERS and v is not None and not isinstance(v, dict):
                out[k] = PLACEHOLDERS[k]
            elif k == "name" and isinstance(v, str) and v.startswith(("sqlite:", "file:")):  # /readyz: where
                out[k] = "sqlite:////var/lake/catalog.db" if v.startswith("sqlite:") else PLACEHOLDERS["warehouse"]
            elif k == "header" and isinstance(v, dict):
                out[k] = {**v, **{h: HEADER[h] for h in HEADER if h in v}}
            elif k == "path" and isinstance(v, str):
                out[k] = re.sub(r"-[0-9a-f]{12}\.parquet$", "-000000000000.parquet", v)
            else:
                out[k] = stable(v, n)
        return out
    return value


async def ask(client: httpx.AsyncClient, a: Ask, key: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if a.method == "POST" else {}
    if a.content_type:
        headers["content-type"] = a.content_type
    return await client.request(a.method, a.url, content=a.body or None, headers=headers)


async def answers(client: httpx.AsyncClient, key: str) -> list[tuple[Ask, httpx.Response]]:
    """Every question, in order (reads first: the writes commit new snapshots)."""
    return [(a, await ask(client, a, key)) for a in ASKS]


def examples(pairs: list[tuple[Ask, httpx.Response]]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for a, r in pairs:
        assert r.status_code == a.status, (a, r.status_code, r.text[:300])
        out.setdefault(a.operation, {}).setdefault(str(a.status), {})[a.media] = stable(r.json())
    return out


def seeded(root: Path) -> tuple[Settings, str]:
    lake = lake_at(root)
    ensure_seed(lake, REPO_DATA, reviewed=False)
    return Settings(data_dir=root, load_seed=False, refresh_seconds=0), lake.keys.create("examples", "write")[1]


async def _main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings, key = seeded(Path(folder) / "lake")
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://yardstick.test") as client:
                found = examples(await answers(client, key))
    OUT.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(_main())
