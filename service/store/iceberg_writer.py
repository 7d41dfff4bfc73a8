"""Writing a Yardstick commit into the Iceberg tables: new data files straight into the warehouse, each touched
table's changes held, then published with the commit log's row in one transaction of the catalog database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from pyiceberg.expressions import AlwaysTrue, In
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from service.errors import YardstickError
from service.model.schema import TABLES
from service.store.lake import FileEntry, Manifest, Writer
from service.store.layout import NAMESPACE
from service.store.records import LOG, connect

if TYPE_CHECKING:
    from service.store.iceberg import IcebergLake


class IcebergWriter(Writer):
    """Writes new data files straight into the warehouse (invisible until a commit references them); ``commit``
    replaces the changed partitions of each touched table, then appends the log row: the commit point."""

    lake: IcebergLake
    committed = False

    def _locations(self, table: str, indicator: str | None, name: str) -> tuple[Path, Path, str]:
        folder = f"{NAMESPACE}/{table}/data" + (f"/indicator={indicator}" if indicator else "")
        target = self.lake.warehouse.new(f"{folder}/{name}")
        return target, target, f"{folder}/{name}"

    def discard(self) -> None:
        """Remove the files this writer wrote (none is referenced unless the commit happened)."""
        old = {f.path for f in self.base.files}
        for part in self.files.values():
            for entry in part:
                if entry.path not in old:
                    self.lake.warehouse.remove(entry.path)

    def _publish(self, manifest: Manifest) -> None:
        before, after = _partitions(self.base.files), _partitions(manifest.files)
        pins = self.lake.pins(self.base.id)
        old = {f.path for f in self.base.files}
        for entry in manifest.files:  # a remote warehouse gets the new files before any table references them
            if entry.path not in old:
                self.lake.warehouse.publish(entry.path)
        with self.lake.catalog.held():  # tables change only with the log row below, in one transaction
            for name in TABLES:
                changed = sorted(
                    (k for k in before.keys() | after.keys() if k[0] == name and before.get(k) != after.get(k)), key=str
                )
                if changed:
                    pins[name] = self._commit_table(name, changed, before, after)
            with connect(self.lake.engine, begin=True) as c:
                self.lake.catalog.publish(c)
                try:
                    c.execute(
                        insert(LOG).values(
                            id=manifest.id,
                            committed_at=manifest.committed_at,
                            manifest=manifest.to_json().decode(),
                            pins=orjson.dumps(pins).decode(),
                        )
                    )
                except IntegrityError as exc:  # another writer took this id: the lock was not held (should not happen)
                    raise YardstickError(f"snapshot {manifest.id} was committed by another writer") from exc
        self.committed = True

    def _commit_table(self, name: str, changed: list[Partition], before: Partitions, after: Partitions) -> int | None:
        """Commit one table's changed partitions (held until the log row) and return its new Iceberg snapshot id. A
        partition that lost a file is replaced whole (metadata only); one that only gained files is appended to."""
        replaced = [k for k in changed if not before.get(k, set()) <= after.get(k, set())]
        added = [
            p for k in changed for p in sorted(after.get(k, set()) - (set() if k in replaced else before.get(k, set())))
        ]
        table = self.lake.table(name)
        with table.transaction() as tx:
            if replaced:
                codes = [k[1] or "" for k in replaced]
                tx.delete(In(term="indicator", literals=codes) if name == "observations" else AlwaysTrue())
            if added:
                tx.add_files([self.lake.warehouse.location(p) for p in added], check_duplicate_files=False)
        head = table.current_snapshot()
        return head.snapshot_id if head else None


Partition = tuple[str, str | None]  # (table, indicator)
Partitions = dict[Partition, set[str]]


def _partitions(files: tuple[FileEntry, ...]) -> Partitions:
    """Each partition's file paths (a catalog table is one partition)."""
    out: dict[tuple[str, str | None], set[str]] = {}
    for f in files:
        out.setdefault((f.table, f.indicator), set()).add(f.path)
    return out
