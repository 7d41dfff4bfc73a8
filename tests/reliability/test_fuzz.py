"""Fuzzing from the contract: schemathesis generates requests for every operation of openapi/openapi.json against
the real server, with every check, positive and negative data, and the stateful phase (tests/reliability/
schemathesis.toml says which operations have rules between parameters that OpenAPI cannot state): zero 5xx and
zero failures of any check."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.live import live_server
from tests.reliability.conftest import ARTIFACTS, SCALE, record

pytestmark = pytest.mark.slow
EXAMPLES = int(250 * SCALE)
MIN_REQUESTS = int(5000 * SCALE)
CONFIG = Path(__file__).with_name("schemathesis.toml")


def requests_served(base: str) -> dict[str, float]:
    text = httpx.get(f"{base}/metrics").text
    out: dict[str, float] = {}
    for status, n in re.findall(r'yardstick_requests_total\{route="[^"]*",status="(\d+)"\} ([0-9.e+]+)', text):
        out[status[0] + "xx"] = out.get(status[0] + "xx", 0) + float(n)
    return out


def test_schemathesis_finds_no_server_error_and_no_contract_break(lake_dir: Path, write_key: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    root = Path(__file__).resolve().parents[2]
    with live_server(lake_dir, workers=1, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(CONFIG),
                "run",
                str(root / "openapi" / "openapi.json"),
                "--url",
                live.base,
                "--checks",
                "all",
                "--mode",
                "all",
                "--max-examples",
                str(EXAMPLES),
                "--workers",
                "1",  # one thread: CPython 3.11.7 ast parsing is not thread-safe (python/cpython#106905)
                "--header",
                f"Authorization: Bearer {write_key}",
                "--seed",
                "2022",
                "--no-color",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--suppress-health-check",
                "all",
                "--report",
                "junit",
                "--report-junit-path",
                str(ARTIFACTS / "schemathesis.xml"),
            ],
            capture_output=True,
            text=True,
            timeout=1800,
            cwd=ARTIFACTS,
        )
        served = requests_served(live.base)
    (ARTIFACTS / "schemathesis.txt").write_text(run.stdout + run.stderr)
    total = int(sum(served.values()))
    record("fuzz", {"requests": total, "by_status": served, "exit_code": run.returncode})
    assert served.get("5xx", 0) == 0, run.stdout[-4000:]
    assert run.returncode == 0, run.stdout[-6000:]
    assert total >= MIN_REQUESTS, f"only {total} requests were generated"
