"""A region against its ancestors for the same period: gaps in percentage points for rates; ratio and share for
levels; and its rank among its siblings, computed from their data or as reported.

Every figure in one comparison is for the same period: a region without that period is listed as missing, never
replaced by another period's value.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from service.model.catalog import Indicator, Region
from service.model.period import parse_canonical
from service.query.rows import Rows
from service.query.series import SeriesQuery, Vintage, series
from service.query.transforms import Transform
from service.store import vintage
from service.store.snapshot import Snapshot

DIGITS = 10  # gaps and ratios are rounded here to drop binary noise (8.4 - 7.4 = 1.0000000000000009)


@dataclass(frozen=True)
class Figure:
    region: Region
    period: str
    value: float | None
    status: str | None = None
    published: date | None = None
    source: str | None = None
    quote: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region.code,
            "name": self.region.name,
            "name_en": self.region.name_en,
            "level": self.region.level,
            "value": self.value,
            "status": self.status,
            "published": self.published,
            "source": self.source,
            "quote": self.quote,
            "note": self.note,
            "missing": self.value is None,
        }


def figures(
    snap: Snapshot,
    indicator: str,
    regions: list[str],
    periods: list[str],
    as_of: date | None,
    detail: Collection[str] | None = None,
) -> dict[tuple[str, str], Figure]:
    """(region, period) → Figure for every pair, missing ones with value None (read from the in-memory frame); the
    figures of regions outside ``detail`` (None: all) carry their value only (a sibling counts for its rank).

    Each region's release of each period current on ``as_of`` is found by binary search (``Frame.current``, the
    vintage rule): no filtering of whole series per request; the fields of the figures found are read in one take."""
    frame = snap.frame(indicator)
    ends = np.array([parse_canonical(p).end_date() for p in periods], dtype="datetime64[D]")
    found: list[tuple[str, str, int]] = []  # (region, period, row of the frame)
    out = {}
    for code in regions:
        for p, at in zip(periods, frame.current(code, ends, as_of).tolist(), strict=True):
            if at >= 0:
                found.append((code, p, at))
            else:
                out[(code, p)] = Figure(snap.regions[code], p, None)
    full = [i for i, (code, _, _) in enumerate(found) if detail is None or code in detail]
    if len(full) < len(found):  # the values of all (siblings count for ranks), the rest of the fields of some
        values = frame.table.column("value").take([row for _, _, row in found]).to_pylist()
        for (code, p, _), value in zip(found, values, strict=True):
            out[(code, p)] = Figure(snap.regions[code], p, value)
    if full:
        fields = frame.table.select(FIGURE_FIELDS).take([found[i][2] for i in full]).to_pydict()
        for n, i in enumerate(full):
            code, p, _ = found[i]
            out[(code, p)] = Figure(snap.regions[code], p, *(fields[name][n] for name in FIGURE_FIELDS))
    return out


FIGURE_FIELDS = ("value", "status", "published", "source", "quote", "note")


def latest_period(snap: Snapshot, indicator: str, regions: list[str], as_of: date | None) -> str | None:
    """The latest period for which any of ``regions`` has a value (as known on ``as_of``)."""
    best: tuple[date, str] | None = None
    frame = snap.frame(indicator)
    for code in regions:
        rows = vintage.pick(frame.rows(code), as_of, initial=False, every=False)
        rows = rows.filter(pc.is_valid(rows.column("value")))
        if rows.num_rows:
            last = (rows.column("period_end")[-1].as_py(), rows.column("period")[-1].as_py())
            best = last if best is None or last > best else best
    return None if best is None else best[1]


def periods_between(
    snap: Snapshot, indicator: str, region: str, start: date | None, end: date | None, as_of: date | None
) -> list[str]:
    """The periods ``region`` has between two dates (by period end), in order."""
    rows = vintage.pick(snap.frame(indicator).rows(region), as_of, initial=False, every=False)
    if start is not None:
        rows = rows.filter(pc.greater_equal(rows.column("period_end"), pa.scalar(start, pa.date32())))
    if end is not None:
        rows = rows.filter(pc.less_equal(rows.column("period_end"), pa.scalar(end, pa.date32())))
    return [str(p) for p in rows.column("period").to_pylist()]


def periods_over_time(
    snap: Snapshot,
    indicator: Indicator,
    region: Region,
    window: tuple[date | None, date | None],
    last_n: int | None,
    as_of: date | None,
) -> list[str]:
    """The periods an over-time comparison draws: every period of the indicator's frequency from the first to the
    last that the region or an ancestor has between the window's dates (a period nobody has stays, as a gap), the
    last ``last_n`` of them when asked."""
    codes = [region.code, *[a.code for a in snap.ancestors(region.code)]]
    found = {p for c in codes for p in periods_between(snap, indicator.code, c, *window, as_of)}
    if not found:
        return []
    first, last = min(map(parse_canonical, found)), max(map(parse_canonical, found))
    every = [first]
    while every[-1] < last:
        every.append(every[-1].shift(1))
    return [p.label for p in every[-(last_n or len(every)) :]]


def in_units(
    snap: Snapshot, indicator: Indicator, blocks: list[dict[str, Any]], t: Transform, as_of: date | None
) -> list[dict[str, Any]]:
    """The periods of a comparison with every figure in the units ``t`` (units=, as /v1/series takes it): each
    region's series transformed on its whole length (a year-on-year change of the first period shown reads the year
    before it), then how the region stands against each ancestor recomputed on the new values (pc1 of a level: a
    gap in percentage points)."""
    shown = replace(indicator, unit=t.unit or indicator.unit)
    codes = [blocks[0]["region"], *[a["region"] for a in blocks[0]["against"]]] if blocks else []
    q = SeriesQuery(Vintage(as_of=as_of), units=t)
    values: dict[str, dict[str, float | None]] = {}
    for code in codes:
        table = series(snap, indicator, code, q)
        values[code] = dict(zip(table.column("period").to_pylist(), table.column("value").to_pylist(), strict=True))
    out = []
    for b in blocks:
        own = values[b["region"]].get(b["period"])
        against = []
        for a in b["against"]:
            other = values[a["region"]].get(b["period"])
            against.append({**a, "value": other, "missing": other is None, **relation(shown, own, other)})
        out.append({**b, "value": own, "missing": own is None, "against": against})
    return out


def relation(indicator: Indicator, value: float | None, other: float | None) -> dict[str, float | None]:
    """How ``value`` stands against ``other``: percentage points for rates, ratio and share for levels."""
    ok = value is not None and other is not None
    if indicator.is_rate:
        return {"gap_pp": round(value - other, DIGITS) if ok else None}  # type: ignore[operator]
    ratio = round(value / other, DIGITS) if ok and other != 0 else None  # type: ignore[operator]
    return {"ratio": ratio, "share_pct": round(ratio * 100, DIGITS) if ratio is not None else None}


def competition_ranks(values: dict[str, float], descending: bool = True) -> dict[str, int]:
    """Ties share a rank and the next rank skips (1, 2, 2, 4): one plus how many rank strictly better. By sorting,
    so a nationwide table of 2,846 counties is a sort, not millions of comparisons."""
    first: dict[float, int] = {}
    for place, value in enumerate(sorted(values.values(), reverse=descending), start=1):
        first.setdefault(value, place)
    return {code: first[v] for code, v in values.items()}


def rank_indicators(snap: Snapshot, indicator: Indicator) -> list[Indicator]:
    return [i for i in snap.indicators.values() if i.kind == "rank" and i.rank_of == indicator.code]


def siblings(snap: Snapshot, region: Region) -> list[str]:
    if region.parent is None:
        return [region.code]
    return [c for c in snap.children.get(region.parent, []) if snap.regions[c].level == region.level]


def reported_ranks(
    snap: Snapshot, indicator: Indicator, regions: list[str], periods: list[str], as_of: date | None
) -> dict[tuple[str, str], tuple[int, str]]:
    """(region, period) → (reported rank, rank indicator code)."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for rank_ind in rank_indicators(snap, indicator):
        for key, fig in figures(snap, rank_ind.code, regions, periods, as_of, detail=()).items():
            if fig.value is not None and key not in out:
                out[key] = (int(fig.value), rank_ind.code)
    return out


