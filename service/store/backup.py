"""`yardstick backup DEST` and `yardstick restore SRC`: a consistent copy of a lake, taken while it serves and
writes, brought up in another catalog and warehouse (another folder, another bucket or prefix).

A backup is made of one snapshot: its id is read first, then its data files are copied (checked against the SHA-256
the commit log records), then the catalog's rows up to it: the commit log, API keys, and the idempotency answers of
uploads it holds. Files are immutable, so later commits change nothing already copied; should retention remove one
of the snapshot's files meanwhile (it had stopped being retained), the backup starts again from the newer snapshot.
``backup.json`` is written last: a folder without it is not a backup.

Restore does not copy Iceberg metadata: it holds absolute locations (the old warehouse's), which is why a copied
lake refuses writes. It inserts the records, then the log's earlier rows as history (their counts and messages,
without files, as ``yardstick migrate`` brings old history), and commits the backed-up snapshot again with the same
id, time, author, files and checksums: the tables get fresh metadata in the new warehouse, and writes work at once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import insert, select

from service.errors import Conflict, YardstickError
from service.model.schema import TABLES
from service.store.iceberg import IcebergLake
from service.store.lake import FileEntry, Manifest
from service.store.records import IDEMPOTENCY, KEYS, LOG, PENDING, connect
from service.store.upgrade import head

FORMAT = "yardstick-backup/1"
ATTEMPTS = 5


@dataclass(frozen=True)
class Done:
    manifest: Manifest
    files: int
    bytes: int
    keys: int
    replies: int


class NotABackup(YardstickError):
    status = 400
    type = "/problems/not-a-backup"
    title = "Not a backup"


def backup(lake: IcebergLake, dest: Path) -> Done:
    """Copy the current snapshot into ``dest`` (new or empty)."""
    if dest.exists() and any(dest.iterdir()):
        raise Conflict(f"{dest} is not empty: a backup goes into a new or empty folder")
    for _ in range(ATTEMPTS):
        manifest = lake.manifest()  # the snapshot id first: everything below is what it references
        if manifest.id == 0:
            raise Conflict("the lake is empty: nothing to back up")
        try:
            copied = _copy_files(lake, manifest, dest / "warehouse")
        except FileNotFoundError:  # retention removed a file of it: it is no longer current, take the newer one
            shutil.rmtree(dest / "warehouse", ignore_errors=True)
            time.sleep(0.2)
            continue
        rows = _rows(lake, manifest.id)
        (dest / "catalog.json").write_bytes(orjson.dumps(rows))
        about = {
            "format": FORMAT,
            "snapshot": manifest.id,
            "taken": datetime.now(UTC).isoformat(timespec="seconds"),
            "schema": head(),
            "warehouse": lake.warehouse.uri,
        }
        _write_last(dest / "backup.json", orjson.dumps(about, option=orjson.OPT_INDENT_2))
        return Done(manifest, len(manifest.files), copied, len(rows["keys"]), len(rows["idempotency"]))
    raise YardstickError(f"the lake changed under {ATTEMPTS} attempts to back it up; try again when it is quieter")


def _copy_files(lake: IcebergLake, manifest: Manifest, into: Path) -> int:
    total = 0
    for entry in manifest.files:
        target = into / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with lake.warehouse.outages(), lake.warehouse.read(entry.path) as src, open(target, "wb") as out:
            digest = hashlib.sha256()
            while block := src.read(1 << 20):
                digest.update(block)
                out.write(block)
        _verify(entry, target, digest.hexdigest(), lake.warehouse.location(entry.path))
        total += entry.bytes
    return total


def _verify(entry: FileEntry, path: Path, sha256: str, where: str) -> None:
    if path.stat().st_size != entry.bytes or sha256 != entry.sha256:
        raise YardstickError(f"{where} does not match the commit log (size or sha256): nothing was backed up")


def _rows(lake: IcebergLake, snapshot: int) -> dict[str, list[dict[str, Any]]]:
    """The catalog's rows up to ``snapshot``: the log, every key, and the answers of uploads it holds."""
    with connect(lake.engine) as c:
        log = [_plain(r) for r in c.execute(select(LOG).where(LOG.c.id <= snapshot).order_by(LOG.c.id))]
        keys = [_plain(r) for r in c.execute(select(KEYS).order_by(KEYS.c.id))]
        replies = [_plain(r) for r in c.execute(select(IDEMPOTENCY).where(IDEMPOTENCY.c.status != PENDING))]
    return {"log": log, "keys": keys, "idempotency": [r for r in replies if _holds(r, snapshot)]}


def _plain(row: Any) -> dict[str, Any]:
    return {str(k): v for k, v in row._mapping.items()}  # column names are str subclasses


def _holds(reply: dict[str, Any], snapshot: int) -> bool:
    """An answer naming a later snapshot would be replayed for a write the restored lake does not have."""
    named = str(orjson.loads(reply["response"]).get("snapshot") or "0")
    return not named.isdigit() or int(named) <= snapshot


def _write_last(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".partial")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def restore(lake: IcebergLake, src: Path) -> Done:
    """Bring the backup in ``src`` up in ``lake``, which must be empty (no snapshot, no key)."""
    about = _about(src)
    rows = orjson.loads((src / "catalog.json").read_bytes())
    if lake.current_id() != 0 or lake.keys.all():
        raise Conflict("the lake to restore into is not empty: restore into a new catalog and warehouse")
    last = rows["log"][-1]
    manifest = Manifest.from_json(last["manifest"].encode())
    if manifest.id != about["snapshot"]:
        raise NotABackup(f"{src}: catalog.json ends at snapshot {manifest.id}, backup.json names {about['snapshot']}")
    for entry in manifest.files:  # into the warehouse (a bucket's: the local copy the commit uploads)
        target = lake.warehouse.new(entry.path)
        shutil.copyfile(src / "warehouse" / entry.path, target)
        _verify(entry, target, hashlib.sha256(target.read_bytes()).hexdigest(), str(src / "warehouse" / entry.path))
    history = [{**r, "manifest": _without_files(r["manifest"]), "pins": _no_pins()} for r in rows["log"][:-1]]
    with connect(lake.engine, begin=True) as c:
        for table, found in ((KEYS, rows["keys"]), (IDEMPOTENCY, rows["idempotency"]), (LOG, history)):
            if found:
                c.execute(insert(table), found)
    with lake.writer() as writer:
        for entry in manifest.files:
            key = (entry.table, entry.indicator)
            writer.files[key] = (*writer.files.get(key, ()), entry)
        again = writer.commit(manifest.author, manifest.message, manifest.changes, manifest.committed_at)
    if again.to_json() != manifest.to_json():
        raise YardstickError(f"snapshot {manifest.label} restored differently from the backup")
    return Done(again, len(again.files), sum(f.bytes for f in again.files), len(rows["keys"]), len(rows["idempotency"]))


def _about(src: Path) -> dict[str, Any]:
    try:
        about: dict[str, Any] = orjson.loads((src / "backup.json").read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError) as exc:
        raise NotABackup(f"{src} holds no complete backup (backup.json is missing or unreadable)") from exc
    if about.get("format") != FORMAT:
        raise NotABackup(f"{src}: backup format {about.get('format')!r}, this release reads {FORMAT!r}")
    return about


def _without_files(manifest: str) -> str:
    return orjson.dumps({**orjson.loads(manifest), "files": []}).decode()


def _no_pins() -> str:
    return orjson.dumps(dict.fromkeys(TABLES)).decode()
