"""`yardstick check --deep` and `yardstick gc`: the warehouse itself (the bucket or folder, not this machine's
cache) against what the retained snapshots reference, and the orphans no snapshot references.

Referenced: every data file of every retained snapshot (checked for size and SHA-256 against the commit log), and
each table's Iceberg metadata in use (the current and logged metadata files, the manifest lists and manifests of its
live snapshots: each read whole, and a manifest's size checked against its manifest list). An orphan is a file under
the lake's namespace that nothing references and older than ``min_age`` (a writer killed between upload and commit
leaves some; retention only sweeps what it just expired). A younger unreferenced file may be a write in flight: it
is listed, never an orphan. ``remove_orphans`` deletes them under the writer lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from service.errors import YardstickError
from service.model.schema import TABLES
from service.store.iceberg import IcebergLake
from service.store.lake import Lake
from service.store.layout import NAMESPACE

MIN_AGE = 3600.0  # seconds: an unreferenced file younger than this may belong to a write in flight


@dataclass
class Audit:
    checked: int = 0  # referenced files read from the warehouse
    problems: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # warehouse-relative paths
    young: list[str] = field(default_factory=list)  # unreferenced, but maybe a write in flight


def iceberg(lake: Lake) -> IcebergLake:
    if not isinstance(lake, IcebergLake):
        raise YardstickError("a deep check needs the lake on Iceberg")
    return lake


def referenced(lake: IcebergLake) -> dict[str, tuple[int | None, str | None, str]]:
    """Every file the retained snapshots need: its expected size and SHA-256 (None where not recorded), and why."""
    out: dict[str, tuple[int | None, str | None, str]] = {}
    for m in lake.retained_manifests():
        for f in m.files:
            out.setdefault(f.path, (f.bytes, f.sha256, f"snapshot {m.label}"))
    base = lake.warehouse.uri.rstrip("/") + "/"
    for name in TABLES:
        table = lake.table(name)
        for rel in lake._metadata_in_use(table):
            out.setdefault(rel, (None, None, f"table {NAMESPACE}.{name}"))
        for snap in table.metadata.snapshots:  # a manifest's size is recorded in its manifest list
            for listed in snap.manifests(table.io):
                rel = _relative(listed.manifest_path, base)
                out[rel] = (listed.manifest_length, None, f"table {NAMESPACE}.{name}")
    return out


def _relative(location: str, base: str) -> str:
    return location.replace("file://", "", 1).removeprefix(base.replace("file://", "", 1))


def audit(lake: Lake, min_age: float = MIN_AGE) -> Audit:
    """Read every referenced file from the warehouse and list the unreferenced ones."""
    found = iceberg(lake)
    result = Audit(problems=found.drift())
    needed = referenced(found)
    for rel, (size, sha256, why) in sorted(needed.items()):
        got = found.warehouse.digest(rel)
        result.checked += 1
        where = found.warehouse.location(rel)
        if got is None:
            result.problems.append(f"{where}: missing ({why} references it)")
        elif size is not None and got[0] != size:
            result.problems.append(f"{where}: {got[0]} bytes, {why} records {size}")
        elif sha256 is not None and got[1] != sha256:
            result.problems.append(f"{where}: sha256 differs from what {why} records")
    result.orphans, result.young = unreferenced(found, set(needed), min_age)
    return result


def unreferenced(lake: IcebergLake, needed: set[str], min_age: float) -> tuple[list[str], list[str]]:
    """The warehouse's files nothing references: those older than ``min_age`` (orphans), and the younger ones."""
    horizon = time.time() - min_age
    orphans: list[str] = []
    young: list[str] = []
    for rel, mtime in sorted(lake.warehouse.files(NAMESPACE)):
        if rel not in needed:
            (orphans if mtime < horizon else young).append(rel)
    return orphans, young


def remove_orphans(lake: Lake, min_age: float = MIN_AGE, dry_run: bool = False) -> list[str]:
    """Delete the orphans (under the writer lock: no write of this lake is in flight meanwhile); what was (or, with
    ``dry_run``, would be) removed, as full locations."""
    found = iceberg(lake)
    with found.writer():
        orphans, _ = unreferenced(found, set(referenced(found)), min_age)
        for rel in orphans if not dry_run else ():
            found.warehouse.remove(rel)
    return [found.warehouse.location(rel) for rel in orphans]
