"""The storage interface: what the rest of the service uses of a lake, whatever holds it.

A lake is a sequence of snapshots. Each snapshot is a ``Manifest`` (its files, with rows, bytes and sha256); a
``Writer`` makes the next one, all or nothing; records (API keys, idempotency answers) live beside the snapshots;
retention removes what no retained snapshot needs. ``IcebergLake`` (service/store/iceberg.py) is the store;
``service.store.stores.open_lake`` opens the one the settings name. The first release's format
(service/store/oldformat.py) is read only by ``yardstick migrate``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from service import events
from service.errors import Busy, YardstickError
from service.model.schema import KEYS, TABLES, with_field_ids
from service.store.records import Idempotency, KeyStore

ROW_GROUP_SIZE = 64 * 1024


@dataclass(frozen=True)
class FileEntry:
    """One immutable Parquet file of a snapshot."""

    table: str
    path: str  # relative to the data directory
    rows: int
    bytes: int
    sha256: str
    indicator: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Manifest:
    """What one snapshot is made of."""

    id: int
    committed_at: str
    author: str
    message: str
    files: tuple[FileEntry, ...]
    counts: dict[str, int]
    changes: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.id:06d}"

    def of(self, table: str) -> list[FileEntry]:
        return [f for f in self.files if f.table == table]

    def partitions(self) -> dict[str, list[FileEntry]]:
        """Each indicator's observation files, oldest first: an append adds a file, a rewrite replaces them all."""
        out: dict[str, list[FileEntry]] = {}
        for f in self.of("observations"):
            out.setdefault(f.indicator or "", []).append(f)
        return out

    def to_json(self) -> bytes:
        body = {**self.__dict__, "files": [f.as_dict() for f in self.files], "snapshot": self.label}
        return orjson.dumps(body, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        raw = orjson.loads(data)
        raw.pop("snapshot", None)
        raw["files"] = tuple(FileEntry(**f) for f in raw["files"])
        return cls(**raw)


EMPTY = Manifest(0, "1970-01-01T00:00:00+00:00", "", "empty lake", (), dict.fromkeys(TABLES, 0))


class OldFormat(YardstickError):
    status = 409
    type = "/problems/old-lake-format"
    title = "The lake is in the old format"


class Lake(ABC):
    """A lake: snapshots to read, one writer at a time, records, retention. See the module's docstring."""

    root: Path  # the data folder (the writer lock, built bulk files)
    retain_snapshots: int
    retain_seconds: float
    keys: KeyStore  # API keys, shared by every replica
    idempotency: Idempotency  # answers to uploads with an Idempotency-Key

    # -- reading -------------------------------------------------------------------------------------------------
    @abstractmethod
    def current_id(self) -> int:
        """The newest committed snapshot's id (0: an empty lake)."""

    @abstractmethod
    def manifest(self, snapshot: int | None = None) -> Manifest:
        """A snapshot's manifest (the current one by default)."""

    @abstractmethod
    def snapshot_ids(self) -> list[int]:
        """Every snapshot in the commit log, oldest first."""

    @abstractmethod
    def path(self, entry: FileEntry) -> Path:
        """A local path to one of a snapshot's files."""

    @abstractmethod
    def commit_times(self) -> list[tuple[int, float]]:
        """Every snapshot's id and commit time (seconds since the epoch), oldest first."""

    def read_table(self, manifest: Manifest, table: str) -> pa.Table:
        files = [str(self.path(f)) for f in manifest.of(table)]
        schema = TABLES[table]
        if not files:
            return schema.empty_table()
        return pa.concat_tables([pq.read_table(f, schema=schema) for f in files])

    def where(self) -> dict[str, str]:
        """The catalog and the warehouse this lake uses, as an operator names them (no password)."""
        return {"catalog": type(self).__name__, "warehouse": type(self).__name__}

    def probe(self) -> dict[str, str | None]:
        """A cheap check of each part: ``{"catalog": None, "warehouse": "error"}`` (None: it answers)."""
        found: dict[str, str | None] = {}
        for part, check in (("catalog", self.current_id), ("warehouse", self.probe_warehouse)):
            try:
                check()
                found[part] = None
            except (YardstickError, OSError) as exc:
                found[part] = str(exc)
        return found

    def probe_warehouse(self) -> None:
        """Raise if the files cannot be read or written now (nothing to check by default)."""
        return None

    def describe(self, manifest: Manifest) -> dict[str, Any] | None:
        """How engines without Yardstick read this snapshot (tables, metadata, snapshot ids), if they can."""
        return None

    # -- one machine's processes and other engines ----------------------------------------------------------------
    def announce(self, snapshot: int) -> None:
        """Tell this machine's other processes that ``snapshot`` was just committed (see ``store.beacon``)."""
        return None

    def seen(self) -> int:
        """The newest snapshot a process of this machine announced (0 if none)."""
        return 0

    def drift(self) -> list[str]:
        """Where other engines would read something else than the current snapshot."""
        return []

    def repair(self) -> list[str]:
        """Bring what drifted back to the current snapshot; what was repaired."""
        return []

    # -- retention -----------------------------------------------------------------------------------------------
    def retained(self) -> set[int]:
        """Snapshots whose files are kept: the newest ``retain_snapshots`` and any younger than retain_seconds."""
        return {m.id for m in self.retained_manifests()}

    def retained_manifests(self) -> list[Manifest]:
        """The manifests of the retained snapshots, oldest first (read once: retention needs their files)."""
        times = self.commit_times()
        keep = {sid for sid, _ in times[-self.retain_snapshots :]} if self.retain_snapshots > 0 else set()
        horizon = time.time() - self.retain_seconds
        keep |= {sid for sid, when in times if when >= horizon}
        return [self.manifest(sid) for sid in sorted(keep)]

    @abstractmethod
    def gc(self) -> list[str]:
        """Delete what no retained snapshot needs; call under the writer lock. Returns what was removed."""

    def _gc_built(self, keep: set[int]) -> list[str]:
        """Whole-table bulk files of snapshots no longer retained (exports live in the cache folder, bounded there)."""
        bulk = self.root / "bulk"
        removed = []
        for d in bulk.iterdir() if bulk.exists() else ():
            if d.is_dir() and d.name.isdigit() and int(d.name) not in keep:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(f"bulk/{d.name}")
        return removed

    # -- writing -------------------------------------------------------------------------------------------------
    @abstractmethod
    def writer(self, wait_seconds: float = 30.0) -> contextlib.AbstractContextManager[Writer]:
        """Hold the one-writer lock for a commit and give its ``Writer`` (nothing is visible until it commits)."""


@contextlib.contextmanager
def flock_writer(path: Path, wait_seconds: float) -> Iterator[None]:
    """The one-writer lock of a lake on one machine: ``flock`` on ``path``, released by the kernel if the writer
    dies; a second writer waits up to ``wait_seconds``, then 503 with Retry-After."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                wait_or_busy(deadline)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def timed(lock: contextlib.AbstractContextManager[None]) -> Iterator[None]:
    """The writer lock, its wait told (a metric: how long commits queue)."""
    start = time.monotonic()
    with lock:
        events.emit("writer_lock", seconds=time.monotonic() - start)
        yield


def wait_or_busy(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise Busy("another writer is committing; try again shortly", extra={"headers": {"retry-after": "1"}})
    time.sleep(0.05)


class Writer:
    """Stages files for one commit on top of ``base``; nothing is visible until ``commit``."""

    def __init__(self, lake: Lake, base: Manifest) -> None:
        self.lake = lake
        self.base = base
        self.id = base.id + 1
        self.started = time.monotonic()  # the lock is held from here: a commit's duration
        self.dry_run = False  # a dry run validates and merges but stages nothing
        self.progress: Callable[[str, int, int], None] = lambda stage, done, total: None
        self.staged: list[tuple[Path, Path]] = []
        self.files: dict[tuple[str, str | None], tuple[FileEntry, ...]] = {}  # each partition's files, oldest first
        for f in base.files:
            self.files[(f.table, f.indicator)] = (*self.files.get((f.table, f.indicator), ()), f)

    def put(
        self,
        table: str,
        data: pa.Table,
        indicator: str | None = None,
        metadata: dict[str, str] | None = None,
        append: bool = False,
    ) -> None:
        """Stage ``data`` as the whole of ``table`` (or of one indicator's observations: its partition), or with
        ``append`` as one more file of it; empty removes it (appended, changes nothing)."""
        key = (table, indicator)
        if self.dry_run or (append and data.num_rows == 0):
            return
        if data.num_rows == 0:
            self.files.pop(key, None)
            return
        name = f"{self.id:06d}-{uuid.uuid4().hex[:12]}.parquet"
        staged, final, rel = self._locations(table, indicator, name)
        schema = with_field_ids(TABLES[table]).with_metadata(
            {"yardstick.snapshot": f"{self.id:06d}", "yardstick.table": table, **(metadata or {})}
        )
        sort = [pq.SortingColumn(data.schema.get_field_index(k)) for k in KEYS[table][:3]]
        pq.write_table(
            data.cast(schema),
            staged,
            row_group_size=ROW_GROUP_SIZE,
            compression="zstd",
            sorting_columns=sort,
            write_statistics=True,
            store_schema=True,
        )
        digest = _fsync_and_hash(staged)
        if final != staged:
            self.staged.append((staged, final))
        entry = FileEntry(table, rel, data.num_rows, staged.stat().st_size, digest, indicator)
        self.files[key] = (*(self.files.get(key, ()) if append else ()), entry)

    def partition(self, table: str, indicator: str | None = None) -> tuple[FileEntry, ...]:
        """The files staged so far for a table (or one indicator's observations), oldest first."""
        return self.files.get((table, indicator), ())

    def _locations(self, table: str, indicator: str | None, name: str) -> tuple[Path, Path, str]:
        """Where a new file is written, where it ends up, and the path the manifest records."""
        raise NotImplementedError

    def commit(self, author: str, message: str, changes: dict[str, int], committed_at: str | None = None) -> Manifest:
        """Publish the staged files as the next snapshot (atomic)."""
        staged = (f for part in self.files.values() for f in part)  # file names start with their snapshot id
        files = tuple(sorted(staged, key=lambda f: (f.table, f.indicator or "", f.path)))
        counts = {t: sum(f.rows for f in files if f.table == t) for t in TABLES}
        when = committed_at or datetime.now(UTC).isoformat()
        manifest = Manifest(self.id, when, author, message, files, counts, changes)
        self._publish(manifest)
        old = {f.path for f in self.base.files}
        new = [f for f in files if f.path not in old]
        events.emit(
            "commit",
            snapshot=manifest.label,
            author=author,
            rows=sum(f.rows for f in new),
            bytes=sum(f.bytes for f in new),
            seconds=time.monotonic() - self.started,
        )
        self.lake.announce(manifest.id)
        self.lake.gc()
        return manifest

    def _publish(self, manifest: Manifest) -> None:
        """Make ``manifest`` the current snapshot, atomically for every reader."""
        raise NotImplementedError


def _clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()


def _fsync_and_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb+") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
        os.fsync(f.fileno())
    return h.hexdigest()


def _atomic_write(target: Path, data: bytes, root: Path) -> None:
    staged = root / "staging" / f"{target.name}.{uuid.uuid4().hex[:8]}"
    with open(staged, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(staged, target)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
