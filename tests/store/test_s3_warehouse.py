"""The lake with an s3:// warehouse on a real S3-compatible endpoint (moto's standalone server, started here):
commits upload before they reference, readers download once into their cache and check what they got, retention
deletes the bucket's unreferenced objects, and every engine reads the tables from the bucket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from service.config import REPO_DATA
from service.errors import YardstickError
from service.ingest.seed import ensure_seed
from service.store.iceberg import IcebergLake
from service.store.integrity import check
from tests import services
from tests.store.test_iceberg import KEYS_OF, revise


@pytest.fixture(scope="module")
def s3() -> Iterator[services.S3]:
    with services.s3() as found:
        yield found


@pytest.fixture
def env(s3: services.S3, monkeypatch: pytest.MonkeyPatch) -> services.S3:
    for key, value in s3.env.items():
        monkeypatch.setenv(key, value)
    return s3


def bucket(s3: services.S3) -> pafs.S3FileSystem:
    return pafs.S3FileSystem(
        access_key="testing", secret_key="testing", endpoint_override=s3.endpoint[7:], scheme="http"
    )


def stored(s3: services.S3, prefix: str) -> set[str]:
    infos = bucket(s3).get_file_info(pafs.FileSelector(prefix, recursive=True, allow_not_found=True))
    return {i.path.removeprefix(prefix + "/") for i in infos if i.type == pafs.FileType.File}


def test_commits_reads_retention_and_integrity_on_a_bucket(env: services.S3, tmp_path: Path) -> None:
    lake = IcebergLake(tmp_path / "a", 1, 0, warehouse="s3://lake/t1", cache=tmp_path / "a-cache")
    ensure_seed(lake, REPO_DATA, reviewed=False)
    for k in range(3):
        revise(lake, 8.5 + k / 10, f"2023-0{k + 2}-01")
    referenced = {f.path for f in lake.manifest().files}
    data = {p for p in stored(env, "lake/t1") if "/data/" in p}
    assert data == referenced  # retention removed the bucket's unreferenced data files, and only those
    in_use = set().union(*(lake._metadata_in_use(lake.table(name)) for name in KEYS_OF))
    assert {p for p in stored(env, "lake/t1") if "/metadata/" in p} == in_use
    assert check(lake) == []
    # another machine: an empty cache, the same catalog file and bucket
    other = IcebergLake(tmp_path / "a", 1, 0, warehouse="s3://lake/t1", cache=tmp_path / "b-cache")
    for table, order in KEYS_OF.items():
        assert (
            other.read_table(other.manifest(), table)
            .sort_by(order)
            .equals(lake.read_table(lake.manifest(), table).sort_by(order))
        )
    assert {p.relative_to(tmp_path / "b-cache").as_posix() for p in (tmp_path / "b-cache").rglob("*.parquet")} == (
        referenced
    )
    # pyiceberg reads the table straight from the bucket
    rows = other.catalog.load_table("yardstick.observations").scan().to_arrow()
    assert rows.num_rows == lake.manifest().counts["observations"]


def test_a_changed_object_is_refused_not_served(env: services.S3, tmp_path: Path) -> None:
    lake = IcebergLake(tmp_path / "a", warehouse="s3://lake/t2", cache=tmp_path / "a-cache")
    ensure_seed(lake, REPO_DATA, reviewed=False)
    entry = lake.manifest().of("observations")[0]
    with bucket(env).open_output_stream(f"lake/t2/{entry.path}") as out:
        out.write(b"not the file the log names")
    reader = IcebergLake(tmp_path / "a", warehouse="s3://lake/t2", cache=tmp_path / "fresh-cache")
    with pytest.raises(YardstickError, match="does not match the commit log"):
        reader.path(entry)
    assert not (tmp_path / "fresh-cache" / entry.path).exists()  # nothing half-downloaded left to be served


async def test_an_object_store_outage_is_a_503_with_retry_after_and_nothing_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An endpoint of its own, stopped after the seed: a write through the API is a 503 problem document with
    Retry-After (as a catalog outage is), never a 500, and the log is unchanged."""
    import httpx
    from asgi_lifespan import LifespanManager

    from service.api import create_app
    from service.config import Settings

    with services.s3() as own:
        for key, value in own.env.items():
            monkeypatch.setenv(key, value)
        settings = Settings(
            data_dir=tmp_path / "lake", warehouse="s3://lake/outage", load_seed=False, refresh_seconds=0
        )
        lake = IcebergLake.of(settings)
        ensure_seed(lake, REPO_DATA, reviewed=False)
        _, key = lake.keys.create("bureau", "write")
        app = create_app(settings)
        async with (
            LifespanManager(app) as m,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as client,
        ):
            own.stop()
            rows = "indicator,region,period,value,published\nindustry.taxes_paid,430400,2022-Q3,45.1,2023-06-01\n"
            headers = {"authorization": f"Bearer {key}", "content-type": "text/csv"}
            refused = await client.post("/v1/observations", content=rows, headers=headers)
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "5"
            assert "object store" in refused.json()["detail"] and "nothing was committed" in refused.json()["detail"]
        with pytest.raises(YardstickError) as caught:
            revise(lake, 9.9, "2023-06-02")
        assert caught.value.status == 503
        assert lake.current_id() == 1
