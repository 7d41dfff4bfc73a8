"""Discovery: regions, indicators, sources, the series that exist, and text search (Chinese included).

Catalogs are small and held in memory per snapshot, so these are plain Python filters; the series catalog comes
from one aggregate query cached per snapshot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from service.model.catalog import Indicator, Region, Source
from service.model.schema import INDICATORS, REGIONS, SOURCES
from service.model.units import UNITS, describe, unit
from service.query.series import catalog as series_catalog
from service.store.snapshot import Snapshot


def _matches(q: str | None, *texts: str | None) -> bool:
    if not q:
        return True
    needle = q.casefold()
    return any(needle in t.casefold() for t in texts if t)


def regions(snap: Snapshot, level: str | None, parent: str | None, q: str | None) -> pa.Table:
    rows = [
        asdict(r)
        for r in snap.regions.values()
        if (level is None or r.level == level)
        and (parent is None or r.parent == parent)
        and _matches(q, r.code, r.name, r.name_en)
    ]
    rows.sort(key=lambda r: (r["code"] != "CN", r["code"]))
    return pa.Table.from_pylist(rows, schema=REGIONS.remove_metadata())


def region_family(snap: Snapshot, region: Region) -> pa.Table:
    """The region, its ancestors up to the root, and its children, with a ``relation`` column."""
    rows = [{**asdict(region), "relation": "self"}]
    rows += [{**asdict(a), "relation": "ancestor"} for a in snap.ancestors(region.code)]
    rows += [{**asdict(snap.regions[c]), "relation": "child"} for c in sorted(snap.children.get(region.code, []))]
    return pa.Table.from_pylist(rows, schema=REGIONS.remove_metadata().append(pa.field("relation", pa.string())))


def indicators(snap: Snapshot, topic: str | None, kind: str | None, q: str | None) -> pa.Table:
    rows = [
        asdict(i)
        for i in snap.indicators.values()
        if (topic is None or i.topic == topic)
        and (kind is None or i.kind == kind)
        and _matches(q, i.code, i.name, i.name_en, i.description)
    ]
    rows.sort(key=lambda r: r["code"])
    return pa.Table.from_pylist(rows, schema=INDICATORS.remove_metadata())


def indicator_detail(snap: Snapshot, indicator: Indicator) -> dict[str, Any]:
    s = series(snap, indicator=[indicator.code])
    return {
        **asdict(indicator),
        "first_period": _min_period(s, "first_period"),
        "last_period": _max_period(s, "last_period"),
        "regions": [
            {
                "code": r["region"],
                "name": snap.regions[r["region"]].name,
                "first_period": r["first_period"],
                "last_period": r["last_period"],
                "observations": r["observations"],
            }
            for r in s.select(["region", "first_period", "last_period", "observations"]).to_pylist()
        ],
    }


def _min_period(t: pa.Table, col: str) -> str | None:
    return min(t.column(col).to_pylist(), default=None)


def _max_period(t: pa.Table, col: str) -> str | None:
    return max(t.column(col).to_pylist(), default=None)


def units(snap: Snapshot) -> pa.Table:
    """The units the snapshot's indicators use (and the known ones no indicator uses yet), with how many use each."""
    used = Counter(i.unit for i in snap.indicators.values())
    rows = [
        {**describe(u.code), "base": u.sdmx, "decimals": u.decimals, "indicators": used.get(u.code, 0)}
        for u in (unit(code) for code in sorted(set(UNITS) | set(used)))
    ]
    return pa.Table.from_pylist(rows, schema=UNITS_SCHEMA)


UNITS_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string(), metadata={"description": "As in indicators' unit"}),
        pa.field("name", pa.string(), metadata={"description": "In the dataset's language"}),
        pa.field("name_en", pa.string()),
        pa.field("symbol", pa.string(), metadata={"description": "What a chart axis shows"}),
        pa.field("multiplier", pa.int64(), metadata={"description": "Power of ten of the base: 亿元 = 10^8 CNY"}),
        pa.field("base", pa.string(), metadata={"description": "The base unit (SDMX UNIT_MEASURE code)"}),
        pa.field("decimals", pa.int64(), metadata={"description": "Decimals usually shown"}),
        pa.field("indicators", pa.int64(), metadata={"description": "Indicators in this unit"}),
    ]
)


def sources(snap: Snapshot) -> pa.Table:
    return pa.Table.from_pylist([asdict(s) for s in snap.sources.values()], schema=SOURCES.remove_metadata())


def cited(snap: Snapshot, ids: Iterable[str | None]) -> list[Source]:
    """The known sources among these ids, each once, in order of first mention."""
    return [snap.sources[s] for s in dict.fromkeys(s for s in ids if s) if s in snap.sources]


def series(
    snap: Snapshot,
    indicator: list[str] | None = None,
    region: list[str] | None = None,
    parent: str | None = None,
    level: str | None = None,
    q: str | None = None,
) -> pa.Table:
    t = series_catalog(snap)
    if indicator:
        t = t.filter(pc.is_in(t.column("indicator"), pa.array(indicator, pa.string())))
    if region:
        t = t.filter(pc.is_in(t.column("region"), pa.array(region, pa.string())))
    if parent is not None or level is not None or q:
        keep = [
            c
            for c, r in snap.regions.items()
            if (parent is None or r.parent == parent) and (level is None or r.level == level)
        ]
        t = t.filter(pc.is_in(t.column("region"), pa.array(keep, pa.string())))
    if q:
        mask = [
            _matches(
                q,
                i,
                snap.indicators[i].name,
                snap.indicators[i].name_en,
                r,
                snap.regions[r].name,
                snap.regions[r].name_en,
            )
            for i, r in zip(t.column("indicator").to_pylist(), t.column("region").to_pylist(), strict=True)
        ]
        t = t.filter(pa.array(mask, pa.bool_()))
    names = [snap.indicators[i].name for i in t.column("indicator").to_pylist()]
    region_names = [snap.regions[r].name for r in t.column("region").to_pylist()]
    return t.append_column("indicator_name", pa.array(names, pa.string())).append_column(
        "region_name", pa.array(region_names, pa.string())
    )
