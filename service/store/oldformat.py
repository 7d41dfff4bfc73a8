"""The first release's lake format, kept so that ``yardstick migrate`` can read it (and the tests can write one):
Parquet files, one JSON manifest per snapshot, a CURRENT pointer, a writer lock, all in one folder.

Layout (see docs/design.md, "The old format")::

    DATA_DIR/
      CURRENT                                  id of the newest committed snapshot, e.g. "000007"
      LOCK                                     flock(2) held by the one writer; the OS releases it if the writer dies
      snapshots/000007.json                    manifest: id, time, author, counts, and every file with rows/bytes/sha256
      tables/<table>/000007-<uuid>.parquet     regions, indicators, sources
      tables/observations/<indicator>/000007-<uuid>.parquet
      staging/                                 files being written; never referenced, cleared by the next writer

Commit protocol: write new files in staging/ → fsync → rename into tables/ (unreferenced, so invisible) → write the
manifest (staging, fsync, rename) → replace CURRENT atomically (staging, fsync, rename, fsync dir). A crash before
the last rename leaves the previous snapshot current and only unreferenced files behind.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow.parquet as pq
from sqlalchemy import insert

from service.config import Settings
from service.errors import YardstickError, storage_errors
from service.model.schema import TABLES
from service.store.iceberg import IcebergLake
from service.store.integrity import check
from service.store.lake import EMPTY, FileEntry, Lake, Manifest, Writer, _atomic_write, _clear, flock_writer
from service.store.records import LOG, connect, import_files


class OldLake(Lake):
    """Parquet files, JSON manifests and CURRENT in one folder (no keys, no idempotency records: ``yardstick migrate``
    reads those from keys.json and idempotency/)."""

    def __init__(self, root: Path, retain_snapshots: int = 10, retain_seconds: float = 86400) -> None:
        self.root = root
        self.retain_snapshots = retain_snapshots
        self.retain_seconds = retain_seconds
        self.root.mkdir(parents=True, exist_ok=True)
        for sub in ("snapshots", "tables", "staging"):
            (self.root / sub).mkdir(exist_ok=True)

    def current_id(self) -> int:
        try:
            return int((self.root / "CURRENT").read_text().strip())
        except FileNotFoundError:
            return 0

    def manifest(self, snapshot: int | None = None) -> Manifest:
        snapshot = self.current_id() if snapshot is None else snapshot
        if snapshot == 0:
            return EMPTY
        return Manifest.from_json((self.root / "snapshots" / f"{snapshot:06d}.json").read_bytes())

    def snapshot_ids(self) -> list[int]:
        return sorted(int(p.stem) for p in (self.root / "snapshots").glob("*.json") if p.stem.isdigit())

    def path(self, entry: FileEntry) -> Path:
        return self.root / entry.path

    def commit_times(self) -> list[tuple[int, float]]:
        """Every snapshot's id and commit time (seconds since the epoch), oldest first."""
        return [(sid, (self.root / "snapshots" / f"{sid:06d}.json").stat().st_mtime) for sid in self.snapshot_ids()]

    def gc(self) -> list[str]:
        """Delete files no retained snapshot references (and old orphans of dead writers); call under the lock.

        Manifests stay (the audit trail); bulk files of expired snapshots go with them."""
        kept = self.retained_manifests()
        referenced = {f.path for m in kept for f in m.files}
        horizon = time.time() - self.retain_seconds
        removed = []
        for p in (self.root / "tables").rglob("*.parquet"):
            rel = p.relative_to(self.root).as_posix()
            if rel not in referenced and p.stat().st_mtime < horizon:
                p.unlink(missing_ok=True)
                removed.append(rel)
        return removed + self._gc_built({m.id for m in kept})

    @contextlib.contextmanager
    def writer(self, wait_seconds: float = 30.0) -> Iterator[Writer]:
        """Hold the one-writer lock (across processes) for the duration of a commit."""
        with flock_writer(self.root / "LOCK", wait_seconds):
            _clear(self.root / "staging")
            try:
                with storage_errors():
                    yield OldWriter(self, self.manifest())
            finally:
                _clear(self.root / "staging")  # whatever was not committed


class OldWriter(Writer):
    lake: OldLake

    def _locations(self, table: str, indicator: str | None, name: str) -> tuple[Path, Path, str]:
        """Where a new file is written, where it ends up, and the path the manifest records."""
        folder = f"tables/{table}" + (f"/{indicator}" if indicator else "")
        return self.lake.root / "staging" / name, self.lake.root / folder / name, f"{folder}/{name}"

    def _publish(self, manifest: Manifest) -> None:
        for staged, final in self.staged:  # new names: invisible until the manifest below references them
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        for entry in manifest.files:
            if not self.lake.path(entry).exists():
                raise YardstickError(f"refusing to commit: {entry.path} is missing")
        _atomic_write(self.lake.root / "snapshots" / f"{self.id:06d}.json", manifest.to_json(), self.lake.root)
        _atomic_write(self.lake.root / "CURRENT", f"{self.id:06d}\n".encode(), self.lake.root)


@dataclass(frozen=True)
class Migrated:
    """What ``yardstick migrate`` did."""

    manifest: Manifest
    earlier: int  # log entries before the current snapshot
    keys: int
    replies: int
    problems: list[str]


def migrate_in_place(settings: Settings) -> Migrated:
    """Convert the old-format lake in ``settings.data_dir`` to the store, in place: snapshots, keys, idempotency
    records; then check the result."""
    root = settings.data_dir
    if not (root / "CURRENT").exists():
        raise YardstickError(f"{root.resolve()} holds no lake in the old format (no CURRENT)")
    old = OldLake(root, settings.retain_snapshots, settings.retain_hours * 3600)
    new = IcebergLake.of(settings)
    manifest = migrate(old, new)
    keys, replies = import_files(root, new.engine)
    return Migrated(manifest, len(old.snapshot_ids()) - 1, keys, replies, check(new))


def migrate(old: Lake, new: IcebergLake) -> Manifest:
    """Copy a lake of the old format into an empty Iceberg lake: the commit log's history (who, when, counts and
    changes of every snapshot, with no files: they were not kept) and the current snapshot's files, row for row, as
    a snapshot of the same id and commit time. Run it with the service stopped."""
    if new.current_id() != 0:
        raise YardstickError(f"{new.root} already has an Iceberg lake (snapshot {new.current_id()}): nothing migrated")
    current = old.manifest()
    if current.id == 0:
        raise YardstickError(f"{old.root} has no snapshot to migrate")
    with new._lock(30.0), connect(new.engine, begin=True) as c:
        for sid in old.snapshot_ids():
            if sid < current.id:
                m = old.manifest(sid)
                history = Manifest(m.id, m.committed_at, m.author, m.message, (), m.counts, m.changes)
                c.execute(
                    insert(LOG).values(
                        id=m.id,
                        committed_at=m.committed_at,
                        manifest=history.to_json().decode(),
                        pins=orjson.dumps(dict.fromkeys(TABLES)).decode(),
                    )
                )
    with new.writer() as writer:
        if writer.id != current.id:
            raise YardstickError(f"the old lake's snapshots are not numbered 1..{current.id}: nothing migrated")
        for entry in current.files:
            writer.put(entry.table, pq.read_table(old.path(entry), schema=TABLES[entry.table]), entry.indicator)
        return writer.commit(current.author, current.message, current.changes, current.committed_at)
