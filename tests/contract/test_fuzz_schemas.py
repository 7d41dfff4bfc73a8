"""Schemathesis against the real server over the seed data: generated GET requests of every JSON data operation,
each answer checked against the declared response schema (a short run; tests/reliability/test_fuzz.py runs all)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.live import live_server

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = (
    "^(regions-list|regions-get|indicators-list|indicators-get|units-list|sources-list|sources-get|series-list|search"
    "|series-get|observations-list|compare-get|rankings-get|bulk-manifest|bulk-datapackage|healthz|snapshots-list)$"
)


def test_generated_requests_get_answers_that_fit_the_schemas(lake_dir: Path, tmp_path: Path) -> None:
    with live_server(lake_dir, workers=1, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                str(ROOT / "openapi" / "openapi.json"),
                "--url",
                live.base,
                "--checks",
                "response_schema_conformance,not_a_server_error,content_type_conformance",
                "--mode",
                "positive",
                "--phases",
                "examples,coverage,fuzzing",
                "--include-operation-id-regex",
                OPERATIONS,
                "--max-examples",
                "15",
                "--workers",
                "1",
                "--seed",
                "2022",
                "--no-color",
                "--suppress-health-check",
                "all",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    assert run.returncode == 0, run.stdout[-6000:]
    assert "17 selected" in run.stdout, run.stdout[-2000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert cases is not None and cases[1] == cases[2] and int(cases[1]) >= 100, run.stdout[-2000:]
