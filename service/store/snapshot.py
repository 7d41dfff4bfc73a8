"""One committed snapshot opened for reading: catalogs in memory, observations as a DuckDB view over its files.

A ``Snapshot`` never changes; the ``Store`` swaps in a newer one when CURRENT moves, so a request that holds a
snapshot reads one consistent state from start to end.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from service.config import Settings
from service.model.catalog import Indicator, Region, Source
from service.model.schema import OBSERVATIONS
from service.store import frames
from service.store.lake import Lake, Manifest
from service.store.statements import statement


@dataclass
class Snapshot:
    """A read-only view of one snapshot."""

    manifest: Manifest
    lake: Lake
    con: duckdb.DuckDBPyConnection
    regions: dict[str, Region]
    indicators: dict[str, Indicator]
    sources: dict[str, Source]
    children: dict[str, list[str]] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.manifest.label

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        return self.con.cursor()

    def has_frame(self, indicator: str) -> bool:
        return ("frame", indicator) in self.cache

    def frame(self, indicator: str) -> frames.Frame:
        """The indicator's rows in memory, loaded on first use (a benign race: two threads may both load it)."""
        key = ("frame", indicator)
        found = self.cache.get(key)
        if found is None:
            entry = next((f for f in self.manifest.of("observations") if f.indicator == indicator), None)
            found = frames.load(str(self.lake.path(entry))) if entry else frames.EMPTY
            self.cache[key] = found
        return found

    def preload(self) -> None:
        """Load every indicator's frame (run in a background thread: requests never wait for it)."""
        for entry in self.manifest.of("observations"):
            if entry.indicator is not None:
                self.frame(entry.indicator)

    def ancestors(self, code: str) -> list[Region]:
        """Parent, grandparent, ... up to the root."""
        out: list[Region] = []
        parent = self.regions[code].parent
        while parent is not None and parent in self.regions and len(out) < 32:
            out.append(self.regions[parent])
            parent = self.regions[parent].parent
        return out


def open_snapshot(lake: Lake, manifest: Manifest) -> Snapshot:
    con = duckdb.connect(config={"threads": "2"})
    tables = {t: lake.read_table(manifest, t) for t in ("regions", "indicators", "sources")}
    for name, table in tables.items():
        con.register(f"_{name}", table)
        con.execute(f"create table {name} as select * from _{name}")
        con.unregister(f"_{name}")
    files = [str(lake.path(f)) for f in manifest.of("observations")]
    if files:
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(f"create view observations as select * from read_parquet([{listing}])")
    else:
        con.register("_empty", OBSERVATIONS.empty_table())
        con.execute("create table observations as select * from _empty")
        con.unregister("_empty")
    con.execute(statement("macros"))
    regions = {r["code"]: Region(**r) for r in tables["regions"].to_pylist()}
    children: dict[str, list[str]] = defaultdict(list)
    for r in regions.values():
        if r.parent is not None:
            children[r.parent].append(r.code)
    return Snapshot(
        manifest,
        lake,
        con,
        regions,
        {i["code"]: Indicator(**i) for i in tables["indicators"].to_pylist()},
        {s["id"]: Source(**s) for s in tables["sources"].to_pylist()},
        dict(children),
    )


class Store:
    """The current snapshot of a lake for one process; checks CURRENT at most every ``refresh_seconds``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lake = Lake.from_settings(settings)
        self._lock = threading.Lock()
        self._snapshot = self._open(self.lake.manifest())
        self._checked = time.monotonic()

    def _open(self, manifest: Manifest) -> Snapshot:
        snap = open_snapshot(self.lake, manifest)
        if self.settings.preload:
            threading.Thread(target=snap.preload, name=f"preload-{snap.id}", daemon=True).start()
        return snap

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        if now - self._checked >= self.settings.refresh_seconds:
            self._checked = now
            if self.lake.current_id() != self._snapshot.manifest.id:
                with self._lock:
                    manifest = self.lake.manifest()
                    if manifest.id != self._snapshot.manifest.id:
                        self._snapshot = self._open(manifest)
        return self._snapshot
