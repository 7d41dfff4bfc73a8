"""Bulk files of a snapshot: the catalogs and per-indicator observation files are the lake's own immutable files;
the whole observation table is built once per snapshot (on first request) into DATA_DIR/bulk/<snapshot>/.

The whole-table file is the per-indicator files concatenated in indicator order, so it is sorted by (indicator,
region, period_end, published) without a sort, and each indicator starts its own row groups (cheap to prune). An
indicator appended to since its last rewrite has several lake files: its per-indicator download is their rows as
one sorted file, built once per snapshot like the whole table.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from service.errors import storage_errors
from service.model.schema import KEYS, OBSERVATIONS, TABLES
from service.store.lake import ROW_GROUP_SIZE, FileEntry, Lake, Manifest

CATALOGS = ("regions", "indicators", "sources")


@dataclass(frozen=True)
class BulkFile:
    """One downloadable file of a snapshot."""

    name: str  # "observations", "regions", … or "observations/<indicator>"
    path: Path
    rows: int
    bytes: int
    sha256: str
    table: str

    def path_of(self, snapshot: str) -> str:
        """The file's URL path under the service."""
        return f"/v1/bulk/{snapshot}/{self.name}.parquet"

    def as_dict(self, snapshot: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "snapshot": snapshot,
            "media_type": "application/vnd.apache.parquet",
            "schema": schema_of(self.table),
        }


def schema_of(table: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "type": str(f.type),
            "nullable": f.nullable,
            "description": (f.metadata or {}).get(b"description", b"").decode(),
        }
        for f in TABLES[table]
    ]


def _entry(name: str, lake: Lake, f: FileEntry) -> BulkFile:
    return BulkFile(name, lake.path(f), f.rows, f.bytes, f.sha256, f.table)


def lake_files(lake: Lake, manifest: Manifest) -> dict[str, BulkFile]:
    """The catalogs and one file per indicator (see ``lake_file``)."""
    out = {f.table: _entry(f.table, lake, f) for f in manifest.files if f.table in CATALOGS}
    for code, part in manifest.partitions().items():
        out[f"observations/{code}"] = _indicator(lake, manifest, f"observations/{code}", part)
    return out


def lake_file(lake: Lake, manifest: Manifest, name: str) -> BulkFile | None:
    """A catalog or one indicator's observations (``observations/<indicator>``), or None."""
    if name in CATALOGS:
        return next((_entry(name, lake, f) for f in manifest.of(name)), None)
    part = manifest.partitions().get(name.removeprefix("observations/")) if name.startswith("observations/") else None
    return _indicator(lake, manifest, name, part) if part else None


def _indicator(lake: Lake, manifest: Manifest, name: str, part: list[FileEntry]) -> BulkFile:
    """The lake's own file, or for an indicator appended to since its last rewrite (several files) their rows as one
    sorted file, built once per snapshot (this may take a while: call it from a thread)."""
    return _entry(name, lake, part[0]) if len(part) == 1 else _joined(lake, manifest, name, part)


def _joined(lake: Lake, manifest: Manifest, name: str, part: list[FileEntry]) -> BulkFile:
    def write(tmp: Path) -> int:
        table = pa.concat_tables([pq.read_table(lake.path(f), schema=OBSERVATIONS) for f in part])
        table = table.sort_by([(k, "ascending") for k in KEYS["observations"][:3]])
        pq.write_table(
            table,
            tmp,
            row_group_size=ROW_GROUP_SIZE,
            compression="zstd",
            sorting_columns=[pq.SortingColumn(table.schema.get_field_index(k)) for k in KEYS["observations"][:3]],
        )
        return int(table.num_rows)

    file = name.replace("/", "-")
    entry = built_once(lake.root / "bulk" / manifest.label, file, "observations", write)
    return BulkFile(name, entry.path, entry.rows, entry.bytes, entry.sha256, entry.table)


