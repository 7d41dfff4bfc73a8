"""Where the data is, for answers that hold none: the latest period with data, the regions that have an indicator.

Computed only when an answer is empty, so answers with figures cost nothing more (and keep their bytes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.query.compare import latest_period
from service.store.snapshot import Snapshot

SAMPLE = 5  # regions named in regions_with_data


def regions_with(snap: Snapshot, indicator: str) -> dict[str, Any]:
    """How many regions have rows of ``indicator``, and the first few by code."""
    codes = sorted(c for c in snap.frame(indicator).index if c in snap.regions)
    sample = [{"code": c, "name": snap.regions[c].name} for c in codes[:SAMPLE]]
    return {"count": len(codes), "sample": sample}


def latest(snap: Snapshot, indicator: str, regions: list[str] | None, as_of: date | None) -> str | None:
    """The latest period with a value among ``regions`` (None or empty: every region with rows)."""
    return latest_period(snap, indicator, regions or list(snap.frame(indicator).index), as_of)


def for_series(snap: Snapshot, indicator: str, region: str, as_of: date | None) -> dict[str, Any]:
    """An empty series: the region's latest period with data, or, when it has none, the regions that have some."""
    found = latest(snap, indicator, [region], as_of)
    if found is not None:
        return {"latest_period": found}
    return {"latest_period": None, "regions_with_data": regions_with(snap, indicator)}


def for_selection(
    snap: Snapshot, indicators: list[str], regions: list[str], as_of: date | None
) -> dict[str, Any] | None:
    """An empty page of observations: the latest period of the indicator (or of each) among the regions asked."""
    if not indicators:
        return None
    if len(indicators) > 1:
        return {"latest_periods": {i: latest(snap, i, regions, as_of) for i in indicators}}
    found = latest(snap, indicators[0], regions, as_of)
    if found is None and regions:
        return {"latest_period": None, "regions_with_data": regions_with(snap, indicators[0])}
    return {"latest_period": found}


def for_compare(
    snap: Snapshot, indicator: str, region: str, periods: list[dict[str, Any]], as_of: date | None
) -> dict[str, Any] | None:
    """A comparison where the region has no figure for any period asked."""
    if any(not p.get("missing", True) for p in periods):
        return None
    return for_series(snap, indicator, region, as_of)


def for_rankings(
    snap: Snapshot, indicator: str, regions: list[str], ranked: int, as_of: date | None
) -> dict[str, Any] | None:
    """A league table with nobody ranked: the latest period any of its members has."""
    return None if ranked else {"latest_period": latest(snap, indicator, regions, as_of)}
