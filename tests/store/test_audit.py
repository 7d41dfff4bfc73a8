"""`yardstick check --deep` and `yardstick gc` on a local folder and on an S3 endpoint (moto's standalone server):
a killed writer's leftover is listed as an orphan and removed, a file young enough to be a write in flight is left
alone, and a referenced object deleted or changed in the warehouse (not the cache) fails the check, named."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.cli import main
from service.config import REPO_DATA, Settings
from service.ingest.seed import ensure_seed
from service.store.iceberg import IcebergLake
from service.store.stores import open_lake
from tests import services
from tests.store.test_s3_warehouse import bucket

HOUR = 3600


@pytest.fixture(scope="module")
def s3() -> Iterator[services.S3]:
    with services.s3() as found:
        yield found


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def leftover(lake: IcebergLake, name: str) -> str:
    """What a writer killed after writing (uploading) a data file and before committing leaves behind."""
    entry = lake.manifest().of("observations")[0]
    rel = entry.path.rsplit("/", 1)[0] + f"/{name}"
    target = lake.warehouse.new(rel)
    target.write_bytes(lake.path(entry).read_bytes())
    lake.warehouse.publish(rel)
    return rel


def scenario(lake: IcebergLake, data_dir: Path, capsys: pytest.CaptureFixture[str], min_age: str) -> None:
    where = ["--data-dir", str(data_dir)]
    code, out, err = run(capsys, *where, "check", "--deep")
    assert code == 0 and out.startswith("ok: "), err
    stray = leftover(lake, "999999-deadbeef0000.parquet")
    if not lake.warehouse.remote:  # a killed writer's file, two hours old
        os.utime(lake.warehouse.root / stray, (time.time() - 2 * HOUR, time.time() - 2 * HOUR))
    code, out, err = run(capsys, *where, "check", "--deep", "--min-age", min_age)
    assert code == 1
    assert f"orphan: {lake.warehouse.location(stray)} (no retained snapshot references it)" in err
    assert "0 problem(s), 1 orphan(s): `yardstick gc` removes the orphans" in out
    assert lake.warehouse.digest(stray) is not None
    code, out, _ = run(capsys, *where, "gc", "--dry-run", "--min-age", min_age)
    assert code == 0 and f"would remove {lake.warehouse.location(stray)}" in out
    assert lake.warehouse.digest(stray) is not None  # a dry run removes nothing
    code, out, _ = run(capsys, *where, "gc", "--min-age", min_age)
    assert code == 0 and f"removed {lake.warehouse.location(stray)}" in out and "1 orphan(s) removed" in out
    assert lake.warehouse.digest(stray) is None
    code, out, err = run(capsys, *where, "check", "--deep", "--min-age", min_age)
    assert code == 0 and out.startswith("ok: "), err


def break_referenced(lake: IcebergLake, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A referenced object deleted from the warehouse (its cached copy still there) fails the deep check only."""
    entry = lake.manifest().of("observations")[-1]
    lake.path(entry)  # cached
    lake.warehouse.remove(entry.path) if not lake.warehouse.remote else _delete_remote(lake, entry.path)
    code, out, err = run(capsys, "--data-dir", str(data_dir), "check", "--deep")
    assert code == 1 and " problem(s), 0 orphan(s)" in out
    assert f"{lake.warehouse.location(entry.path)}: missing (snapshot {lake.manifest().label} references it)" in err


def _delete_remote(lake: IcebergLake, rel: str) -> None:
    from service.store.warehouse import S3Warehouse

    assert isinstance(lake.warehouse, S3Warehouse)
    lake.warehouse.fs.delete_file(lake.warehouse._key(rel))  # the bucket only: the cache keeps its copy


def test_orphans_on_a_local_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = open_lake(Settings(data_dir=tmp_path / "lake"))
    assert isinstance(lake, IcebergLake)
    ensure_seed(lake, REPO_DATA, reviewed=False)
    young = leftover(lake, "999999-young0000000.parquet")  # a write in flight: not an orphan yet
    scenario(lake, tmp_path / "lake", capsys, str(HOUR))
    assert lake.warehouse.digest(young) is not None  # gc left the young file alone
    killed = killed_writer(tmp_path / "lake")
    assert killed.startswith("yardstick/regions/data/") and lake.warehouse.digest(killed) is not None
    code, out, err = run(capsys, "--data-dir", str(tmp_path / "lake"), "check", "--deep", "--min-age", "0")
    assert code == 1 and "0 problem(s), 2 orphan(s)" in out  # the killed writer's file, and the young one
    assert f"orphan: {lake.warehouse.location(killed)}" in err and f"orphan: {lake.warehouse.location(young)}" in err
    assert run(capsys, "--data-dir", str(tmp_path / "lake"), "gc", "--min-age", "0")[0] == 0
    assert lake.warehouse.digest(killed) is None and lake.warehouse.digest(young) is None
    break_referenced(lake, tmp_path / "lake", capsys)


KILLED = """
import os, signal, sys
from pathlib import Path
from service.store.stores import lake_at
lake = lake_at(Path(sys.argv[1]))
with lake.writer() as w:
    w.put("regions", lake.read_table(lake.manifest(), "regions"))
    print(w.partition("regions")[0].path, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # after writing its file, before committing: nothing cleans up
"""


def killed_writer(data_dir: Path) -> str:
    """A writer process killed (SIGKILL) between writing a data file and committing; the file it left."""
    done = subprocess.run([sys.executable, "-c", KILLED, str(data_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return done.stdout.strip()


def test_orphans_on_a_bucket(
    s3: services.S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**s3.env, "YARDSTICK_WAREHOUSE": "s3://lake/audit", "YARDSTICK_CACHE_DIR": str(tmp_path)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    lake = open_lake(Settings(data_dir=tmp_path / "lake"))
    assert isinstance(lake, IcebergLake) and lake.warehouse.remote
    ensure_seed(lake, REPO_DATA, reviewed=False)
    scenario(lake, tmp_path / "lake", capsys, "0")
    changed = lake.manifest().of("regions")[0]
    with bucket(s3).open_output_stream(f"lake/audit/{changed.path}") as out:
        out.write(b"not the file the log names")
    code, out, err = run(capsys, "--data-dir", str(tmp_path / "lake"), "check", "--deep")
    assert code == 1 and f"s3://lake/audit/{changed.path}: 26 bytes, snapshot" in err
    break_referenced(lake, tmp_path / "lake", capsys)
    code, _, _ = run(capsys, "--data-dir", str(tmp_path / "lake"), "check")
    assert code == 0  # the plain check reads this machine's cache, which still has good copies: --deep is needed
