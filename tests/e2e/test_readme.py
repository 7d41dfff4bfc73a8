"""The README's commands, as written, against a real server: every curl line (with --fail added by a wrapper, so a
4xx fails the test), the CLI lines of "Loading data", and the Python snippets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service.config import REPO_DATA
from service.store.stores import lake_at
from tests.live import live_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCUMENTED = "http://127.0.0.1:8000"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def commands(prefix: str) -> list[str]:
    """Shell lines starting with ``prefix`` (backslash continuations joined), from the sh blocks."""
    out = []
    for block in blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith(prefix):
                out.append(line.strip())
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the README's input files and a curl that fails on HTTP errors."""
    work = tmp_path_factory.mktemp("readme")
    for name in ("regions.csv", "indicators.csv", "sources.csv", "observations.csv"):
        shutil.copy(REPO_DATA / name, work / name)
    bin_dir = work / "bin"
    bin_dir.mkdir()
    real = shutil.which("curl")
    assert real is not None, "curl is needed"
    (bin_dir / "curl").write_text(f'#!/bin/sh\nexec {real} --fail-with-body --show-error "$@"\n')
    (bin_dir / "curl").chmod(0o755)
    # DuckDB installs httpfs on first use; offline, the home of a user who has it: from the pip package
    import duckdb
    import duckdb_extension_httpfs

    found = next(Path(duckdb_extension_httpfs.__file__).parent.glob("extensions/*/httpfs.duckdb_extension"))
    platform = duckdb.sql("pragma platform").fetchone()
    assert platform is not None
    home = work / "home" / ".duckdb" / "extensions" / f"v{duckdb.__version__}" / platform[0]
    home.mkdir(parents=True)
    shutil.copy(found, home / found.name)
    return work


def test_every_readme_command_works_as_written(lake_dir: Path, workdir: Path) -> None:
    curls = commands("curl")
    clis = commands(".venv/bin/yardstick")
    assert len(curls) >= 15 and len(clis) >= 4
    key = lake_at(lake_dir).keys.create("readme", "write")[1]
    venv_bin = Path(sys.executable).parent
    with live_server(lake_dir, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        env = {
            **os.environ,
            "PATH": f"{workdir / 'bin'}:{os.environ['PATH']}",
            "KEY": key,
            "YARDSTICK_DATA_DIR": str(lake_dir),
            "HOME": str(workdir / "home"),
        }
        for line in curls + clis:
            command = line.replace(DOCUMENTED, live.base).replace(".venv/bin/", f"{venv_bin}/")
            run = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert run.returncode == 0, f"{line}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
        assert (
            "衡阳市"
            in subprocess.run(
                ["bash", "-c", commands("curl -s -G")[0].replace(DOCUMENTED, live.base)],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
        )
        assert (workdir / "taxes.csv").read_bytes().startswith("\ufeff".encode())
        assert (workdir / "chart.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")
        for snippet in blocks("python"):
            code = snippet.replace(DOCUMENTED, live.base)
            run = subprocess.run(
                [sys.executable, "-c", code], cwd=workdir, env=env, capture_output=True, text=True, timeout=180
            )
            assert run.returncode == 0, f"{snippet}\n{run.stderr[-3000:]}"
