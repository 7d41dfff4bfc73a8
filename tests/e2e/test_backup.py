"""`yardstick backup` of a live server's lake while uploads keep committing, and `yardstick restore` into another
folder and into a bucket prefix of an S3 endpoint (moto's standalone server): the restored lake serves the same
snapshot, with the same bulk files byte for byte (SHA-256), keeps its API keys, and takes writes at once."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from service.cli import main
from service.config import Settings
from service.store.audit import audit
from service.store.iceberg import IcebergLake
from service.store.stores import lake_at, open_lake
from tests import services
from tests.e2e.test_read_your_write import latest, upload
from tests.helpers import seeded_copy
from tests.live import live_server
from tests.store.test_iceberg import revise


class Load:
    """Uploads, one after another, until stopped: each a new vintage of one figure."""

    def __init__(self, base: str, key: str) -> None:
        self.base, self.key = base, key
        self.committed: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        day = date(2023, 1, 1)
        while not self.stop.is_set():
            day += timedelta(days=1)
            r = upload(self.base, self.key, 50 + len(self.committed) / 10, day.isoformat())
            assert r.status_code == 201, r.text
            self.committed.append(r.json()["snapshot"])

    def until(self, count: int) -> None:
        for _ in range(600):
            if len(self.committed) >= count or not self.thread.is_alive():
                return
            self.stop.wait(0.1)


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, int, dict[str, str]]]:
    """A backup taken under load: (its folder, the key, its snapshot, the original's bulk files of that snapshot
    by name with their SHA-256)."""
    root = tmp_path_factory.mktemp("backup")
    lake = seeded_copy(root / "live")
    _, key = lake_at(lake).keys.create("bureau", "write")
    with live_server(lake) as live:
        load = Load(live.base, key)
        load.thread.start()
        load.until(2)
        assert main(["--data-dir", str(lake), "backup", str(root / "copy")]) == 0
        snapshot = lake_at(lake).manifest(int(load.committed[-1])).id  # at least what was committed before
        load.until(len(load.committed) + 2)
        load.stop.set()
        load.thread.join(timeout=120)
        taken = orjson.loads((root / "copy" / "backup.json").read_bytes())["snapshot"]
        assert snapshot <= taken < int(load.committed[-1])  # writes went on during and after the backup
        names = [f["name"] for f in httpx.get(f"{live.base}/v1/bulk", timeout=60).json()["files"]]
        sums = {}
        for name in names:
            r = httpx.get(f"{live.base}/v1/bulk/{taken:06d}/{name}.parquet", timeout=60)
            if r.status_code == 200:
                sums[name] = hashlib.sha256(r.content).hexdigest()
    yield root / "copy", key, taken, sums


def test_restore_into_another_folder_serves_the_same_snapshot_and_takes_writes(
    backed_up: tuple[Path, str, int, dict[str, str]], tmp_path: Path
) -> None:
    copy, key, taken, sums = backed_up
    target = tmp_path / "restored"
    assert main(["--data-dir", str(target), "restore", str(copy)]) == 0
    with live_server(target) as live:
        manifest = httpx.get(f"{live.base}/v1/bulk", timeout=60).json()
        assert manifest["snapshot"] == f"{taken:06d}"
        restored = {f["name"]: f["sha256"] for f in manifest["files"]}
        assert "observations" in sums and {k: restored[k] for k in sums} == sums  # byte for byte
        for name in sums:  # and what it serves is what the manifest says
            body = httpx.get(f"{live.base}/v1/bulk/latest/{name}.parquet", timeout=60, follow_redirects=True).content
            assert hashlib.sha256(body).hexdigest() == sums[name]
        older = httpx.get(f"{live.base}/v1/bulk/{taken - 1:06d}/observations.parquet", timeout=60)
        assert older.status_code == 410  # history without files: gone, not an empty download
        written = upload(live.base, key, 77.7, "2025-06-01")  # the key came along; the moved lake takes writes
        assert written.status_code == 201, written.text
        assert written.json()["snapshot"] == f"{taken + 1:06d}"
        assert latest(live.base)[1] == 77.7
    found = audit(open_lake(Settings(data_dir=target)), 0)
    assert found.problems == [] and found.checked > 0


def test_restore_into_a_bucket_prefix(
    backed_up: tuple[Path, str, int, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy, _, taken, _ = backed_up
    with services.s3() as s3:
        env = {**s3.env, "YARDSTICK_WAREHOUSE": "s3://lake/restored", "YARDSTICK_CACHE_DIR": str(tmp_path / "c")}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert main(["--data-dir", str(tmp_path / "restored"), "restore", str(copy)]) == 0
        lake = open_lake(Settings(data_dir=tmp_path / "restored", cache_dir=tmp_path / "other-cache"))
        assert isinstance(lake, IcebergLake) and lake.warehouse.uri == "s3://lake/restored"
        assert lake.current_id() == taken
        assert audit(lake, 0).problems == []  # every object read back from the bucket
        assert main(["--data-dir", str(tmp_path / "restored"), "restore", str(copy)]) == 2  # not into a used lake
        rows = lake.catalog.load_table("yardstick.observations").scan().to_arrow()
        assert rows.num_rows == lake.manifest().counts["observations"]
        revise(lake, 9.9, "2025-07-01")
        assert lake.current_id() == taken + 1 and lake.drift() == []
