"""The committed contract and the docs: OpenAPI drift, every setting documented, README examples that run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from service.api import create_app
from service.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_matches_the_committed_contract(tmp_path: Path) -> None:
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    generated = create_app(Settings(load_seed=False, data_dir=tmp_path)).openapi()
    assert generated == committed, "regenerate: python -m service openapi > openapi/openapi.json"


def test_operation_ids_are_readable(tmp_path: Path) -> None:
    spec = create_app(Settings(load_seed=False, data_dir=tmp_path)).openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert "series-get" in ids and "compare-get" in ids and len(ids) == len(set(ids))
    for path in spec["paths"].values():
        for op in path.values():
            for param in op.get("parameters", []):
                assert param.get("description"), (op["operationId"], param["name"])


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`YARDSTICK_{name.upper()}`" in doc, name


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YARDSTICK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YARDSTICK_MAX_LIMIT", "7")
    s = Settings()
    assert s.data_dir == tmp_path and s.max_limit == 7


async def test_readme_curl_examples_answer_200(client: httpx.AsyncClient) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    urls = re.findall(r"curl -s '(http://127\.0\.0\.1:8000[^']+)'", readme)
    assert len(urls) >= 10
    for url in urls:
        r = await client.get(url.removeprefix("http://127.0.0.1:8000"))
        assert r.status_code == 200, url
