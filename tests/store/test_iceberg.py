"""The lake on Apache Iceberg (pyiceberg's SQL catalog on SQLite, a local warehouse): the API serves it, other
engines read the same rows with no Yardstick code, a writer's death between table commits is repaired by the next
writer, and retention expires Iceberg snapshots and files."""

from __future__ import annotations

import pathlib
from collections.abc import AsyncIterator
from pathlib import Path

import daft
import duckdb
import httpx
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from asgi_lifespan import LifespanManager
from pyiceberg.catalog.sql import SqlCatalog

from service.api import create_app
from service.config import REPO_DATA, Settings
from service.ingest.load import ingest
from service.ingest.seed import ensure_seed
from service.store.iceberg import LOG, IcebergLake
from service.store.lake import Lake, OldFormat
from service.store.oldformat import OldLake
from service.store.stores import lake_at, open_lake
from tests.helpers import csv_bytes, obs

VA = "industry.value_added.growth"
ROW = ["indicator", "region", "period", "published", "value"]


@pytest.fixture
def lake(tmp_path: Path) -> IcebergLake:
    found = open_lake(Settings(data_dir=tmp_path / "lake"))
    assert isinstance(found, IcebergLake)
    ensure_seed(found, REPO_DATA, reviewed=False)
    return found


async def api(lake: IcebergLake) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=lake.root, load_seed=False, refresh_seconds=0))
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as c,
    ):
        yield c


def revise(lake: Lake, value: float, day: str) -> None:
    ingest(lake, [("rev.csv", csv_bytes([obs(VA, "430400", "2022-Q3", value, day)]))])


def duckdb_rows(metadata_location: str) -> set[tuple[object, ...]]:
    import duckdb_extension_avro
    import duckdb_extension_iceberg

    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    for module in (duckdb_extension_avro, duckdb_extension_iceberg):  # avro first: iceberg needs it
        folder = pathlib.Path(str(module.__file__)).parent
        con.execute(f"load '{next(folder.glob('extensions/*/*.duckdb_extension'))}'")
    query = f"select {', '.join(ROW)} from iceberg_scan('{metadata_location}')"
    return {(i, r, p, str(d), v) for i, r, p, d, v in con.execute(query).fetchall()}


def as_rows(table: pa.Table) -> set[tuple[object, ...]]:
    return {(r["indicator"], r["region"], r["period"], str(r["published"]), r["value"]) for r in table.to_pylist()}


