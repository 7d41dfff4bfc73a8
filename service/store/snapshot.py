"""One committed snapshot opened for reading: catalogs in memory, observations as a DuckDB view over its files.

A ``Snapshot`` never changes; the ``Store`` swaps in a newer one when CURRENT moves, so a request that holds a
snapshot reads one consistent state from start to end.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

import duckdb

from service import events
from service.config import Settings
from service.errors import CatalogUnavailable, Gone, StorageUnavailable
from service.model.catalog import Indicator, Region, Source
from service.model.schema import OBSERVATIONS
from service.store import frames
from service.store.lake import Lake, Manifest
from service.store.statements import statement
from service.store.stores import open_lake
from service.store.upgrade import NewerCatalog

T = TypeVar("T")


class Memo(Generic[T]):
    """A typed slot of a snapshot's memory, declared by the layer that fills it (the search index in query, the
    response cache in api): each layer names its own slot and its type, and nothing else writes it."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Memo({self.name!r})"


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
    memos: dict[Memo[Any], Any] = field(default_factory=dict)  # what is computed once per snapshot: see ``memo``
    frame_cache: frames.FrameCache = field(default_factory=frames.FrameCache)  # by file: shared across snapshots

    @property
    def id(self) -> str:
        return self.manifest.label

    def memo(self, slot: Memo[T], build: Callable[[], T]) -> T:
        """The slot's value, built on first use (a benign race: two threads may both build it; one is kept)."""
        if slot in self.memos:
            return cast(T, self.memos[slot])
        return cast(T, self.memos.setdefault(slot, build()))

    def recall(self, slot: Memo[T]) -> T | None:
        """The slot's value if it was built (for a value built elsewhere, e.g. off the event loop)."""
        return cast("T | None", self.memos.get(slot))

    def keep(self, slot: Memo[T], value: T) -> T:
        return cast(T, self.memos.setdefault(slot, value))

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        return self.con.cursor()

    def _key(self, indicator: str) -> str | None:
        """The indicator's frame key: its files' paths, oldest first (see ``frames.load``)."""
        keys = self.memo(
            FRAME_KEYS,
            lambda: {
                code: frames.key([str(self.lake.path(f)) for f in part])
                for code, part in self.manifest.partitions().items()
            },
        )
        return keys.get(indicator)

    def has_frame(self, indicator: str) -> bool:
        key = self._key(indicator)
        return key is None or key in self.frame_cache

    def frame(self, indicator: str, wait: bool = True) -> frames.Frame:
        """The indicator's rows in memory, loaded on first use (a benign race: two threads may both load it).

        Frames are keyed by their files: files are immutable, so a frame serves every snapshot that keeps them."""
        key = self._key(indicator)
        return frames.EMPTY if key is None else self.frame_cache.get(key, wait)

    def preload(self) -> None:
        """Load indicators' frames not in memory yet, until the memory budget is reached (past it, each load would
        evict one just loaded: the rest load on first use). A frame another worker is writing comes last, so the
        workers of a first start share the writing instead of waiting for each other."""
        later = []
        for indicator in self.manifest.partitions():
            if self.frame_cache.full:
                return
            try:
                self.frame(indicator, wait=False)
            except frames.Busy:
                later.append(indicator)
        for indicator in later:
            if self.frame_cache.full:
                return
            self.frame(indicator)

    def ancestors(self, code: str) -> list[Region]:
        """Parent, grandparent, ... up to the root."""
        out: list[Region] = []
        parent = self.regions[code].parent
        while parent is not None and parent in self.regions and len(out) < 32:
            out.append(self.regions[parent])
            parent = self.regions[parent].parent
        return out

    def descendants(self, code: str, level: str | None = None) -> list[str]:
        """Every region (of ``level``) below ``code``, at any depth, in tree order (a child, then its own
        descendants, then the next child)."""
        out: list[str] = []
        stack = list(reversed(self.children.get(code, [])))
        while stack:
            here = stack.pop()
            if level is None or self.regions[here].level == level:
                out.append(here)
            stack.extend(reversed(self.children.get(here, [])))
        return out


FRAME_KEYS: Memo[dict[str, str]] = Memo("frame keys")


def open_snapshot(lake: Lake, manifest: Manifest, shared: frames.FrameCache | None = None) -> Snapshot:
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
        frame_cache=frames.FrameCache() if shared is None else shared,
    )


RETRY_MAX_SECONDS = 5.0  # the longest wait between two attempts to open a first snapshot


