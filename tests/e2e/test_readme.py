"""The README's commands, as written, against a real server: every curl line (with --fail added by a wrapper, so a
4xx fails the test), the CLI lines of "Loading data", the Python snippets, and the R snippets (with Rscript, when R
is installed: scripts/test installs it where it may)."""

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
from tests import sheets
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
    # a county table as bureaus send it: a note sheet first, then a wide 地区 × 指标 sheet with a title and notes
    (work / "县市区.xlsx").write_bytes(sheets.xlsx(sheets.WIDE_ROWS, sheets.WIDE_MERGES, before="说明"))
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
        assert (workdir / "hunan-ranks.csv").read_text(encoding="utf-8").startswith("\ufeff")
        assert "衡阳市" in (workdir / "hunan-ranks.csv").read_text(encoding="utf-8-sig")
        assert (workdir / "hengyang-wide.xlsx").read_bytes().startswith(b"PK")  # a zip: an Office Open XML workbook
        for snippet in blocks("python"):
            code = snippet.replace(DOCUMENTED, live.base)
            run = subprocess.run(
                [sys.executable, "-c", code], cwd=workdir, env=env, capture_output=True, text=True, timeout=180
            )
            assert run.returncode == 0, f"{snippet}\n{run.stderr[-3000:]}"


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (scripts/test installs r-base-core)")
def test_every_readme_r_snippet_works_as_written(lake_dir: Path, tmp_path: Path) -> None:
    """Each R block, run by Rscript in a UTF-8 session: it succeeds and prints Hengyang's name and figure."""
    snippets = blocks("r")
    assert snippets, "the README has R snippets"
    with live_server(lake_dir) as live:
        for snippet in snippets:
            script = tmp_path / "snippet.R"
            script.write_text(snippet.replace(DOCUMENTED, live.base), encoding="utf-8")
            run = subprocess.run(
                ["Rscript", str(script)],
                cwd=tmp_path,
                env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert run.returncode == 0, f"{snippet}\n{run.stderr[-2000:]}"
            assert "衡阳市" in run.stdout and "8.4" in run.stdout, run.stdout