def computed_rank(region: str, values: dict[str, float | None], descending: bool = True) -> dict[str, Any] | None:
    """The region's competition rank among the siblings that have a value (at least two, the region among them)."""
    present = {c: v for c, v in values.items() if v is not None}
    if region not in present or len(present) < 2:
        return None
    return {
        "rank": competition_ranks(present, descending)[region],
        "of": len(present),
        "complete": len(present) == len(values),
        "missing": sorted(c for c, v in values.items() if v is None),
    }


def rank_block(
    region: str, period: str, values: dict[str, float | None], reported: tuple[int, str] | None, descending: bool = True
) -> dict[str, Any] | None:
    """The rank shown: computed when every sibling has a value (or nothing was reported), else the reported one;
    both are kept, with whether they agree and a warning when they do not."""
    computed = computed_rank(region, values, descending)
    rep = {"rank": reported[0], "indicator": reported[1]} if reported else None
    if computed is None and rep is None:
        return None
    chosen = computed if computed is not None and (computed["complete"] or rep is None) else None
    rank, of = (chosen["rank"], chosen["of"]) if chosen else (rep["rank"], len(values))  # type: ignore[index]
    agree = None if computed is None or rep is None else computed["rank"] == rep["rank"]
    block: dict[str, Any] = {
        "rank": rank,
        "of": of,
        "method": "computed" if chosen else "reported",
        "computed": computed,
        "reported": rep,
        "agree": agree,
    }
    if agree is False:
        block["warning"] = (
            f"the rank computed from {computed['of']} of {len(values)} siblings "  # type: ignore[index]
            f"({computed['rank']}) differs from the reported rank ({rep['rank']})"  # type: ignore[index]
        )
    return block


