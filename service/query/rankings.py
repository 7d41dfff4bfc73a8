"""League tables: a parent's children, or all its descendants of one level (every prefecture-level city of the
nation), ranked on one indicator for one period (ties share a rank, the next skips)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pyarrow as pa

from service.errors import bad_parameter
from service.model.catalog import Indicator, Region
from service.query.compare import FIGURE_COLUMNS, Figure, competition_ranks, figures, relation, reported_ranks
from service.query.rows import Rows
from service.store.snapshot import Snapshot


def members(snap: Snapshot, parent: Region, level: str | None) -> list[str]:
    """Who is ranked: every region of ``level`` below the parent, at any depth (``parent=CN&level=prefecture``:
    all prefecture-level cities, through their provinces); by default the parent's children of the level most of
    them have."""
    kids = snap.children.get(parent.code, [])
    if not kids:
        raise bad_parameter("parent", f"{parent.code} ({parent.name}) has no child regions to rank")
    if level is None:
        level = Counter(snap.regions[c].level for c in kids).most_common(1)[0][0]
        return [c for c in kids if snap.regions[c].level == level]
    chosen = snap.descendants(parent.code, level)
    if not chosen:
        levels = sorted({snap.regions[c].level for c in snap.descendants(parent.code)})
        raise bad_parameter("level", f"{parent.code} has no regions of level {level!r} below it", levels)
    return chosen


def percentile(rank: int | None, ranked: int) -> float | None:
    """100 for the first, 0 for the last: the share of the other ranked regions this one ranks level with or
    above, in per cent (``(n - rank) / (n - 1)``)."""
    if rank is None or ranked < 2:
        return None
    return round(100 * (ranked - rank) / (ranked - 1), 1)


def rankings(
    snap: Snapshot,
    indicator: Indicator,
    parent: Region,
    kids: list[str],
    period: str,
    descending: bool,
    as_of: date | None,
    limit: int | None = None,
) -> tuple[dict[str, Any], Rows]:
    figs = figures(snap, indicator.code, [parent.code, *kids], [period], as_of)
    parent_fig = figs[(parent.code, period)]
    present = {c: figs[(c, period)].value for c in kids if figs[(c, period)].value is not None}
    # One region with data is not a league: computed ranks need at least two values.
    ranks = competition_ranks(present, descending) if len(present) >= 2 else {}  # type: ignore[arg-type]
    # Reported ranks are among siblings: they stand beside computed ones only when siblings are what is ranked.
    direct = all(snap.regions[c].parent == parent.code for c in kids)
    reported = reported_ranks(snap, indicator, kids, [period], as_of) if direct else {}
    rows = [
        _row(snap, indicator, figs[(c, period)], (ranks.get(c), len(present)), parent_fig, reported.get((c, period)))
        for c in kids
    ]
    rows.sort(key=_league_order)
    meta = {
        "period": period,
        "order": "desc" if descending else "asc",
        "parent": {**parent_fig.as_dict()},
        "level": snap.regions[kids[0]].level,
        "scope": "children" if direct else "descendants",
        "ranked": len(present),
        "of": len(kids),
        "limit": limit,
        "missing": [r["region"] for r in rows if r["value"] is None],
        "measure": MEASURES[indicator.is_rate],
    }
    return meta, Rows.ordered(rows[:limit], RANKINGS_SCHEMA)


def _row(
    snap: Snapshot,
    indicator: Indicator,
    fig: Figure,
    rank: tuple[int | None, int],
    parent: Figure,
    reported: tuple[int, str] | None,
) -> dict[str, Any]:
    """One region's row of a league table (``rank``: its rank and how many are ranked)."""
    up = snap.regions.get(fig.region.parent or "")
    return {
        "rank": rank[0],
        "of": rank[1],
        "percentile": percentile(*rank),
        **fig.as_dict(),
        "parent": up and up.code,
        "parent_name": up and up.name,
        **_gaps(indicator, fig.value, parent.value),
        "reported_rank": reported[0] if reported else None,
    }


MEASURES = {
    True: "gap_pp = region minus parent, in percentage points",
    False: "ratio = region / parent; share_pct = ratio x 100",
}


def _league_order(r: dict[str, Any]) -> tuple[Any, ...]:
    """Ranked rows by rank; then (too few values to rank) those with a value; then by reported rank; then code."""
    return (
        r["rank"] is None,
        r["rank"] or 0,
        r["value"] is None,
        r["reported_rank"] is None,
        r["reported_rank"] or 0,
        r["region"],
    )


def _gaps(indicator: Indicator, value: float | None, parent: float | None) -> dict[str, float | None]:
    return {"gap_pp": None, "ratio": None, "share_pct": None, **relation(indicator, value, parent)}


RANKINGS_SCHEMA = pa.schema(
    [
        ("rank", pa.int64()),
        ("of", pa.int64()),
        ("percentile", pa.float64()),
        *FIGURE_COLUMNS[:4],
        ("parent", pa.string()),
        ("parent_name", pa.string()),
        *FIGURE_COLUMNS[4:],
        ("reported_rank", pa.int64()),
    ]
)
