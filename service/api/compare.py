"""Comparisons and league tables: /v1/compare/{indicator}/{region} and /v1/rankings/{indicator}."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Query
from starlette.responses import Response

from service.api import schemas
from service.api.deps import (
    AsOf,
    BomParam,
    DataMediaDep,
    IndicatorDep,
    PeriodQuery,
    Range,
    RangeDep,
    RegionDep,
    RegionQuery,
    SnapshotDep,
    in_memory,
    period_for,
    region_param,
    respond,
)
from service.api.docs import SERIES_RESPONSES, answering
from service.api.http import simple_query
from service.errors import YardstickError, bad_parameter, not_found
from service.formats import JSON, Payload, encode
from service.model import period as periods
from service.model.catalog import Indicator, Region, as_dict
from service.model.schema import Level
from service.model.units import describe
from service.query import compare as q_compare
from service.query import hints, transforms
from service.query import rankings as q_rankings
from service.store.snapshot import Snapshot

router = APIRouter(prefix="/v1", tags=["comparisons"], responses=SERIES_RESPONSES)

LastN = Annotated[
    int | None,
    Query(
        ge=1,
        le=1000,
        description="Over time: the last N periods, counted back from the latest with a figure for the region or "
        "an ancestor (a period between with none counts, as a gap)",
    ),
]
UnitsParam = Annotated[
    str,
    Query(
        max_length=64,
        description="Over time: the figures in a transform's units, as /v1/series takes it (pc1 of a level: each "
        "region's year-on-year %, gaps recomputed on it); one that does not apply to the indicator is a 400",
    ),
]
PeriodParam = Annotated[
    str | None, PeriodQuery(description="The period (default: the latest with data)", examples=["2022-Q3"])
]


@router.get(
    "/compare/{indicator}/{region}",
    name="compare-get",
    summary="A region against its province and nation, with its rank among its siblings",
    responses=answering(schemas.CompareAnswer, SERIES_RESPONSES),
)
async def compare_get(
    snap: SnapshotDep,
    indicator: IndicatorDep,
    region: RegionDep,
    media: DataMediaDep,
    window: RangeDep,
    period: PeriodParam = None,
    last_n: LastN = None,
    units: UnitsParam = "lin",
    rank_scope: Annotated[
        str,
        Query(
            pattern="^(siblings|nation)$",
            description="siblings: the rank among the region's siblings; nation: also among every region of its level "
            "in the whole tree (rank_nation), e.g. all 333 prefecture-level cities",
        ),
    ] = "siblings",
    as_of: AsOf = None,
    bom: BomParam = False,
) -> Response:
    await ranked_in_memory(snap, indicator)
    answer = comparison(snap, indicator, region, period, (window, last_n), units, rank_scope == "nation", as_of)
    return respond(answer, media, snap, bom)


def comparison(
    snap: Snapshot,
    indicator: Indicator,
    region: Region,
    period: str | None,
    window: tuple[Range, int | None],
    units: str,
    nationwide: bool,
    as_of: date | None,
) -> Payload:
    """A comparison's answer (the handler's and the fast lane's), its frames in memory."""
    periods = compare_periods(snap, indicator, region, period, window, as_of)
    t = comparison_units(units, indicator, over_time(period, *window))
    document, table = q_compare.compare(snap, indicator, region, periods, as_of, nationwide, t)
    heading = {"indicator": as_dict(indicator), "region": as_dict(region), "unit": describe(t.unit or indicator.unit)}
    doc = {"snapshot": snap.id, **heading, "units": t.code, **document}
    if (hint := hints.for_compare(snap, indicator.code, region.code, document["periods"], as_of)) is not None:
        doc["hint"] = hint
    return Payload(table, doc, None, f"compare-{indicator.code}-{region.code}")


@router.get(
    "/rankings/{indicator}",
    name="rankings-get",
    summary="A league table for one period: a parent's children, or all its descendants of one level",
    responses=answering(schemas.RankingsAnswer, SERIES_RESPONSES),
)
async def rankings_get(
    snap: SnapshotDep,
    indicator: IndicatorDep,
    media: DataMediaDep,
    parent: Annotated[str, RegionQuery(description="Rank the regions below this one", examples=["430000"])],
    level: Annotated[
        Level | None,
        Query(
            description="Rank every region of this level below the parent, at any depth (parent=CN&level=prefecture: "
            "all prefecture-level cities of the nation); default: the parent's children of their usual level"
        ),
    ] = None,
    period: PeriodParam = None,
    order: Annotated[
        str, Query(pattern="^(asc|desc)$", description="desc: the highest value ranks first; asc: the lowest")
    ] = "desc",
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="Only the first N rows: the top N (order=asc: the bottom N)")
    ] = None,
    as_of: AsOf = None,
    bom: BomParam = False,
) -> Response:
    p = region_param(snap, parent, "parent")
    assert p is not None
    kids = q_rankings.members(snap, p, level)
    await ranked_in_memory(snap, indicator)
    return respond(league(snap, indicator, p, kids, period, order == "desc", limit, as_of), media, snap, bom)