class Store:
    """The current snapshot of a lake for one process; checks CURRENT at most every ``refresh_seconds``.

    A part that does not answer (the catalog database, the object store) never stops the process: the snapshot
    already open goes on serving, and one that could not be opened yet (a replica started during an outage) is
    tried again, with backoff, until it opens. ``down`` says what does not answer, since when, and why."""

    def __init__(self, settings: Settings, lake: Lake | None = None, prepare: frames.Prepare | None = None) -> None:
        self.settings = settings
        self.lake = lake if lake is not None else open_lake(settings, wait=True)
        self._lock = threading.Lock()
        folder = settings.cache_path() / "frames"
        self.frames = frames.FrameCache(int(settings.memory_mb * 1024 * 1024), folder, prepare)  # see frames.load
        self._older: OrderedDict[str, Snapshot] = OrderedDict()  # recently asked-for older snapshots
        self.down: dict[str, tuple[float, str]] = {}  # "catalog" | "warehouse" → (since, error)
        self.behind_since: float | None = None  # commit time of the newest snapshot seen but not served yet
        self._snapshot: Snapshot | None = None
        self._retry_at, self._backoff = 0.0, 0.5
        self._checked, self._seen = time.monotonic(), 0
        self.try_open()

    @property
    def catalog_down_since(self) -> float | None:
        return self.down["catalog"][0] if "catalog" in self.down else None

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def reopen(self) -> None:
        """Open whatever CURRENT names now (at start-up, after seeding an empty lake)."""
        self._snapshot = open_snapshot(self.lake, self.lake.manifest(), self.frames)
        self._checked, self._seen = time.monotonic(), self.lake.seen()
        self.behind_since = None
        self.mark("catalog", None)
        self.mark("warehouse", None)

    def try_open(self) -> bool:
        """``reopen``, an outage recorded instead of raised; the next try waits longer (up to 5 s)."""
        try:
            self.reopen()
            return True
        except (CatalogUnavailable, NewerCatalog, StorageUnavailable, OSError) as exc:
            self._fail(exc)
            self._retry_at = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, RETRY_MAX_SECONDS)
            return False

    def keep_trying(self, stop: threading.Event) -> None:
        """Try to open a first snapshot until one opens (a replica started during an outage recovers by itself)."""
        while not self.ready and not stop.wait(max(0.1, self._retry_at - time.monotonic())):
            with self._lock:
                if self._snapshot is None:
                    self.try_open()

    def mark(self, part: str, error: str | None) -> None:
        """What a probe or an attempt found: ``part`` ("catalog" or "warehouse") answers (``error`` None) or not;
        a change is told once (events "degraded", "recovered")."""
        if error is None:
            if self.down.pop(part, None) is not None:
                events.emit("recovered", part=part)
        elif part not in self.down:
            self.down[part] = (time.time(), error)
            events.emit("degraded", part=part, error=error)

    def _fail(self, exc: Exception) -> None:
        self.mark("catalog" if isinstance(exc, (CatalogUnavailable, NewerCatalog)) else "warehouse", str(exc))

    def _switch(self, manifest: Manifest) -> Snapshot:
        """Open a newer snapshot; frames of unchanged files carry over, changed ones load in the background."""
        snap = open_snapshot(self.lake, manifest, self.frames)
        self.frames.retain(
            {frames.key([str(self.lake.path(f)) for f in part]) for part in manifest.partitions().values()}
        )
        if self.settings.preload:
            threading.Thread(target=snap.preload, name=f"preload-{snap.id}", daemon=True).start()
        events.emit("refresh", snapshot=snap.id, previous=self._current().id)
        return snap

    def _current(self) -> Snapshot:
        """The snapshot open, or the outage that kept it from opening (503, Retry-After)."""
        if self._snapshot is None:
            parts = {"catalog": "the catalog database", "warehouse": "the object store"}
            down = " and ".join(f"{parts[p]} ({error})" for p, (_, error) in self.down.items()) or "the lake"
            problem = CatalogUnavailable if "catalog" in self.down else StorageUnavailable
            raise problem(  # without the catalog, which snapshot is current is unknown: nothing is served
                f"started while {down} did not answer: no snapshot is open yet; tried again every few seconds",
                extra={"headers": {"retry-after": "5"}},
            )
        return self._snapshot

    def at(self, label: str) -> Snapshot:
        """A given snapshot (for a cursor that pinned it): the current one, or an older one still retained."""
        current = self.snapshot()
        if label == current.id:
            return current
        with self._lock:
            found = self._older.get(label)
            if found is None:
                if not label.isdigit() or int(label) not in self.lake.retained():
                    raise Gone(f"snapshot {label} is past the retention period: start the pages again")
                found = self._older[label] = open_snapshot(self.lake, self.lake.manifest(int(label)))
                while len(self._older) > 2:
                    self._older.popitem(last=False)
            return found

    def snapshot(self, at_least: int = 0) -> Snapshot:
        """The newest snapshot, checked at most every ``refresh_seconds``, at once when a process of this machine
        announced a commit (read your own write), and at once when the caller needs at least snapshot ``at_least``
        (one committed on another replica). While the catalog database or the object store does not answer, the
        snapshot already open goes on serving (``down`` says since when)."""
        if self._snapshot is None:
            if time.monotonic() >= self._retry_at:
                with self._lock:
                    if self._snapshot is None:
                        self.try_open()
            return self._current()
        now = time.monotonic()
        seen = self.lake.seen()
        due = now - self._checked >= self.settings.refresh_seconds or seen != self._seen
        if due or at_least > self._snapshot.manifest.id:
            self._checked, self._seen = now, seen
            self._refresh()
        return self._snapshot

    def _refresh(self) -> None:
        try:
            if self.lake.current_id() != self._current().manifest.id:
                with self._lock:
                    manifest = self.lake.manifest()
                    if manifest.id != self._current().manifest.id:
                        self.behind_since = self.behind_since or _epoch(manifest.committed_at)
                        self._snapshot = self._switch(manifest)
                        self.mark("warehouse", None)  # its files were read
            self.behind_since = None
            self.mark("catalog", None)
        except (CatalogUnavailable, StorageUnavailable, OSError) as exc:  # a file missing: the warehouse's
            self._fail(exc)

    def lag_seconds(self) -> float:
        """Seconds since the newest commit seen was made, while this process still serves an older one (0: none)."""
        return 0.0 if self.behind_since is None else max(0.0, time.time() - self.behind_since)


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return time.time()