async def test_the_api_serves_an_iceberg_lake_and_other_engines_read_the_same_rows(
    lake: IcebergLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLARS_ICEBERG_PLANNER", "pyiceberg")  # polars plans through pyiceberg (no extra plugin)
    revise(lake, 8.5, "2023-02-01")
    async for client in api(lake):
        compare = (await client.get(f"/v1/compare/{VA}/430400", params={"period": "2022-Q3"})).json()
        period = compare["periods"][0]
        assert period["value"] == 8.5 and {a["region"]: a["value"] for a in period["against"]} == {
            "430000": 7.4,
            "CN": 3.9,
        }
        served = (
            await client.get("/v1/observations", params={"vintages": "all", "limit": "10000", "format": "json"})
        ).json()
        assert served["total"] == 56 and served["snapshot"] == "000002"
        api_rows = {
            (o["indicator"], o["region"], o["period"], o["published"], o["value"]) for o in served["observations"]
        }
    table = lake.catalog.load_table("yardstick.observations")
    assert as_rows(table.scan().to_arrow()) == api_rows  # pyiceberg
    assert duckdb_rows(table.metadata_location) == api_rows  # DuckDB's iceberg extension
    assert as_rows(pl.scan_iceberg(table).collect().to_arrow()) == api_rows  # polars
    assert as_rows(daft.read_iceberg(table).to_arrow()) == api_rows  # Daft (reads Parquet by Iceberg field id)
    first = lake.path(lake.manifest().of("observations")[0])
    ids = [f.metadata[b"PARQUET:field_id"] for f in pq.read_schema(first)]
    assert ids == [str(table.schema().find_field(f.name).field_id).encode() for f in pq.read_schema(first)]
    assert table.spec().fields[0].name == "indicator" and table.metadata.format_version == 2
    assert table.schema().find_field("quote").doc == "The sentence the figure came from"
    assert [lake.pins(2)[name] for name in ("observations",)] == [table.current_snapshot().snapshot_id]


def test_a_writer_dead_between_table_commits_is_repaired_by_the_next(lake: IcebergLake) -> None:
    pinned = lake.pins(1)
    # what a writer killed after its first table commit leaves: the regions table one commit ahead of the log
    regions = lake.table("regions")
    with regions.transaction() as tx:
        tx.delete("code == 'CN'")
    assert regions.current_snapshot() is not None and regions.current_snapshot().snapshot_id != pinned["regions"]
    assert lake.current_id() == 1 and lake.manifest().counts["regions"] == 3218  # readers follow the log
    revise(lake, 8.6, "2023-03-01")  # the next writer repairs, then commits
    assert lake.current_id() == 2
    regions = lake.table("regions")
    assert regions.scan().to_arrow().num_rows == 3218
    assert regions.current_snapshot().snapshot_id == pinned["regions"] == lake.pins(2)["regions"]
    assert lake.pins(2)["observations"] != pinned["observations"]


def fresh_heads(lake: IcebergLake) -> dict[str, int | None]:
    """Each table's current snapshot as another engine sees it: through a new catalog, nothing cached."""
    other = SqlCatalog("yardstick", uri=lake.catalog_uri, warehouse=lake.warehouse.uri)
    heads = {}
    for name in ("regions", "indicators", "sources", "observations"):
        head = other.load_table(f"yardstick.{name}").current_snapshot()
        heads[name] = head.snapshot_id if head else None
    return heads


def test_tables_move_only_with_the_log_row(lake: IcebergLake, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that dies after writing every table's metadata but before the catalog transaction leaves every table
    where the log says: other engines never see a commit that did not happen."""
    import service.store.iceberg_writer as iceberg  # the writer publishes there

    before = fresh_heads(lake)
    assert before == lake.pins(1)
    real = iceberg.connect

    def dies_at_the_commit_point(engine: object, begin: bool = False) -> object:
        if begin:
            raise SystemExit("killed")  # as a SIGKILL would, between the table commits and the log row
        return real(engine, begin)  # type: ignore[arg-type]

    monkeypatch.setattr(iceberg, "connect", dies_at_the_commit_point)
    source = "id,title\nnew-source,A new source\n"
    with pytest.raises(SystemExit):
        ingest(
            lake,
            [("s.csv", source.encode()), ("rev.csv", csv_bytes([obs(VA, "430400", "2022-Q3", 9.9, "2023-05-01")]))],
        )
    monkeypatch.setattr(iceberg, "connect", real)
    assert lake.current_id() == 1 and fresh_heads(lake) == before  # nothing moved: not sources, not observations
    assert lake.drift() == []
    revise(lake, 8.7, "2023-04-01")  # the next writer commits on top as usual
    after = fresh_heads(lake)
    assert after == lake.pins(2) and after["observations"] != before["observations"]
    assert after["sources"] == before["sources"]


async def test_check_reports_a_drifted_table_and_start_up_repairs_it(lake: IcebergLake) -> None:
    from service.store.integrity import check

    with lake.table("regions").transaction() as tx:  # a table moved outside a Yardstick commit
        tx.delete("code == 'CN'")
    problems = check(lake)
    assert len(problems) == 1 and "yardstick.regions" in problems[0] and "pins" in problems[0]
    async for client in api(lake):  # the service's start repairs it
        assert (await client.get("/v1/regions/CN")).status_code == 200
    assert check(lake) == [] and fresh_heads(lake) == lake.pins(1)
    assert lake.table("regions").scan().to_arrow().num_rows == 3218


def test_retention_expires_snapshots_and_files_but_keeps_what_is_pinned(lake: IcebergLake) -> None:
    lake.retain_snapshots, lake.retain_seconds = 1, 0
    for k in range(3):
        revise(lake, 8.5 + k / 10, f"2023-0{k + 2}-01")
    table = lake.table("observations")
    assert {s.snapshot_id for s in table.snapshots()} == {lake.pins(4)["observations"]}
    root = lake.warehouse.root
    metadata = {p.relative_to(root).as_posix() for p in root.rglob("*/metadata/*")}
    in_use = set().union(*(lake._metadata_in_use(lake.table(name)) for name in KEYS_OF))
    assert metadata == in_use  # orphaned manifests and manifest lists removed, nothing in use lost
    files = {p.relative_to(root).as_posix() for p in root.rglob("data/**/*.parquet")}
    assert files == {f.path for f in lake.manifest().files}
    assert len(duckdb_rows(table.metadata_location)) == 55 + 3


def test_formats_are_detected_and_the_log_is_the_commit_point(tmp_path: Path, lake: IcebergLake) -> None:
    old = OldLake(tmp_path / "old")  # a lake in the old format
    ensure_seed(old, REPO_DATA, reviewed=False)
    with pytest.raises(OldFormat, match="migrate"):
        open_lake(Settings(data_dir=tmp_path / "old"))
    assert isinstance(lake_at(lake.root), IcebergLake)
    with lake.engine.connect() as c:
        assert c.execute(LOG.select()).fetchone() is not None
    with pytest.raises(FileNotFoundError):
        lake.manifest(99)


def test_migrate_keeps_every_row_and_the_commit_log(tmp_path: Path) -> None:
    from service.store.integrity import check
    from service.store.oldformat import migrate

    root = tmp_path / "old"
    old = OldLake(root)  # the old format, written as before
    ensure_seed(old, REPO_DATA, reviewed=False)
    revise(old, 8.6, "2023-01-20")
    before = {t: old.read_table(old.manifest(), t).sort_by(KEYS_OF[t]) for t in KEYS_OF}
    new = IcebergLake(root)
    migrated = migrate(old, new)
    assert migrated.id == 2 and migrated.committed_at == old.manifest().committed_at
    assert [new.manifest(i).author for i in (1, 2)] == ["seed", "cli"]
    assert new.manifest(1).counts == old.manifest(1).counts and new.manifest(1).files == ()
    assert new.retained() == {2}  # the history has no files to serve
    for table, rows in before.items():
        assert new.read_table(new.manifest(), table).sort_by(KEYS_OF[table]).equals(rows), table
    assert check(new) == []
    assert isinstance(lake_at(root), IcebergLake)  # the catalog wins over the old files left beside it


def test_migrate_brings_api_keys_and_idempotency_records_into_the_catalog(tmp_path: Path) -> None:
    import hashlib

    from service.store.records import Idempotency, import_files

    root = tmp_path / "old"
    secret = "ys_0123456789ab_secret"
    old_key = {"id": "0123456789ab", "name": "bureau", "scope": "write", "created": "2026-01-01T00:00:00+00:00"}
    old_key["sha256"] = hashlib.sha256(secret.encode()).hexdigest()
    root.mkdir()
    (root / "keys.json").write_bytes(orjson.dumps([old_key]))
    ident = Idempotency.ident("bureau", "upload-1")
    (root / "idempotency").mkdir()
    (root / "idempotency" / f"{ident}.json").write_bytes(
        orjson.dumps({"sha256": "ab" * 32, "status": 201, "response": {"snapshot": "000002"}})
    )
    lake = IcebergLake(root)
    assert import_files(root, lake.engine) == (1, 1)
    assert import_files(root, lake.engine) == (0, 0)  # idempotent itself
    key = lake.keys.check(secret)
    assert key is not None and key.name == "bureau" and key.allows("write")
    seen = lake.idempotency.recall(ident)
    assert seen is not None and seen.status == 201 and seen.response == {"snapshot": "000002"}


KEYS_OF = {
    "regions": [("code", "ascending")],
    "indicators": [("code", "ascending")],
    "sources": [("id", "ascending")],
    "observations": [(k, "ascending") for k in ("indicator", "region", "period", "published")],
}


def test_a_service_pointed_at_an_old_lake_refuses_in_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    ensure_seed(OldLake(tmp_path / "old"), REPO_DATA, reviewed=False)
    run = subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(tmp_path / "old"), "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert run.returncode == 2 and len(errors) == 1 and "yardstick --data-dir" in errors[0] and "migrate" in errors[0]
    migrated = subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(tmp_path / "old"), "migrate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0 and "migrated snapshot 000001" in migrated.stdout, migrated.stderr
    assert isinstance(lake_at(tmp_path / "old"), IcebergLake)


async def test_bulk_names_the_iceberg_tables_of_the_snapshot(lake: IcebergLake) -> None:
    revise(lake, 8.5, "2023-02-01")
    async for client in api(lake):
        iceberg = (await client.get("/v1/bulk")).json()["iceberg"]
    observations = iceberg["tables"]["observations"]
    assert observations["identifier"] == "yardstick.observations"
    assert observations["snapshot_id"] == lake.pins(2)["observations"]
    assert len(duckdb_rows(observations["metadata_location"])) == 56  # what an engine without a catalog opens


def test_a_copied_lake_refuses_writes_instead_of_changing_the_original(lake: IcebergLake, tmp_path: Path) -> None:
    import shutil

    from service.store.iceberg import MovedLake

    copy = tmp_path / "copy"
    shutil.copytree(lake.root, copy)
    before = lake.table("observations").metadata_location
    with pytest.raises(MovedLake, match="copied or moved"):
        revise(IcebergLake(copy), 9.9, "2024-01-01")
    assert lake.table("observations").metadata_location == before  # the original is untouched
    assert IcebergLake(copy).manifest().counts == lake.manifest().counts  # reading the copy still works


async def test_an_append_adds_a_file_to_the_partition_and_a_later_one_rewrites_it(lake: IcebergLake) -> None:
    from service.ingest.load import MAX_PARTS

    def files() -> list[str]:
        return [f.path for f in lake.manifest().partitions()[VA]]

    history = [obs(VA, "430400", f"{y}-Q{q}", 5.0, "2021-01-31") for y in range(2010, 2020) for q in range(1, 5)]
    ingest(lake, [("history.csv", csv_bytes(history))])  # 40 rows beside a few: rewritten as one file
    first = files()
    assert len(first) == 1
    revise(lake, 8.5, "2023-02-01")  # one row beside 40-odd: one more file, the stored one kept
    assert files()[0] == first[0] and len(files()) == 2
    planned = {
        t.file.file_path for t in lake.table("observations").scan(row_filter=f"indicator == '{VA}'").plan_files()
    }
    assert planned == {lake.warehouse.location(p) for p in files()}  # Iceberg lists both; other engines read both
    async for client in api(lake):
        series = (await client.get(f"/v1/series/{VA}/430400", params={"vintages": "all"})).json()
        q3 = [(o["published"], o["value"]) for o in series["observations"] if o["period"] == "2022-Q3"]
        assert q3 == [("2022-10-31", 8.4), ("2023-02-01", 8.5)]  # one series from two files, in vintage order
        body = (await client.get(f"/v1/bulk/{lake.manifest().label}/observations/{VA}.parquet")).content
        joined = pq.read_table(pa.BufferReader(body))
        assert joined.num_rows == sum(f.rows for f in lake.manifest().partitions()[VA])
        keys = list(zip(*(joined.column(k).to_pylist() for k in ("region", "period_end", "published")), strict=True))
        assert keys == sorted(keys)  # the two files as one sorted download
    for k in range(MAX_PARTS - 1):
        revise(lake, 8.6 + k / 10, f"2023-03-{k + 10}")
    assert len(files()) == 1 and files()[0] not in first  # compacted: one file again, every vintage in it
    stored = pq.read_table(lake.path(lake.manifest().partitions()[VA][0]))
    assert pa.compute.sum(pa.compute.equal(stored.column("period"), "2022-Q3")).as_py() >= MAX_PARTS + 1
