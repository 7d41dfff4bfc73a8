"""The command line: ingest reports located problems and exits 2; dry runs commit nothing; check and snapshots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service.store.stores import lake_at
from tests.helpers import csv_bytes, fingerprint, obs


def yardstick(lake: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(lake), *args], capture_output=True, text=True, timeout=120
    )


def test_ingest_bad_file_exits_2_naming_row_and_column(lake_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes(
            [
                obs("industry.value_added.growth", "430100", "2022-Q3", 1),
                obs("industry.value_added.growth", "430100", "2022-Q9", 1),
            ]
        )
    )
    before = fingerprint(lake_dir)
    r = yardstick(lake_dir, "ingest", str(bad))
    assert r.returncode == 2
    assert "file bad.csv, row 3, column period" in r.stderr and "2022-Q9" in r.stderr
    assert fingerprint(lake_dir) == before


def test_dry_run_then_commit_then_check(lake_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([obs("industry.value_added.growth", "430100", "2022-Q3", 7.7)]))
    before = fingerprint(lake_dir)
    dry = yardstick(lake_dir, "ingest", "--dry-run", str(good))
    assert dry.returncode == 0 and '"dry_run": true' in dry.stdout and fingerprint(lake_dir) == before
    done = yardstick(lake_dir, "ingest", str(good))
    assert done.returncode == 0 and '"snapshot": "000002"' in done.stdout
    log = yardstick(lake_dir, "snapshots")
    assert log.stdout.splitlines()[-1].startswith("000002") and "good.csv" in log.stdout
    assert yardstick(lake_dir, "check").stdout.strip() == "ok"
    lake = lake_at(lake_dir)
    victim = lake.path(lake.manifest().of("regions")[0])
    victim.write_bytes(victim.read_bytes()[:-10])
    broken = yardstick(lake_dir, "check")
    assert broken.returncode == 1 and "bytes, manifest says" in broken.stderr


def test_every_command_names_the_absolute_lake_it_uses(lake_dir: Path, tmp_path: Path) -> None:
    relative = Path("lake")
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([obs("industry.value_added.growth", "430100", "2022-Q3", 7.7)]))
    for args in (["snapshots"], ["check"], ["ingest", "--dry-run", str(good)]):
        r = subprocess.run(
            [sys.executable, "-m", "service", "--data-dir", str(relative), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=lake_dir.parent,
        )
        assert r.returncode == 0, r.stderr
        assert f"yardstick: lake {lake_dir.resolve()}" in r.stderr.splitlines()[0]