def _metadata(lake: Lake, manifest: Manifest) -> dict[str, str]:
    """Key-value metadata of the whole-table file: snapshot, sources, licences, column descriptions."""
    sources = lake.read_table(manifest, "sources").select(["id", "title", "publisher"]).to_pylist()
    licences = sorted({x for x in lake.read_table(manifest, "indicators").column("licence").to_pylist() if x})
    columns = {c["name"]: c["description"] for c in schema_of("observations")}
    return {
        "yardstick.snapshot": manifest.label,
        "yardstick.table": "observations",
        "yardstick.sources": orjson.dumps(sources).decode(),
        "yardstick.licence": "; ".join(licences) or "see each indicator's licence",
        "yardstick.columns": orjson.dumps(columns).decode(),
    }


def whole_table(lake: Lake, manifest: Manifest) -> BulkFile:
    """The whole observation table of the snapshot, built once (safe across processes) and then reused."""

    def write(tmp: Path) -> int:
        schema = OBSERVATIONS.with_metadata(_metadata(lake, manifest))  # read only when the file is built
        rows = 0
        with pq.ParquetWriter(
            tmp,
            schema,
            compression="zstd",
            write_statistics=True,
            sorting_columns=[pq.SortingColumn(i) for i in range(3)],
        ) as writer:
            for name, f in lake_files(lake, manifest).items():
                if not name.startswith("observations/"):
                    continue
                table = pq.read_table(f.path, schema=OBSERVATIONS)
                writer.write_table(table.cast(schema), row_group_size=ROW_GROUP_SIZE)
                rows += table.num_rows
            if rows == 0:
                writer.write_table(schema.empty_table())
        return rows

    return built_once(lake.root / "bulk" / manifest.label, "observations", "observations", write)


def built_once(
    folder: Path, name: str, table: str, write: Callable[[Path], int], built: Callable[[], None] | None = None
) -> BulkFile:
    """``folder/name.parquet``, written by ``write`` the first time anyone asks (one builder across processes;
    readers never see a partial file: it is renamed into place with a sidecar of rows, bytes and sha256).
    ``built`` runs after a build, never on a hit."""
    sidecar = folder / f"{name}.json"
    for _ in range(3):  # a concurrent eviction may remove a file between the check and the read: build again
        if not sidecar.exists():
            folder.mkdir(parents=True, exist_ok=True)
            with _locked(folder / ".lock"):
                if not sidecar.exists():
                    with storage_errors():
                        _build(folder, name, write)
                    if built is not None:
                        built()
        try:
            info = orjson.loads(sidecar.read_bytes())
            os.utime(sidecar)  # recently used: last out on eviction
        except FileNotFoundError:
            continue
        return BulkFile(name, folder / f"{name}.parquet", info["rows"], info["bytes"], info["sha256"], table)
    raise FileNotFoundError(sidecar)


def evict(root: Path, max_bytes: int, keep: Path) -> None:
    """Remove built files under ``root``, least recently used first, until they fit in ``max_bytes`` (``keep``,
    the file being served, stays)."""
    built = []
    for sidecar in root.glob("*/*.json"):
        data = sidecar.with_suffix(".parquet")
        with contextlib.suppress(FileNotFoundError):
            built.append((sidecar.stat().st_mtime, data.stat().st_size, sidecar, data))
    total = sum(size for _, size, _, _ in built)
    for _, size, sidecar, data in sorted(built):
        if total <= max_bytes:
            break
        if data == keep:
            continue
        sidecar.unlink(missing_ok=True)  # the sidecar first: without it the file counts as not built
        data.unlink(missing_ok=True)
        total -= size


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _build(folder: Path, name: str, write: Callable[[Path], int]) -> None:
    tmp = folder / f".tmp-{uuid.uuid4().hex}.parquet"
    try:
        rows = write(tmp)
        h = hashlib.sha256()
        with open(tmp, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
            os.fsync(fh.fileno())
        final = folder / f"{name}.parquet"
        os.replace(tmp, final)
        info = {"rows": rows, "bytes": final.stat().st_size, "sha256": h.hexdigest()}
        side_tmp = folder / f".tmp-{uuid.uuid4().hex}.json"
        side_tmp.write_bytes(orjson.dumps(info))
        os.replace(side_tmp, folder / f"{name}.json")
    finally:
        tmp.unlink(missing_ok=True)
