"""POST /v1/batch: a reviewed document's source, new indicators and figures in one commit, once per
Idempotency-Key; a malformed batch stores nothing and says where."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from service.store.stores import lake_at

SOURCE = {"id": "hy-bulletin-2023", "title": "衡阳市2023年国民经济和社会发展统计公报", "published": "2024-03-20"}
INDICATOR = {
    "code": "agriculture.tea_output",
    "name": "茶叶产量",
    "unit": "10k_t",
    "kind": "level",
    "frequency": "A",
    "accumulation": "period",
}
ROW = {
    "indicator": "agriculture.tea_output",
    "region": "430400",
    "period": "2023",
    "value": 285.4,
    "status": "A",
    "published": "2024-03-20",
    "source": "hy-bulletin-2023",
    "quote": "全年茶叶产量285.4万吨",
}


@pytest.fixture
def writer(lake_dir: Path) -> dict[str, str]:
    return {"authorization": f"Bearer {lake_at(lake_dir).keys.create('bureau', 'write')[1]}"}


async def test_a_batch_is_one_commit_and_replays(writable_client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    body = orjson.dumps({"observations": [ROW], "sources": [SOURCE], "indicators": [INDICATOR]})
    headers = {**writer, "content-type": "application/json", "idempotency-key": "doc-1"}
    first = await writable_client.post("/v1/batch", content=body, headers=headers)
    assert first.status_code == 201, first.text
    done = first.json()
    assert done["added"] == 1 and done["catalog_rows"] == {"indicators": 1, "sources": 1}
    again = await writable_client.post("/v1/batch", content=body, headers=headers)
    assert again.status_code == 201 and again.headers["idempotency-replayed"] == "true"
    assert again.json()["snapshot"] == done["snapshot"]
    series = (await writable_client.get("/v1/series/agriculture.tea_output/430400")).json()
    (obs,) = series["observations"]
    assert obs["value"] == 285.4 and obs["source"] == "hy-bulletin-2023" and obs["quote"] == "全年茶叶产量285.4万吨"
    source = (await writable_client.get("/v1/sources/hy-bulletin-2023")).json()
    assert source["title"] == SOURCE["title"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "JSON object"),
        (orjson.dumps({"observation": [ROW]}), "observation"),
        (orjson.dumps({"observations": []}), "non-empty list"),
        (orjson.dumps({"observations": [ROW]}), "agriculture.tea_output"),  # its indicator is not in the batch
    ],
)
async def test_a_bad_batch_stores_nothing_and_says_where(
    writable_client: httpx.AsyncClient, writer: dict[str, str], body: bytes, says: str
) -> None:
    before = (await writable_client.get("/v1/snapshots")).json()["snapshots"][0]["snapshot"]
    headers = {**writer, "content-type": "application/json"}
    answer = await writable_client.post("/v1/batch", content=body, headers=headers)
    assert answer.status_code in (400, 422) and answer.headers["content-type"] == "application/problem+json"
    assert says in answer.text
    assert (await writable_client.get("/v1/snapshots")).json()["snapshots"][0]["snapshot"] == before


async def test_a_batch_needs_a_write_key(writable_client: httpx.AsyncClient) -> None:
    answer = await writable_client.post("/v1/batch", content=orjson.dumps({"sources": [SOURCE]}))
    assert answer.status_code == 401
