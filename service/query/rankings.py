"""League tables: a parent's children ranked on one indicator for one period (ties share a rank, next skips)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pyarrow as pa

from service.errors import bad_parameter
from service.model.catalog import Indicator, Region
from service.query.compare import FIGURE_COLUMNS, competition_ranks, figures, relation, reported_ranks
from service.store.snapshot import Snapshot


def children(snap: Snapshot, parent: Region, level: str | None) -> list[str]:
    """The parent's children of ``level``; by default of the level most of its children have."""
    kids = snap.children.get(parent.code, [])
    if not kids:
        raise bad_parameter("parent", f"{parent.code} ({parent.name}) has no child regions to rank")
    if level is None:
        level = Counter(snap.regions[c].level for c in kids).most_common(1)[0][0]
    chosen = [c for c in kids if snap.regions[c].level == level]
    if not chosen:
        levels = sorted({snap.regions[c].level for c in kids})
        raise bad_parameter("level", f"{parent.code} has no children of level {level!r}", levels)
    return chosen


def rankings(
    snap: Snapshot,
    indicator: Indicator,
    parent: Region,
    kids: list[str],
    period: str,
    descending: bool,
    as_of: date | None,
) -> tuple[dict[str, Any], pa.Table]:
    figs = figures(snap, indicator.code, [parent.code, *kids], [period], as_of)
    parent_fig = figs[(parent.code, period)]
    present = {c: figs[(c, period)].value for c in kids if figs[(c, period)].value is not None}
    # One region with data is not a league: computed ranks need at least two values.
    ranks = competition_ranks(present, descending) if len(present) >= 2 else {}  # type: ignore[arg-type]
    reported = reported_ranks(snap, indicator, kids, [period], as_of)
    rows = []
    for code in kids:
        fig = figs[(code, period)]
        rep = reported.get((code, period))
        rows.append(
            {
                "rank": ranks.get(code),
                **fig.as_dict(),
                **_gaps(indicator, fig.value, parent_fig.value),
                "reported_rank": rep[0] if rep else None,
            }
        )
    rows.sort(
        key=lambda r: (
            r["rank"] is None,
            r["rank"] or 0,
            r["reported_rank"] is None,
            r["reported_rank"] or 0,
            r["region"],
        )
    )
    meta = {
        "period": period,
        "order": "desc" if descending else "asc",
        "parent": {**parent_fig.as_dict()},
        "ranked": len(present),
        "of": len(kids),
        "missing": [r["region"] for r in rows if r["value"] is None],
        "measure": "gap_pp = region minus parent, in percentage points"
        if indicator.is_rate
        else "ratio = region / parent; share_pct = ratio x 100",
    }
    return meta, pa.Table.from_pylist(rows, schema=RANKINGS_SCHEMA)


def _gaps(indicator: Indicator, value: float | None, parent: float | None) -> dict[str, float | None]:
    return {"gap_pp": None, "ratio": None, "share_pct": None, **relation(indicator, value, parent)}


RANKINGS_SCHEMA = pa.schema([("rank", pa.int64()), *FIGURE_COLUMNS, ("reported_rank", pa.int64())])
