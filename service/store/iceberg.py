"""The lake on Apache Iceberg: four Iceberg v2 tables behind pyiceberg's SQL catalog, and a commit log beside them.

The catalog database (YARDSTICK_CATALOG_URI) holds pyiceberg's SQL catalog, the commit log (one row per Yardstick
snapshot: its files and the Iceberg snapshot it pins in each table), API keys and upload answers; the warehouse
(YARDSTICK_WAREHOUSE) holds the tables' data and metadata, observations partitioned by indicator. The layout, file by
file, is in docs/design.md ("The lake on Iceberg").

One Yardstick commit, one snapshot, for every reader: each touched table's Iceberg commit is held (its metadata
written, its pointer unmoved: ``service/store/catalog.py``), then one transaction of the catalog database moves
every pointer and inserts the log row. Readers of the log (the API) and of the tables' current snapshots (DuckDB,
polars, Spark, Trino) see the commit together or not at all. A table found ahead of the log (a lake written before
commits were atomic, or another tool's change) is rolled back to the log's pin at start-up and by the next writer.

The writer lock: ``flock`` on DATA_DIR/LOCK for a SQLite catalog (one machine by construction), a PostgreSQL
session advisory lock for a shared catalog (released by the server when the writer's connection dies).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.table import Table
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from service.config import Settings
from service.errors import CatalogUnavailable, YardstickError, storage_errors
from service.model.schema import TABLES
from service.store.beacon import Beacon
from service.store.catalog import LakeCatalog, catalog_url, private_file, shown_url
from service.store.iceberg_writer import IcebergWriter
from service.store.lake import EMPTY, FileEntry, Lake, Manifest, Writer, flock_writer, timed, wait_or_busy
from service.store.layout import NAMESPACE, iceberg_schema, table_layout
from service.store.records import LOG, Idempotency, KeyStore, catalog_errors, connect
from service.store.upgrade import upgrade
from service.store.warehouse import Warehouse, plain


class IcebergLake(Lake):
    """The storage interface of ``Lake`` on Iceberg tables, a SQL catalog and a commit log."""

    @classmethod
    def of(cls, settings: Settings, wait: bool = False) -> IcebergLake:
        """The Iceberg lake these settings name (catalog, warehouse, retention); ``wait``: see ``__init__``."""
        return cls(
            settings.data_dir,
            settings.retain_snapshots,
            settings.retain_hours * 3600,
            catalog_uri=settings.catalog_uri,
            warehouse=settings.warehouse,
            cache=settings.cache_path() / "warehouse",
            fresh_seconds=settings.refresh_seconds,
            wait=wait,
        )

    def __init__(
        self,
        root: Path,
        retain_snapshots: int = 10,
        retain_seconds: float = 86400,
        catalog_uri: str | None = None,
        warehouse: str | Path | None = None,
        fresh_seconds: float = 0.5,
        cache: Path | None = None,
        wait: bool = False,
    ) -> None:
        """A catalog database that does not answer raises ``CatalogUnavailable``; with ``wait`` (a server) the lake
        opens anyway, and the catalog is prepared (its tables made, migrated or refused) on first use, once it
        answers."""
        self.root = root
        self.retain_snapshots = retain_snapshots
        self.retain_seconds = retain_seconds
        root.mkdir(parents=True, exist_ok=True)
        self.warehouse = Warehouse.of(str(warehouse or root / "warehouse"), cache or root / "cache")
        if catalog_uri is None:  # keys' hashes and upload answers live there: readable by the service's user only
            private_file(root / "catalog.db")
        self.catalog_uri = catalog_url(catalog_uri or f"sqlite:///{root.resolve() / 'catalog.db'}")
        self.catalog = LakeCatalog(
            "yardstick", uri=self.catalog_uri, warehouse=self.warehouse.uri, **self.warehouse.properties()
        )
        self.engine: Engine = self.catalog.engine
        self.schema: tuple[str | None, str] | None = None  # (revision found, revision now) once prepared
        self._preparing = threading.Lock()
        try:
            self.prepare()
        except CatalogUnavailable:
            if not wait:
                raise
        self.keys = KeyStore(self.engine, fresh_seconds, prepare=self.prepare)
        self.idempotency = Idempotency(self.engine, prepare=self.prepare)
        self.beacon = Beacon.at(root / "snapshot.beacon")

    def announce(self, snapshot: int) -> None:
        if self.beacon is not None:
            self.beacon.raise_to(snapshot)

    def seen(self) -> int:
        return self.beacon.read() if self.beacon is not None else 0

    def where(self) -> dict[str, str]:
        return {"catalog": shown_url(self.catalog_uri), "warehouse": self.warehouse.uri}

    def probe_warehouse(self) -> None:
        self.warehouse.probe()

    def prepare(self) -> tuple[str | None, str]:
        """The catalog ready for use, once: pyiceberg's tables made, Yardstick's tables at this release's head (or
        ``NewerCatalog``). Until the catalog database answers, ``CatalogUnavailable``."""
        if self.schema is None:
            with self._preparing:
                if self.schema is None:
                    with catalog_errors():
                        self.catalog.prepare()
                    self.schema = upgrade(self.engine, lambda: self._lock(60.0))
        return self.schema

    # -- reading -------------------------------------------------------------------------------------------------
    def current_id(self) -> int:
        self.prepare()
        with connect(self.engine) as c:
            found = c.execute(select(LOG.c.id).order_by(LOG.c.id.desc()).limit(1)).scalar()
        return int(found or 0)

    def manifest(self, snapshot: int | None = None) -> Manifest:
        snapshot = self.current_id() if snapshot is None else snapshot
        if snapshot == 0:
            return EMPTY
        with connect(self.engine) as c:
            row = c.execute(select(LOG.c.manifest).where(LOG.c.id == snapshot)).scalar()
        if row is None:
            raise FileNotFoundError(f"no snapshot {snapshot}")
        return Manifest.from_json(row.encode())

    def pins(self, snapshot: int) -> dict[str, int | None]:
        """The Iceberg snapshot id each table had when the Yardstick snapshot was committed."""
        if snapshot == 0:
            return dict.fromkeys(TABLES)
        with connect(self.engine) as c:
            row = c.execute(select(LOG.c.pins).where(LOG.c.id == snapshot)).scalar()
        return orjson.loads(row) if row else dict.fromkeys(TABLES)

    def snapshot_ids(self) -> list[int]:
        with connect(self.engine) as c:
            return [int(r) for r in c.execute(select(LOG.c.id).order_by(LOG.c.id)).scalars()]

    def path(self, entry: FileEntry) -> Path:
        """A local path to the file (a remote warehouse's files are cached on first use)."""
        return self.warehouse.local(entry.path, entry.bytes, entry.sha256)

    def commit_times(self) -> list[tuple[int, float]]:
        """One query for the whole log (the retention rule reads every row's time on each commit)."""
        with connect(self.engine) as c:
            rows = c.execute(select(LOG.c.id, LOG.c.committed_at).order_by(LOG.c.id)).all()
        return [(int(sid), datetime.fromisoformat(when).timestamp()) for sid, when in rows]

    def table(self, name: str) -> Table:
        """The Iceberg table (created on first use, with its schema, partitioning and sort order)."""
        identifier = f"{NAMESPACE}.{name}"
        try:
            return self.catalog.load_table(identifier)
        except NoSuchTableError:
            schema = iceberg_schema(name)
            spec, order = table_layout(name, schema)
            self.catalog.create_namespace_if_not_exists(NAMESPACE)
            return self.catalog.create_table_if_not_exists(
                identifier,
                schema=schema,
                partition_spec=spec,
                sort_order=order,
                properties={
                    "format-version": "2",
                    "write.parquet.compression-codec": "zstd",
                    # old metadata files go at commit beyond the newest 20; retention removes orphaned manifests
                    "write.metadata.delete-after-commit.enabled": "true",
                    "write.metadata.previous-versions-max": "20",
                },
            )

    def describe(self, manifest: Manifest) -> dict[str, Any]:
        """What other engines need to read a snapshot with no Yardstick code: the namespace, the warehouse, each
        table's metadata file, and the Iceberg snapshot id the Yardstick snapshot pins (for time travel)."""
        pins = self.pins(manifest.id)
        return {
            "namespace": NAMESPACE,
            "warehouse": self.warehouse.uri,
            "tables": {
                name: {"identifier": f"{NAMESPACE}.{name}", "metadata_location": location, "snapshot_id": pins[name]}
                for name, location in self.metadata_locations().items()
            },
        }

    def metadata_locations(self) -> dict[str, str]:
        """Each table's current Iceberg metadata file (what engines without a catalog open)."""
        return {name: self.table(name).metadata_location for name in TABLES}

    def retained_manifests(self) -> list[Manifest]:
        """As for the old format, less the history a migration brought (log rows whose files were not kept)."""
        return [m for m in super().retained_manifests() if m.files or not any(m.counts.values())]

    # -- retention -----------------------------------------------------------------------------------------------
    def gc(self) -> list[str]:
        """Expire Iceberg snapshots no retained Yardstick snapshot pins; delete data files no retained snapshot lists
        and, in tables that just expired snapshots, manifests and manifest lists no live snapshot uses (all old
        enough that no writer or reader still needs them). Call under the writer lock.

        Metadata is only swept where snapshots were expired: reading every live snapshot's manifest list on every
        commit would cost a commit time growing with the retained history."""
        kept = self.retained_manifests()
        referenced = {f.path for m in kept for f in m.files}
        swept = self._expire(self._pinned(kept), referenced)
        horizon = time.time() - self.retain_seconds
        removed = []
        for rel, mtime in list(self.warehouse.files(NAMESPACE)):
            _, table_name, kind = [*rel.split("/"), "", ""][:3]
            sweep = (kind == "data" and rel.endswith(".parquet")) or (kind == "metadata" and table_name in swept)
            if sweep and rel not in referenced and mtime < horizon:
                self.warehouse.remove(rel)
                removed.append(rel)
        return removed + self._gc_built({m.id for m in kept})

    def _pinned(self, kept: list[Manifest]) -> dict[str, set[int]]:
        """Each table's Iceberg snapshots to keep: those the newest ``retain_snapshots`` retained snapshots pin.

        Only those: every Iceberg snapshot lives in each table's metadata, which every commit copies, so a day of
        history there would make commits slower as it grows. Readers of older retained snapshots read their files
        through the log."""
        pinned: dict[str, set[int]] = {name: set() for name in TABLES}
        for sid in [m.id for m in kept][-self.retain_snapshots :]:
            for name, pin in self.pins(sid).items():
                if pin is not None:
                    pinned[name].add(pin)
        return pinned

    def _expire(self, pinned: dict[str, set[int]], referenced: set[str]) -> set[str]:
        """Expire every unpinned Iceberg snapshot but the current one; add the metadata files still in use to
        ``referenced``; return the tables that expired some (their metadata is swept)."""
        swept: set[str] = set()
        for name in TABLES:
            table = self.table(name)
            current = table.current_snapshot()
            keep = pinned[name] | ({current.snapshot_id} if current is not None else set())
            expire = [s.snapshot_id for s in table.snapshots() if s.snapshot_id not in keep]
            if expire:
                table.maintenance.expire_snapshots().by_ids(expire).commit()
                referenced |= self._metadata_in_use(self.table(name))
                swept.add(name)
        return swept

    def _metadata_in_use(self, table: Table) -> set[str]:
        """A table's metadata files that readers may still open: the current and logged metadata files, and the
        manifest lists and manifests of its live snapshots (as warehouse-relative paths)."""
        meta = table.metadata
        found = {table.metadata_location, *(e.metadata_file for e in meta.metadata_log)}
        for snap in meta.snapshots:
            found.add(snap.manifest_list)
            found.update(m.manifest_path for m in snap.manifests(table.io))
        base = self.warehouse.uri.rstrip("/") + "/"
        return {f.replace("file://", "", 1).removeprefix(base.replace("file://", "", 1)) for f in found}

    # -- writing -------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, wait_seconds: float = 30.0) -> Iterator[Writer]:
        self.prepare()  # before the lock: a migration takes it
        with catalog_errors(), timed(self._lock(wait_seconds)), storage_errors(), self.warehouse.outages():
            base = self.manifest()
            self._recover(base.id)
            writer = IcebergWriter(self, base)
            try:
                yield writer
            finally:
                if not writer.committed:
                    writer.discard()  # files of a commit that did not happen: unreferenced, so removed at once

    @contextlib.contextmanager
    def _lock(self, wait_seconds: float) -> Iterator[None]:
        """One writer at a time, across processes (flock) or across machines (PostgreSQL advisory lock)."""
        if self.engine.dialect.name != "postgresql":
            with flock_writer(self.root / "LOCK", wait_seconds):
                yield
            return
        deadline = time.monotonic() + wait_seconds
        with connect(self.engine) as c:
            while not c.execute(text("select pg_try_advisory_lock(hashtext('yardstick-writer'))")).scalar():
                wait_or_busy(deadline)
            try:
                yield
            finally:
                c.execute(text("select pg_advisory_unlock(hashtext('yardstick-writer'))"))

    def drift(self) -> list[str]:
        """Tables whose current Iceberg snapshot is not the one the newest log row pins: what other engines would
        read differs from the committed snapshot (a lake written before commits were atomic, or a table changed by
        another tool). Empty when every engine sees the log's snapshot."""
        out = []
        for name, pin in self.pins(self.current_id()).items():
            head = self.table(name).current_snapshot()
            if (head.snapshot_id if head else None) != pin:
                out.append(
                    f"table {NAMESPACE}.{name}: current Iceberg snapshot {head.snapshot_id if head else None}, "
                    f"the commit log pins {pin}"
                )
        return out

    def repair(self) -> list[str]:
        """Bring drifted tables back to the log's pins (under the writer lock); what was repaired."""
        drifted = self.drift()
        if drifted:
            with catalog_errors(), self._lock(30.0), storage_errors():
                self._recover(self.current_id())
        return drifted

    def _recover(self, current: int) -> None:
        """Tables ahead of the log (a writer died between table commits) go back to the snapshot the log pins."""
        home = plain(self.warehouse.uri).rstrip("/") + "/"
        for name, pin in self.pins(current).items():
            table = self.table(name)
            if not plain(table.metadata_location).startswith(home):
                raise MovedLake(
                    f"table yardstick.{name} lives in {table.location()}, outside this lake's warehouse {home}: the "
                    "folder was copied or moved (Iceberg metadata holds absolute paths), so a write here would change "
                    "the original lake's tables. Write through the original, or build a new lake from a bulk export."
                )
            head = table.current_snapshot()
            if (head.snapshot_id if head else None) == pin:
                continue
            if pin is not None:
                table.manage_snapshots().rollback_to_snapshot(pin).commit()
            else:  # the log has never seen this table's data: empty it
                table.delete(AlwaysTrue())


class MovedLake(YardstickError):
    status = 409
    type = "/problems/moved-lake"
    title = "The lake's tables live elsewhere"
