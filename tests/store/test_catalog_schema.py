"""The catalog's Yardstick tables under Alembic (service/store/upgrade.py): a catalog made by ``create_all`` before
migrations existed is adopted with its rows, the migrations build exactly the tables the code declares, and a
catalog a newer release migrated is refused in one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from service.cli import main
from service.config import REPO_DATA
from service.ingest.seed import ensure_seed
from service.store.iceberg import IcebergLake
from service.store.records import METADATA, create_all
from service.store.upgrade import VERSION_TABLE, NewerCatalog, head, revision
from tests.live import free_port


def test_a_lake_made_by_create_all_is_adopted_without_losing_a_row(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    root.mkdir()
    engine = create_engine(f"sqlite:///{root / 'catalog.db'}")
    create_all(engine)  # the catalog exactly as the releases before migrations made it: tables, no version row
    engine.dispose()
    old = IcebergLake(root)
    old.keys.create("ops", "write")
    ensure_seed(old, REPO_DATA, reviewed=False)
    with old.engine.begin() as c:  # forget the version, as a lake made by create_all has none
        c.execute(text(f"drop table {VERSION_TABLE}"))
    lake = IcebergLake(root)
    assert lake.schema == (None, head())
    assert [k.name for k in lake.keys.all()] == ["ops"]
    assert lake.current_id() == old.current_id() > 0 and lake.manifest().counts == old.manifest().counts
    with lake.engine.connect() as c:
        assert revision(c) == head()


def test_the_migrations_build_the_tables_the_code_declares(tmp_path: Path) -> None:
    lake = IcebergLake(tmp_path / "lake")
    with lake.engine.connect() as c:
        ours = [n for n in inspect(c).get_table_names() if n.startswith("yardstick_") and n != VERSION_TABLE]
        only_ours = {"include_name": lambda name, kind, _: kind != "table" or name in ours}
        ctx = MigrationContext.configure(c, opts=only_ours)
        assert compare_metadata(ctx, METADATA) == []
    assert sorted(ours) == sorted(METADATA.tables)


def test_a_catalog_of_a_newer_release_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("YARDSTICK_DATA_DIR", "YARDSTICK_PUBLIC_URL"):  # `serve` hands these to its workers: undone after
        monkeypatch.setenv(name, "")  # recorded as absent-before, so undone even if serve sets it
        monkeypatch.delenv(name)
    root = tmp_path / "lake"
    lake = IcebergLake(root)
    with lake.engine.begin() as c:
        c.execute(text(f"update {VERSION_TABLE} set version_num = '9999_future'"))
    with pytest.raises(NewerCatalog, match="revision 9999_future, which this release does not know"):
        IcebergLake(root)
    for command in (["snapshots"], ["serve", "--port", str(free_port())]):  # the service does not start either
        assert main(["--data-dir", str(root), *command]) == 2
        err = capsys.readouterr().err
        assert "error: the catalog database" in err and "a newer Yardstick migrated it" in err


def test_migrate_catalog_says_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "lake"
    assert main(["--data-dir", str(root), "migrate-catalog"]) == 0
    assert f"upgraded from revision (none: made before migrations) to {head()}" in capsys.readouterr().out
    assert main(["--data-dir", str(root), "migrate-catalog"]) == 0
    assert f"at revision {head()}: nothing to do" in capsys.readouterr().out
