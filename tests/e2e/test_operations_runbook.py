"""docs/operations.md is the runbook: every command in its ```sh blocks runs, in the order written, against a live
server on a seeded lake, with the doc's placeholders swapped for this test's own places: `localhost:8000` for the
server, the backup folder for a temporary one, the restore's `postgresql://…/new` for a new database on a real
PostgreSQL and `s3://lake/restored` for a prefix of moto's standalone S3 server. Each must exit 0; the restored
lake then serves the snapshot the backup took."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import create_engine, text

from tests import services
from tests.helpers import seeded_copy
from tests.live import live_server

DOC = Path(__file__).parents[2] / "docs" / "operations.md"
pytestmark = pytest.mark.skipif(not services.PG_BIN.exists(), reason="needs Debian's postgresql (scripts/test)")


def runbook() -> list[str]:
    """The commands of every ```sh block, continuation lines joined, comments dropped."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#[^'\"]*$", "", line).strip()
            if command:
                commands.append(command)
    return commands


def test_the_runbook_names_every_operation() -> None:
    words = " ".join(runbook())
    for needed in ("check --deep", "gc --dry-run", "backup", "restore", "migrate-catalog", "/livez", "/readyz"):
        assert needed in words, needed
    assert "/metrics" in words and "X-Request-Id" in words


def test_every_runbook_command_runs(tmp_path: Path) -> None:
    lake = seeded_copy(tmp_path / "lake")
    with services.postgres() as pg, services.s3() as s3, live_server(lake) as live:
        admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("create database new"))
        admin.dispose()
        places = {
            "http://localhost:8000": live.base,
            "/backups/yardstick-2026-12-06": str(tmp_path / "backup"),
            "postgresql://…/new": pg.url.rsplit("/", 1)[0] + "/new",
            "/var/lib/yardstick": str(tmp_path / "restored"),
        }
        env = {**os.environ, **s3.env, "YARDSTICK_DATA_DIR": str(lake), "YARDSTICK_CACHE_DIR": str(tmp_path / "c")}
        yardstick = f"{sys.executable} -m service"
        for written in runbook():
            command = written
            for placeholder, place in places.items():
                command = command.replace(placeholder, place)
            command = re.sub(r"(^|\s)yardstick(?=\s)", lambda m: m.group(1) + yardstick, command)
            done = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command], env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, (written, done.stdout[-2000:], done.stderr[-2000:])
        served = httpx.get(f"{live.base}/v1/bulk", timeout=30).json()["snapshot"]
        restored = {
            **env,
            "YARDSTICK_CATALOG_URI": places["postgresql://…/new"],
            "YARDSTICK_WAREHOUSE": "s3://lake/restored",
        }
        listed = subprocess.run(
            [sys.executable, "-m", "service", "--data-dir", places["/var/lib/yardstick"], "snapshots"],
            env=restored,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert orjson.loads((tmp_path / "backup" / "backup.json").read_bytes())["snapshot"] == int(served)
    assert listed.returncode == 0 and served in listed.stdout, (served, listed.stdout[-1000:], listed.stderr[-1000:])
