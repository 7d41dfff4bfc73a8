"""Charts of a series, a comparison and a league table, as SVG or PNG (cached by ETag like every GET)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from service.api.compare import PeriodParam, period_or_latest, ranked_in_memory
from service.api.deps import AsOf, IndicatorDep, RangeDep, RegionDep, RegionQuery, SnapshotDep, in_memory, region_param
from service.api.docs import CHART_RESPONSES
from service.formats import CHARTS, charts, negotiate
from service.formats.registry import listing
from service.model.catalog import Indicator
from service.model.schema import Level
from service.query import compare as q_compare
from service.query import rankings as q_rankings
from service.query.series import SeriesQuery, Vintage, Window
from service.query.series import series as query_series
from service.store.snapshot import Snapshot

router = APIRouter(prefix="/v1", tags=["charts"], responses=CHART_RESPONSES)
if TYPE_CHECKING:
    ChartFormat = str
else:  # the chart formats' names, as FastAPI checks and documents the path's extension
    ChartFormat = Literal[CHARTS.names]
Fmt = Annotated[ChartFormat, Path(description=listing(CHARTS.names))]
ThemeParam = Annotated[charts.Theme, Query(description="light or dark")]
Width = Annotated[int, Query(ge=160, le=2400, description="Plot width in pixels")]
Height = Annotated[int, Query(ge=120, le=1600, description="Plot height in pixels")]


def _source_line(snap: Snapshot, sources: list[str | None]) -> str:
    named = [snap.sources[s] for s in dict.fromkeys(s for s in sources if s) if s in snap.sources]
    cited = "；".join(f"{s.publisher or ''}《{_short(s.title)}》" for s in named[:2]) or "Yardstick"
    return f"来源：{cited} · Yardstick"


def _short(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _image(spec: dict[str, Any], fmt: Fmt, title: str, description: str) -> Response:
    chosen = negotiate(fmt, None, CHARTS)  # the extension names the format, as format= does
    return Response(chosen.render(charts.Chart(spec, title, description)), media_type=chosen.content_type)


@router.get("/series/{indicator}/{region}/chart.{fmt}", name="series-chart", summary="A series as a line chart")
async def series_chart(
    snap: SnapshotDep,
    indicator: IndicatorDep,
    region: RegionDep,
    fmt: Fmt,
    window: RangeDep,
    as_of: AsOf = None,
    last_n: Annotated[int | None, Query(ge=1, le=1000, description="Latest N periods")] = None,
    theme: ThemeParam = "light",
    width: Width = 640,
    height: Height = 280,
) -> Response:
    await in_memory(snap, indicator.code)
    table = query_series(
        snap,
        indicator,
        region.code,
        SeriesQuery(Vintage(as_of=as_of), Window(window.start, window.end, last_n=last_n or 40)),
    )
    title = f"{region.name} {indicator.name}"
    values = table.column("value").to_pylist()
    periods = table.column("period").to_pylist()
    desc = (
        f"Line chart of {indicator.name_en or indicator.code} for {region.name_en or region.code}, "
        f"{len(values)} periods"
        + (
            f" from {periods[0]} to {periods[-1]}, latest {values[-1]} {charts.unit_label(indicator.unit)}"
            if values
            else ""
        )
    )
    spec = charts.series_spec(
        title, indicator.unit, _source_line(snap, table.column("source").to_pylist()), table, theme, width, height
    )
    return _image(spec, fmt, title, desc)


@router.get(
    "/compare/{indicator}/{region}/chart.{fmt}",
    name="compare-chart",
    summary="A region against its province and nation for one period, as bars",
)
async def compare_chart(
    snap: SnapshotDep,
    indicator: IndicatorDep,
    region: RegionDep,
    fmt: Fmt,
    period: PeriodParam = None,
    as_of: AsOf = None,
    theme: ThemeParam = "light",
    width: Width = 480,
    height: Height = 280,
) -> Response:
    await ranked_in_memory(snap, indicator)
    label = period_or_latest(snap, indicator, [region.code], period, as_of)
    document, _ = q_compare.compare(snap, indicator, region, [label], as_of)
    p = document["periods"][0]
    rows = [
        {"code": f["region"], "name": f["name"], "value": f["value"], "status": charts.status_label(f["status"])}
        for f in [p, *p["against"]]
    ]
    title = f"{region.name} {indicator.name} {label}"
    summary = _gaps_text(indicator, p)
    spec = charts.bars_spec(
        title,
        indicator.unit,
        [summary, _source_line(snap, [p["source"], *[a["source"] for a in p["against"]]])],
        rows,
        theme,
        width,
        height,
        region.code,
    )
    desc = f"Bar chart: {_listing(rows)}. {summary}"
    return _image(spec, fmt, title, desc)


def _listing(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['name']} {r['value']}" for r in rows)


def _gaps_text(indicator: Indicator, p: dict[str, Any]) -> str:
    parts = []
    for a in p["against"]:
        if a.get("gap_pp") is not None:
            parts.append(f"比{a['name']}{'高' if a['gap_pp'] >= 0 else '低'}{abs(a['gap_pp']):.1f}个百分点")
        elif a.get("share_pct") is not None:
            parts.append(f"占{a['name']}{a['share_pct']:.1f}%")
    if p.get("rank"):
        parts.append(f"第{p['rank']['rank']}名/{p['rank']['of']} ({p['rank']['method']})")
    return "，".join(parts)


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
    height: Annotated[int | None, Query(ge=120, le=1600, description="Plot height (default: by bar count)")] = None,
) -> Response:
    p = region_param(snap, parent, "parent")
    assert p is not None
    marked = region_param(snap, highlight, "highlight")
    kids = q_rankings.members(snap, p, level)
    await ranked_in_memory(snap, indicator)
    label = period_or_latest(snap, indicator, kids, period, as_of)
    meta, table = q_rankings.rankings(snap, indicator, p, kids, label, order == "desc", as_of)
    ranked = [r for r in table.to_pylist() if r["value"] is not None]
    shown = ranked[:limit] + [r for r in ranked[limit or len(ranked) :] if marked and r["region"] == marked.code]
    rows = [
        {
            "code": r["region"],
            "name": r["name"] if r["rank"] is None else f"{r['rank']}. {r['name']}",
            "value": r["value"],
            "status": charts.status_label(r["status"]),
        }
        for r in shown
    ]
    title = f"{p.name} {indicator.name} {label}"
    height = height or max(120, min(1200, 28 * len(rows)))
    note = f"{meta['ranked']}/{meta['of']} 有数据"
    spec = charts.bars_spec(
        title,
        indicator.unit,
        [note, _source_line(snap, table.column("source").to_pylist())],
        rows,
        theme,
        width,
        height,
        highlight=marked.code if marked else None,
        horizontal=True,
    )
    desc = f"Ranked bars: {_listing(rows)}"
    return _image(spec, fmt, title, desc)