@dataclass(frozen=True)
class Circle:
    """Who a region is compared with: its ancestors, its siblings and (nationwide) every region of its level."""

    region: Region
    ancestors: list[Region]
    siblings: list[str]
    peers: list[str]

    def codes(self) -> list[str]:
        return list(dict.fromkeys([self.region.code, *[a.code for a in self.ancestors], *self.siblings, *self.peers]))


def circle(snap: Snapshot, region: Region, nationwide: bool) -> Circle:
    ancestors = snap.ancestors(region.code)
    peers: list[str] = []
    if nationwide:  # every region of its level in its tree (for a prefecture-level city: all of the nation's)
        peers = snap.descendants(ancestors[-1].code, region.level) if ancestors else [region.code]
    return Circle(region, ancestors, siblings(snap, region), peers)


def compare(
    snap: Snapshot,
    indicator: Indicator,
    region: Region,
    periods: list[str],
    as_of: date | None,
    nationwide: bool = False,
    units: Transform | None = None,
) -> tuple[dict[str, Any], Rows]:
    """The comparison document (JSON) and the same figures as one long table (CSV, Parquet, Arrow); with
    ``nationwide``, also the region's rank among all regions of its level in the tree; with ``units``, the figures
    in those units (see ``in_units``; ranks stay those of the figures as published)."""
    who = circle(snap, region, nationwide)
    named = {region.code, *[a.code for a in who.ancestors]}  # siblings and peers count for ranks: values only
    figs = figures(snap, indicator.code, who.codes(), periods, as_of, named)
    reported = reported_ranks(snap, indicator, [region.code], periods, as_of)
    out_periods = []
    for p in periods:
        block = period_block(indicator, who, p, figs, reported.get((region.code, p)))
        if not nationwide:
            del block["rank_nation"]
        out_periods.append(block)
    shown = indicator
    if units is not None and units.code != "lin":
        out_periods = in_units(snap, indicator, out_periods, units, as_of)
        shown = replace(indicator, unit=units.unit or indicator.unit)
    measure = (
        "gap in percentage points (region minus ancestor)"
        if shown.is_rate
        else ("ratio of the region's value to the ancestor's, and its share in per cent")
    )
    document = {"measure": measure, "periods": out_periods}
    rows = [row for block in out_periods for row in period_rows(block)]
    return document, Rows.ordered(rows, COMPARE_SCHEMA)


def period_block(
    indicator: Indicator,
    who: Circle,
    p: str,
    figs: dict[tuple[str, str], Figure],
    reported: tuple[int, str] | None,
) -> dict[str, Any]:
    """One period of a comparison: the region's figure, its ancestors' with the gaps, its ranks."""
    own = figs[(who.region.code, p)]
    against = [
        {**figs[(a.code, p)].as_dict(), **relation(indicator, own.value, figs[(a.code, p)].value)}
        for a in who.ancestors
    ]
    rank = rank_block(who.region.code, p, {c: figs[(c, p)].value for c in who.siblings}, reported)
    national = rank_block(who.region.code, p, {c: figs[(c, p)].value for c in who.peers}, None) if who.peers else None
    return {"period": p, **own.as_dict(), "against": against, "rank": rank, "rank_nation": national}


NO_RANK = {"rank": None, "rank_of": None, "rank_method": None, "rank_nation": None, "rank_nation_of": None}


def period_rows(block: dict[str, Any]) -> list[dict[str, Any]]:
    """A period block as long rows: the region's, then one per ancestor."""
    rank, national = block["rank"], block.get("rank_nation")
    own = {k: v for k, v in block.items() if k not in ("against", "rank", "rank_nation")}
    region = {
        **own,
        "role": "region",
        "gap_pp": None,
        "ratio": None,
        "share_pct": None,
        "rank": rank and rank["rank"],
        "rank_of": rank and rank["of"],
        "rank_method": rank and rank["method"],
        "rank_nation": national and national["rank"],
        "rank_nation_of": national and national["of"],
    }
    ancestors = [
        {
            "period": block["period"],
            "role": "ancestor",
            **a,
            "gap_pp": a.get("gap_pp"),
            "ratio": a.get("ratio"),
            "share_pct": a.get("share_pct"),
            **NO_RANK,
        }
        for a in block["against"]
    ]
    return [region, *ancestors]


FIGURE_COLUMNS = [
    ("region", pa.string()),
    ("name", pa.string()),
    ("name_en", pa.string()),
    ("level", pa.string()),
    ("value", pa.float64()),
    ("status", pa.string()),
    ("published", pa.date32()),
    ("source", pa.string()),
    ("quote", pa.string()),
    ("note", pa.string()),
    ("missing", pa.bool_()),
    ("gap_pp", pa.float64()),
    ("ratio", pa.float64()),
    ("share_pct", pa.float64()),
]  # a Figure as a row, with how it stands against another region (shared by compare and rankings)
COMPARE_SCHEMA = pa.schema(
    [
        ("period", pa.string()),
        ("role", pa.string()),
        *FIGURE_COLUMNS,
        ("rank", pa.int64()),
        ("rank_of", pa.int64()),
        ("rank_method", pa.string()),
        ("rank_nation", pa.int64()),
        ("rank_nation_of", pa.int64()),
    ]
)
