"""Every JSON answer in the OpenAPI document has a schema and a real example that fits it, and the app's real answers
over the seed data fit the declared schemas and still equal the examples (tests/contract/examples.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from jsonschema import Draft202012Validator

from service.api import create_app
from service.config import Settings
from service.store.stores import lake_at
from tests.contract.examples import ASKS, JSON, JSONSTAT, OUT, SDMX_JSON, VA, Ask, ask, stable

Spec = dict[str, Any]


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    return create_app(Settings(load_seed=False, data_dir=tmp_path_factory.mktemp("spec"))).openapi()


def json_answers(spec: Spec) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(operation, status, media type, media object) of every 2xx JSON answer."""
    return [
        (op["operationId"], status, media, body)
        for path in spec["paths"].values()
        for op in path.values()
        for status, response in op["responses"].items()
        if status.startswith("2")
        for media, body in response.get("content", {}).items()
        if "json" in media
    ]


def validator(spec: Spec, schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": spec["components"]})


def declared(spec: Spec, operation: str, status: int, media: str) -> dict[str, Any]:
    for op, st, m, body in json_answers(spec):
        if (op, st, m) == (operation, str(status), media):
            return body["schema"]  # type: ignore[no-any-return]
    raise AssertionError(f"no {media} schema for {operation} {status}")


def test_every_json_answer_has_a_schema_and_an_example_that_fits(spec: Spec) -> None:
    answers = json_answers(spec)
    operations = {op for op, *_ in answers}
    assert len(operations) >= 25 and {"series-get", "compare-get", "rankings-get", "healthz"} <= operations
    for op, status, media, body in answers:
        schema = body.get("schema")
        assert schema, f"{op} {status} {media}: empty schema"
        assert "example" in body, f"{op} {status} {media}: no example"
        errors = [e.message for e in validator(spec, schema).iter_errors(body["example"])]
        assert not errors, (op, status, media, errors[:3])


def test_no_binary_or_text_answer_claims_json(spec: Spec) -> None:
    """Charts, Parquet files, SDMX-ML and metrics never answer application/json (FastAPI's default said so)."""
    for op in ("series-chart", "bulk-file", "bulk-indicator", "sdmx-structure", "metrics"):
        assert op not in {o for o, *_ in json_answers(spec)}, op


def test_units_lists_every_transform(spec: Spec) -> None:
    params = spec["paths"]["/v1/series/{indicator}/{region}"]["get"]["parameters"]
    units = next(p for p in params if p["name"] == "units")
    assert {"lin", "pc1", "chg_prev", "pch_prev", "from_ytd", "normalize", "percent_change"} <= set(
        units["schema"]["enum"]
    )
    assert "chg_prev" in units["description"] and "pch_prev" in units["description"]


@pytest.fixture
async def writable(lake_dir: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    key = lake_at(lake_dir).keys.create("examples", "write")[1]
    app = create_app(Settings(data_dir=lake_dir, load_seed=False, refresh_seconds=0))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://yardstick.test") as c:
            yield c, key


EMPTY = [  # answers with no figure: they carry a hint, which the schema must allow
    Ask("series-get", f"/v1/series/{VA}/110000"),
    Ask("series-get", f"/v1/series/{VA}/430400?start=2099"),
    Ask("observations-list", f"/v1/observations?indicator={VA}&period=2099"),
    Ask("observations-list", f"/v1/observations?indicator={VA},industry.taxes_paid&period=2099"),
    Ask("compare-get", f"/v1/compare/{VA}/430400?period=2099"),
    Ask("rankings-get", f"/v1/rankings/{VA}?parent=430000&period=2099"),
]


SHAPES = [  # other forms of the same answers: they must fit the schemas too
    Ask("observations-list", f"/v1/observations?indicator={VA}&region=430400,430000&shape=wide"),
    Ask("observations-list", "/v1/observations?region=430400&shape=wide"),
    Ask("observations-list", f"/v1/observations?indicator={VA}&region=430400,CN&align_periods=true"),
    Ask("series-get", f"/v1/series/{VA}/430400?vintages=all"),
    Ask("series-get", "/v1/series/industry.taxes_paid/430400?units=chg_prev"),
    Ask("compare-get", "/v1/compare/industry.taxes_paid/430400?rank_scope=nation"),
    Ask("rankings-get", f"/v1/rankings/{VA}?parent=CN&level=prefecture&limit=3"),
    Ask("regions-list", "/v1/regions?level=province&limit=2"),
    *[
        Ask("sdmx-data", f"/sdmx/2.1/data/YARDSTICK/..industry-taxes_paid?format=jsondata&{q}", SDMX_JSON)
        for q in (
            "detail=nodata",
            "detail=serieskeysonly",
            "dimensionAtObservation=AllDimensions",
            "includeHistory=true",
        )
    ],
    Ask("series-get", f"/v1/series/{VA}/110000?format=jsonstat", JSONSTAT),
    Ask("rankings-get", f"/v1/rankings/{VA}?parent=430000&period=2099&format=jsonstat", JSONSTAT),
]


async def test_real_answers_fit_the_schemas_and_equal_the_examples(
    spec: Spec, writable: tuple[httpx.AsyncClient, str]
) -> None:
    client, key = writable
    committed = json.loads(OUT.read_text(encoding="utf-8"))
    for a in EMPTY + SHAPES + ASKS:  # the other reads first: the writes commit new snapshots
        r = await ask(client, a, key)
        assert r.status_code == a.status, (a, r.text[:300])
        assert r.headers["content-type"].startswith(a.media.split(";")[0]), (a, r.headers["content-type"])
        answer = r.json()
        errors = [
            e.message for e in validator(spec, declared(spec, a.operation, a.status, a.media)).iter_errors(answer)
        ]
        assert not errors, (a.url, errors[:3])
        if a in EMPTY:
            assert "hint" in answer, a.url
        elif a not in SHAPES:
            assert "hint" not in answer or a.media != JSON, a.url
            expected = committed[a.operation][str(a.status)][a.media]
            assert stable(answer) == expected, f"{a.url}: regenerate with python -m tests.contract.examples"
