"""The three charts, from query results to a :class:`~service.formats.charts.Chart`: title, caption lines, source
line, the accessible description, and the Vega-Lite specification (service/formats/charts.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from service.formats.charts import Chart, Theme, bars_spec, series_spec, status_label, unit_label
from service.formats.lines import Line, lines_spec
from service.formats.words import figure_name, name, word
from service.model.catalog import Indicator, Region, Source


@dataclass(frozen=True)
class Style:
    theme: Theme = "light"
    width: int = 640
    height: int | None = None  # None: by the number of bars (a league table)
    lang: str = "zh"  # zh or en: names, units words and captions


def source_line(sources: list[Source], lang: str = "zh") -> str:
    """The first two sources cited, as 来源：publisher《title》 (等N个来源 when there are more)."""
    cited = word(lang, "sep").join(f"{s.publisher or ''}《{_short(s.title)}》" for s in sources[:2])
    more = word(lang, "more", n=len(sources)) if len(sources) > 2 else ""
    return f"{word(lang, 'source')}{cited or word(lang, 'unnamed')}{more} · Yardstick"


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
    title = f"{name(region, style.lang)} {name(indicator, style.lang)}"
    values = table.column("value").to_pylist()
    periods = table.column("period").to_pylist()
    what, where = indicator.name_en or indicator.code, region.name_en or region.code
    desc = f"Line chart of {what} for {where}, {len(values)} periods"
    if values:
        desc += f" from {periods[0]} to {periods[-1]}, latest {values[-1]} {unit_label(indicator.unit)}"
    spec = series_spec(
        title,
        indicator.unit,
        source_line(sources, style.lang),
        table,
        style.theme,
        style.width,
        style.height or 280,
        style.lang,
    )
    return Chart(spec, title, desc)


def compare_chart(
    indicator: Indicator, region: Region, label: str, p: dict[str, Any], sources: list[Source], style: Style
) -> Chart:
    """A region against its province and nation for one period (``p``: a period of a comparison), as bars."""
    lang = style.lang
    rows = [
        {
            "code": f["region"],
            "name": figure_name(f, lang),
            "value": f["value"],
            "status": status_label(f["status"], lang),
        }
        for f in [p, *p["against"]]
    ]
    title = f"{name(region, lang)} {name(indicator, lang)}{ytd(indicator, lang)} {label}"
    summary = gaps_text(p, lang)
    lines = [summary, source_line(sources, lang)]
    size = style.width, style.height or 280
    spec = bars_spec(title, indicator.unit, lines, rows, style.theme, *size, region.code, lang=lang)
    return Chart(spec, title, f"Bar chart: {_listing(rows)}. {summary}")


def ytd(indicator: Indicator, lang: str) -> str:
    """（累计） after the name of a year-to-date indicator (2022-Q3: January to September)."""
    return word(lang, "ytd") if indicator.accumulation == "ytd" else ""


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
    lang = style.lang
    rows = [
        {
            "code": r["region"],
            "name": figure_name(r, lang) if r["rank"] is None else f"{r['rank']}. {figure_name(r, lang)}",
            "value": r["value"],
            "status": status_label(r["status"], lang),
        }
        for r in shown
    ]
    title = f"{name(parent, lang)} {name(indicator, lang)}{ytd(indicator, lang)} {label}"
    height = style.height or max(120, min(1200, 28 * len(rows)))
    lines = [word(lang, "has_data", ranked=meta["ranked"], of=meta["of"]), source_line(sources, lang)]
    highlight = marked.code if marked else None
    spec = bars_spec(
        title, indicator.unit, lines, rows, style.theme, style.width, height, highlight, horizontal=True, lang=lang
    )
    return Chart(spec, title, f"Ranked bars: {_listing(rows)}")


def _listing(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['name']} {NO_DATA if r['value'] is None else r['value']}" for r in rows)


NO_DATA = "无数据"


def gap_parts(p: dict[str, Any], lang: str = "zh") -> list[str]:
    """比X高/低 n 个百分点 or 占X n% against each comparison region (X: 无数据 for one without a figure)."""
    parts = [word(lang, "missing", name=figure_name(p, lang))] if p["value"] is None else []
    for a in p["against"]:
        other = figure_name(a, lang)
        if a["value"] is None:
            parts.append(word(lang, "missing", name=other))
        elif a.get("gap_pp") is not None:
            parts.append(word(lang, "above" if a["gap_pp"] >= 0 else "below", name=other, gap=abs(a["gap_pp"])))
        elif a.get("share_pct") is not None:
            parts.append(word(lang, "share", name=other, share=a["share_pct"]))
    return parts


def gaps_text(p: dict[str, Any], lang: str = "zh") -> str:
    """The gaps against each comparison region, and the rank with how complete it is."""
    parts = gap_parts(p, lang)
    if p.get("rank"):
        parts.append(rank_text(p["rank"], lang))
    return word(lang, "list").join(parts)


def rank_text(rank: dict[str, Any], lang: str = "zh") -> str:
    """第r名/n: as reported among all siblings, computed among all (n of n have data), or computed among the n that
    have data, said so: 第2名/4（14个中4个有数据）."""
    computed: dict[str, Any] = rank.get("computed") or {}
    partial = rank["method"] == "computed" and computed and not computed["complete"]
    if lang == "en":
        among = f", {computed['of']} of {computed['of'] + len(computed['missing'])} have data" if partial else ""
        return f"rank {rank['rank']} of {rank['of']} ({rank['method']}{among})"
    if partial:
        among = computed["of"] + len(computed["missing"])
        return f"第{rank['rank']}名/{rank['of']}（{among}个中{computed['of']}个有数据）"
    return f"第{rank['rank']}名/{rank['of']} ({rank['method']})"


def over_time_chart(
    indicator: Indicator, region: Region, blocks: list[dict[str, Any]], sources: list[Source], style: Style
) -> Chart:
    """A region against its province and nation over time (``blocks``: the periods of a comparison), a line each;
    the subtitle says the latest gaps (比湖南省高1.0个百分点) and names an ancestor without any figure."""
    lang, periods = style.lang, [b["period"] for b in blocks]
    lines = [Line(region.code, figure_name(blocks[0], lang), [_point(b, lang) for b in blocks])]
    for i, a in enumerate(blocks[0]["against"]):
        lines.append(Line(a["region"], figure_name(a, lang), [_point(b["against"][i], lang) for b in blocks]))
    title = f"{name(region, lang)} {name(indicator, lang)}{ytd(indicator, lang)} {periods[0]}–{periods[-1]}"
    missing = [word(lang, "missing", name=line.name) for line in lines if all(v is None for v, _ in line.points)]
    subtitle = [*_latest_gaps(blocks, lang), *([word(lang, "list").join(missing)] if missing else [])]
    axes = unit_label(indicator.unit, lang), word(lang, "ytd_axis") if indicator.accumulation == "ytd" else None
    size = style.width, style.height or 300
    spec = lines_spec(title, [*subtitle, source_line(sources, lang)], lines, periods, axes, style.theme, size, lang)
    latest = "; ".join(f"{e['name']} {e['text']} ({e['period']})" for e in spec["layer"][2]["data"]["values"])
    desc = f"Line chart, {len(periods)} periods from {periods[0]} to {periods[-1]}; latest: {latest or 'none'}"
    return Chart(spec, title, ". ".join([desc, *subtitle]))


def in_units(indicator: Indicator, units: tuple[str, str, str | None]) -> Indicator:
    """The indicator as a chart names it in the units asked (``units``: a transform's code, name and unit): the
    transform in its names, the result's unit, and single-period values no longer year to date (from_ytd)."""
    code, long_name, unit = units
    if code == "lin":
        return indicator
    return replace(
        indicator,
        name=f"{indicator.name} {long_name}",
        name_en=f"{indicator.name_en} {long_name}" if indicator.name_en else None,
        unit=unit or indicator.unit,
        accumulation="period" if code == "from_ytd" else indicator.accumulation,
    )


def _point(figure: dict[str, Any], lang: str) -> tuple[float | None, str]:
    return figure["value"], status_label(figure["status"], lang)


def _latest_gaps(blocks: list[dict[str, Any]], lang: str) -> list[str]:
    """The gaps of the latest period in which the region has a figure, against the ancestors that have one then."""
    for b in reversed(blocks):
        if b["value"] is not None:
            parts = gap_parts({**b, "against": [a for a in b["against"] if a["value"] is not None]}, lang)
            return [word(lang, "latest", period=b["period"]) + word(lang, "list").join(parts)] if parts else []
    return []
