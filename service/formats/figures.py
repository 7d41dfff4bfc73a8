"""The three charts, from query results to a :class:`~service.formats.charts.Chart`: title, caption lines, source
line, the accessible description, and the Vega-Lite specification (service/formats/charts.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from service.formats.charts import Chart, Theme, bars_spec, series_spec, status_label, unit_label
from service.model.catalog import Indicator, Region, Source


@dataclass(frozen=True)
class Style:
    theme: Theme = "light"
    width: int = 640
    height: int | None = None  # None: by the number of bars (a league table)


def source_line(sources: list[Source]) -> str:
    """The first two sources cited, as 来源：publisher《title》 (等N个来源 when there are more)."""
    cited = "；".join(f"{s.publisher or ''}《{_short(s.title)}》" for s in sources[:2]) or "未注明"
    more = f"等{len(sources)}个来源" if len(sources) > 2 else ""
    return f"来源：{cited}{more} · Yardstick"


def _short(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def transformed_series_chart(
    indicator: Indicator,
    units: tuple[str, str, str | None],
    region: Region,
    table: pa.Table,
    sources: list[Source],
    style: Style,
) -> Chart:
    """A series chart in the units asked (``units``: a transform's code, name and unit, as units= names it): its
    title says the transform, its value axis the result's unit; a year-to-date series says 累计 in both, unless its
    single-period values are shown (from_ytd)."""
    code, name, unit = units
    cumulative = "（累计）" if indicator.accumulation == "ytd" and code != "from_ytd" else ""
    shown = indicator if code == "lin" else replace(indicator, name=f"{indicator.name} {name}")
    shown = replace(shown, name=shown.name + cumulative, unit=unit or indicator.unit)
    chart = series_chart(shown, region, table, sources, style)
    chart.spec["layer"][0]["encoding"]["y"]["title"] += cumulative
    return chart


def series_chart(indicator: Indicator, region: Region, table: pa.Table, sources: list[Source], style: Style) -> Chart:
    """A series as a line."""
    title = f"{region.name} {indicator.name}"
    values = table.column("value").to_pylist()
    periods = table.column("period").to_pylist()
    what, where = indicator.name_en or indicator.code, region.name_en or region.code
    desc = f"Line chart of {what} for {where}, {len(values)} periods"
    if values:
        desc += f" from {periods[0]} to {periods[-1]}, latest {values[-1]} {unit_label(indicator.unit)}"
    spec = series_spec(
        title, indicator.unit, source_line(sources), table, style.theme, style.width, style.height or 280
    )
    return Chart(spec, title, desc)


def compare_chart(
    indicator: Indicator, region: Region, label: str, p: dict[str, Any], sources: list[Source], style: Style
) -> Chart:
    """A region against its province and nation for one period (``p``: a period of a comparison), as bars."""
    rows = [
        {"code": f["region"], "name": f["name"], "value": f["value"], "status": status_label(f["status"])}
        for f in [p, *p["against"]]
    ]
    title = f"{region.name} {indicator.name} {label}"
    summary = gaps_text(p)
    lines = [summary, source_line(sources)]
    spec = bars_spec(title, indicator.unit, lines, rows, style.theme, style.width, style.height or 280, region.code)
    return Chart(spec, title, f"Bar chart: {_listing(rows)}. {summary}")


def league_chart(
    indicator: Indicator,
    parent: Region,
    label: str,
    meta: dict[str, Any],
    table: pa.Table,
    sources: list[Source],
    marked: Region | None,
    limit: int | None,
    style: Style,
) -> Chart:
    """A league table as horizontal bars: the first ``limit`` ranked regions, and ``marked`` (in the accent colour)
    even below them."""
    ranked = [r for r in table.to_pylist() if r["value"] is not None]
    shown = ranked[:limit] + [r for r in ranked[limit or len(ranked) :] if marked and r["region"] == marked.code]
    sources = [s for s in sources if s.id in {r["source"] for r in shown}]  # the bars drawn, not the whole table
    rows = [
        {
            "code": r["region"],
            "name": r["name"] if r["rank"] is None else f"{r['rank']}. {r['name']}",
            "value": r["value"],
            "status": status_label(r["status"]),
        }
        for r in shown
    ]
    title = f"{parent.name} {indicator.name} {label}"
    height = style.height or max(120, min(1200, 28 * len(rows)))
    lines = [f"{meta['ranked']}/{meta['of']} 有数据", source_line(sources)]
    highlight = marked.code if marked else None
    spec = bars_spec(
        title, indicator.unit, lines, rows, style.theme, style.width, height, highlight=highlight, horizontal=True
    )
    return Chart(spec, title, f"Ranked bars: {_listing(rows)}")


def _listing(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['name']} {NO_DATA if r['value'] is None else r['value']}" for r in rows)


NO_DATA = "无数据"


def gaps_text(p: dict[str, Any]) -> str:
    """比X高/低 n 个百分点 or 占X n% against each comparison region (X: 无数据 for one without a figure), and the
    rank with how complete it is."""
    parts = [f"{p['name']}: {NO_DATA}"] if p["value"] is None else []
    for a in p["against"]:
        if a["value"] is None:
            parts.append(f"{a['name']}: {NO_DATA}")
        elif a.get("gap_pp") is not None:
            parts.append(f"比{a['name']}{'高' if a['gap_pp'] >= 0 else '低'}{abs(a['gap_pp']):.1f}个百分点")
        elif a.get("share_pct") is not None:
            parts.append(f"占{a['name']}{a['share_pct']:.1f}%")
    if p.get("rank"):
        parts.append(rank_text(p["rank"]))
    return "，".join(parts)


def rank_text(rank: dict[str, Any]) -> str:
    """第r名/n: as reported among all siblings, computed among all (n of n have data), or computed among the n that
    have data, said so: 第2名/4（14个中4个有数据）."""
    computed = rank.get("computed")
    if rank["method"] == "computed" and computed and not computed["complete"]:
        among = computed["of"] + len(computed["missing"])
        return f"第{rank['rank']}名/{rank['of']}（{among}个中{computed['of']}个有数据）"
    return f"第{rank['rank']}名/{rank['of']} ({rank['method']})"