def league(
    snap: Snapshot,
    indicator: Indicator,
    parent: Region,
    kids: list[str],
    period: str | None,
    descending: bool,
    limit: int | None,
    as_of: date | None,
) -> Payload:
    """A league table's answer (the handler's and the fast lane's), its frames in memory."""
    label = period_or_latest(snap, indicator, kids, period, as_of)
    meta, table = q_rankings.rankings(snap, indicator, parent, kids, label, descending, as_of, limit)
    doc = {"snapshot": snap.id, "indicator": as_dict(indicator), "unit": describe(indicator.unit), **meta}
    if (hint := hints.for_rankings(snap, indicator.code, kids, meta["ranked"], as_of)) is not None:
        doc["hint"] = hint
    return Payload(table, doc, "rankings", f"rankings-{indicator.code}-{parent.code}")


FAST_COMPARE = re.compile(r"^/v1/compare/([^/]+)/([^/]+)$")
FAST_RANKINGS = re.compile(r"^/v1/rankings/([^/]+)$")
NO_RANGE = Range(None, None, None, None)


def fast_compare(snap: Snapshot, path: str, query: str) -> bytes | None:
    """The JSON of ``/v1/compare/{indicator}/{region}`` with at most ``period``, straight from memory (the fast
    lane: no parameter solving), or None where the handler answers (anything else, an error, frames not loaded)."""
    m, params = FAST_COMPARE.match(path), simple_query(query)
    if m is None or params is None or not set(params) <= {"period"} or not _period_ok(params):
        return None
    indicator, region = snap.indicators.get(unquote(m[1])), snap.regions.get(unquote(m[2]))
    if indicator is None or region is None or not _ranked_loaded(snap, indicator):
        return None
    period = params.get("period")
    return _json(lambda: comparison(snap, indicator, region, period, (NO_RANGE, None), "lin", False, None))


def fast_rankings(snap: Snapshot, path: str, query: str) -> bytes | None:
    """The JSON of ``/v1/rankings/{indicator}?parent=P`` with at most ``period`` besides, as ``fast_compare``."""
    m, params = FAST_RANKINGS.match(path), simple_query(query)
    if m is None or params is None or not {"parent"} <= set(params) <= {"parent", "period"} or not _period_ok(params):
        return None
    indicator, parent = snap.indicators.get(unquote(m[1])), snap.regions.get(params["parent"])
    if indicator is None or parent is None or not _ranked_loaded(snap, indicator):
        return None
    period = params.get("period")  # (members' errors, too, are the handler's to answer)
    return _json(
        lambda: league(snap, indicator, parent, q_rankings.members(snap, parent, None), period, True, None, None)
    )


def _json(answer: Callable[[], Payload]) -> bytes | None:
    """The answer as JSON, or None on an error: the handler then says what was wrong, with its problem document."""
    try:
        return encode(answer(), JSON)
    except YardstickError:
        return None


def _period_ok(params: dict[str, str]) -> bool:
    """``period`` absent, or as its parameter's declaration takes it (else the handler's 400 says why)."""
    period = params.get("period")
    return period is None or (len(period) <= 32 and re.search(periods.PATTERN, period) is not None)


def _ranked_loaded(snap: Snapshot, indicator: Indicator) -> bool:
    return all(snap.has_frame(code) for code in _ranked(snap, indicator))


def _ranked(snap: Snapshot, indicator: Indicator) -> list[str]:
    """The indicator and the rank indicators that rank it: the frames comparisons and rankings read."""
    return [indicator.code, *[i.code for i in q_compare.rank_indicators(snap, indicator)]]


def over_time(period: str | None, window: Range, last_n: int | None) -> bool:
    """Whether a comparison is asked over time (start, end or last_n) rather than for one period."""
    wanted = bool(window.start_label or window.end_label or last_n)
    if wanted and period is not None:
        raise bad_parameter("period", "give period, or start/end/last_n for a comparison over time, not both")
    return wanted


def comparison_units(units: str, indicator: Indicator, over: bool) -> transforms.Transform:
    """The transform of a comparison (units=): over time, as /v1/series takes it (400 where it does not apply);
    for one period, none (a period's figures are compared as published)."""
    if over:
        return transforms.lookup(units, indicator)
    if units not in ("lin", "levels"):
        raise bad_parameter("units", "units= needs a comparison over time: give start, end or last_n")
    return transforms.TRANSFORMS["lin"]


def compare_periods(
    snap: Snapshot,
    indicator: Indicator,
    region: Region,
    period: str | None,
    window: tuple[Range, int | None],
    as_of: date | None,
) -> list[str]:
    """The periods a comparison shows: one (``period``, default the latest with data), or over time those the
    over-time chart draws (every period from the first to the last with a figure of the region or an ancestor in
    the window, gaps kept; the last ``last_n`` of them), so that its data and its chart agree."""
    (rng, last_n) = window
    if over_time(period, rng, last_n):
        return q_compare.periods_over_time(snap, indicator, region, (rng.start, rng.end), last_n, as_of)
    return [period_or_latest(snap, indicator, [region.code], period, as_of)]


async def ranked_in_memory(snap: Snapshot, indicator: Indicator) -> None:
    """The indicator and the rank indicators that rank it, in memory (comparisons and rankings read both)."""
    await in_memory(snap, *_ranked(snap, indicator))


def period_or_latest(
    snap: Snapshot, indicator: IndicatorDep, regions: list[str], period: str | None, as_of: date | None
) -> str:
    if period is not None:
        return period_for(indicator, period).label
    latest = q_compare.latest_period(snap, indicator.code, regions, as_of)
    if latest is None:
        when = f" as of {as_of}" if as_of else ""
        raise not_found("period", f"no data for {indicator.code} in these regions{when}: nothing to compare or rank")
    return str(latest)
