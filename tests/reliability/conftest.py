"""The reliability suite: bounded in CI (the defaults), longer on demand through YARDSTICK_RELIABILITY_SCALE."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SCALE = float(os.environ.get("YARDSTICK_RELIABILITY_SCALE", "1"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def record(name: str, figures: dict[str, object]) -> None:
    """Keep a run's figures (requests, errors, kills, memory) as an artifact and print them."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"reliability-{name}.json").write_text(json.dumps(figures, indent=2))
    print(f"\n{name}: {json.dumps(figures)}")


@pytest.fixture
def write_key(lake_dir: Path) -> str:
    from service.store.stores import lake_at

    return lake_at(lake_dir).keys.create("reliability", "write")[1]
