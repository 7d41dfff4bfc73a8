"""Charts of a series, a comparison and a league table, as SVG or PNG (cached by ETag like every GET). The charts
themselves are drawn in service/formats/figures.py; the figures each one shows (and the sources they cite) are
gathered here, for the charts and for the widgets around them (service/api/pages.py)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pyarrow as pa
from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from service.api.compare import LastN as OverTimeN
from service.api.compare import PeriodParam, comparison_units, over_time, period_or_latest, ranked_in_memory
from service.api.compare import UnitsParam as CompareUnits
from service.api.deps import (
    AsOf,
    IndicatorDep,
    Range,
    RangeDep,
    RegionDep,
    RegionQuery,
    SnapshotDep,
    in_memory,
    region_param,
)
from service.api.docs import CHART_RESPONSES
from service.errors import not_found
from service.formats import CHARTS, charts, figures, negotiate
from service.formats.figures import Style
from service.formats.registry import listing
from service.model.catalog import Indicator, Region, Source
from service.model.schema import Level
from service.query import catalog as q_catalog
from service.query import compare as q_compare
from service.query import rankings as q_rankings
from service.query import transforms
from service.query.series import SeriesQuery, Vintage, Window
from service.query.series import series as query_series
from service.store.snapshot import Snapshot

router = APIRouter(prefix="/v1", tags=["charts"], responses=CHART_RESPONSES, default_response_class=Response)
if TYPE_CHECKING:
    ChartFormat = str
else:  # the chart formats' names, as FastAPI checks and documents the path's extension
    ChartFormat = Literal[CHARTS.names]
Fmt = Annotated[ChartFormat, Path(description=listing(CHARTS.names))]
ThemeParam = Annotated[charts.Theme, Query(description="light or dark")]
Width = Annotated[
    int, Query(ge=160, le=2400, description="Width of the whole image (title and axes included), in pixels")
]
LastN = Annotated[int | None, Query(ge=1, le=1000, description="Latest N periods")]
UnitsParam = Annotated[str, Query(max_length=64, description="A transform, as /v1/series takes it: pc1, from_ytd, …")]
Height = Annotated[int, Query(ge=120, le=1600, description="Height of the whole image, in pixels")]
LangParam = Annotated[
    Literal["zh", "en"], Query(description="zh (default): Chinese names and words; en: English (the catalog's name_en)")
]


def _image(chart: charts.Chart, fmt: str) -> Response:
    chosen = negotiate(fmt, None, CHARTS)  # the extension names the format, as format= does
    return Response(chosen.render(chart), media_type=chosen.content_type)


@router.get("/series/{indicator}/{region}/chart.{fmt}", name="series-chart", summary="A series as a line chart")
async def series_chart(
    snap: SnapshotDep,
    indicator: IndicatorDep,
    region: RegionDep,
    fmt: Fmt,
    window: RangeDep,
    as_of: AsOf = None,
    last_n: LastN = None,
    theme: ThemeParam = "light",
    width: Width = 640,
    units: UnitsParam = "lin",
    height: Height = 280,
    lang: LangParam = "zh",
) -> Response:
    t = transforms.lookup(units, indicator)
    q = SeriesQuery(Vintage(as_of=as_of), Window(window.start, window.end, last_n=last_n or 40), t)
    table, sources = await series_figures(snap, indicator, region, q)
    chart = figures.transformed_series_chart(
        indicator, (t.code, t.long_name, t.unit), region, table, sources, Style(theme, width, height, lang)
    )
    return _image(chart, fmt)


@router.get(
    "/compare/{indicator}/{region}/chart.{fmt}",
    name="compare-chart",
    summary="A region against its province and nation: for one period as bars, or over time as lines",
    description="With start, end or last_n: a line per region over time (a missing period breaks its line; derived "
    "figures are triangles; each line ends with its latest value). Without them: bars for one period (period=).",
)
async def compare_chart(
    snap: SnapshotDep,
    indicator: IndicatorDep,
    region: RegionDep,
    fmt: Fmt,
    window: RangeDep,
    period: PeriodParam = None,
    last_n: OverTimeN = None,
    as_of: AsOf = None,
    units: CompareUnits = "lin",
    theme: ThemeParam = "light",
    width: Width = 480,
    height: Height = 280,
    lang: LangParam = "zh",
) -> Response:
    style = Style(theme, width, height, lang)
    t = comparison_units(units, indicator, over_time(period, window, last_n))
    if over_time(period, window, last_n):
        blocks, cited = await over_time_figures(snap, indicator, region, window, last_n, as_of, t)
        shown = figures.in_units(indicator, (t.code, t.long_name, t.unit))
        return _image(figures.over_time_chart(shown, region, blocks, cited, style), fmt)
    label, p, sources = await compare_figures(snap, indicator, region, period, as_of)
    return _image(figures.compare_chart(indicator, region, label, p, sources, style), fmt)


@router.get(
    "/rankings/{indicator}/chart.{fmt}",
    name="rankings-chart",
    summary="A league table for one period as horizontal bars, one region highlighted",
)
async def rankings_chart(
    snap: SnapshotDep,
    indicator: IndicatorDep,
    fmt: Fmt,
    parent: Annotated[str, RegionQuery(description="Rank the regions below this one")],
    level: Annotated[
        Level | None, Query(description="Every region of this level below the parent (default: its children)")
    ] = None,
    period: PeriodParam = None,
    as_of: AsOf = None,
    order: Annotated[str, Query(pattern="^(asc|desc)$", description="desc: highest first")] = "desc",
    limit: Annotated[int | None, Query(ge=1, le=1000, description="Only the first N bars")] = None,
    highlight: Annotated[
        str | None, RegionQuery(description="This region's bar in the accent colour (added below the first N)")
    ] = None,
    theme: ThemeParam = "light",
    width: Width = 480,
    height: Annotated[
        int | None, Query(ge=120, le=1600, description="Height of the whole image (default: by bar count)")
    ] = None,
    lang: LangParam = "zh",
) -> Response:
    p = region_param(snap, parent, "parent")
    assert p is not None
    marked = region_param(snap, highlight, "highlight")
    label, meta, table = await league_figures(snap, indicator, p, level, period, as_of, order == "desc")
    sources = q_catalog.cited(snap, table.column("source").to_pylist())
    style = Style(theme, width, height, lang)
    return _image(figures.league_chart(indicator, p, label, meta, table, sources, marked, limit, style), fmt)


DEFAULT_SERIES = SeriesQuery(window=Window(last_n=40))  # a series chart's periods when none are asked


async def series_figures(
    snap: Snapshot, indicator: Indicator, region: Region, q: SeriesQuery = DEFAULT_SERIES
) -> tuple[pa.Table, list[Source]]:
    """The observations a series chart draws, and the sources they cite."""
    await in_memory(snap, indicator.code)
    table = query_series(snap, indicator, region.code, q)
    return table, q_catalog.cited(snap, table.column("source").to_pylist())


async def compare_figures(
    snap: Snapshot, indicator: Indicator, region: Region, period: str | None, as_of: date | None
) -> tuple[str, dict[str, Any], list[Source]]:
    """The period, the comparison block a compare chart draws, and the sources its figures cite."""
    await ranked_in_memory(snap, indicator)
    label = period_or_latest(snap, indicator, [region.code], period, as_of)
    document, _ = q_compare.compare(snap, indicator, region, [label], as_of)
    p = document["periods"][0]
    return label, p, q_catalog.cited(snap, [p["source"], *[a["source"] for a in p["against"]]])


async def over_time_figures(
    snap: Snapshot,
    indicator: Indicator,
    region: Region,
    window: Range,
    last_n: int | None,
    as_of: date | None,
    units: transforms.Transform = transforms.TRANSFORMS["lin"],
) -> tuple[list[dict[str, Any]], list[Source]]:
    """The periods of a comparison over time (every period between the first and the last with a figure of the
    region or an ancestor, gaps kept), their figures in ``units``, and the sources they cite."""
    await ranked_in_memory(snap, indicator)
    periods = q_compare.periods_over_time(snap, indicator, region, (window.start, window.end), last_n, as_of)
    if not periods:
        when = f" as of {as_of}" if as_of else ""
        raise not_found("period", f"no data for {indicator.code} in {region.code} or its ancestors here{when}")
    blocks = q_compare.compare(snap, indicator, region, periods, as_of, units=units)[0]["periods"]
    return blocks, q_catalog.cited(snap, [f["source"] for b in blocks for f in [b, *b["against"]]])


async def league_figures(
    snap: Snapshot,
    indicator: Indicator,
    parent: Region,
    level: str | None = None,
    period: str | None = None,
    as_of: date | None = None,
    descending: bool = True,
) -> tuple[str, dict[str, Any], pa.Table]:
    """The period and the league table a rankings chart draws."""
    kids = q_rankings.members(snap, parent, level)
    await ranked_in_memory(snap, indicator)
    label = period_or_latest(snap, indicator, kids, period, as_of)
    meta, rows = q_rankings.rankings(snap, indicator, parent, kids, label, descending, as_of)
    return label, meta, rows.table()
