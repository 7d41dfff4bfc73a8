"""Charts: a Vega-Lite specification per chart kind, rendered on the server to SVG or PNG by vl-convert (no browser,
no network), with Chinese labels, units and the source line on the chart, light and dark themes, and an accessible
<title> and <desc>.

Fonts: the SVG names a CJK font stack (browsers use what they have); PNG is drawn with Noto Sans CJK SC from the
mplfonts package, registered once.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from service.formats import words
from service.formats.words import STATUS_WORDS, word

Theme = Literal["light", "dark"]
MIN_FONT = 10  # px; the smallest text a chart draws
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "background": "#ffffff",
        "text": "#1f2328",
        "grid": "#e5e7eb",
        "mark": "#2563eb",
        "accent": "#dc2626",
        "muted": "#9ca3af",
    },
    "dark": {
        "background": "#0d1117",
        "text": "#e6edf3",
        "grid": "#30363d",
        "mark": "#58a6ff",
        "accent": "#f85149",
        "muted": "#6e7681",
    },
}


@cache
def _fonts_registered() -> bool:
    import vl_convert

    try:
        import mplfonts

        vl_convert.register_font_directory(str(Path(mplfonts.__file__).parent / "fonts"))
        return True
    except (ImportError, OSError):
        return False


def _config(theme: Theme) -> dict[str, Any]:
    t = THEMES[theme]
    return {
        "background": t["background"],
        "font": FONT,
        "title": {
            "color": t["text"],
            "subtitleColor": t["muted"],
            "fontSize": 15,
            "anchor": "start",
            "subtitlePadding": 6,
        },
        "axis": {
            "labelColor": t["text"],
            "titleColor": t["text"],
            "gridColor": t["grid"],
            "domainColor": t["grid"],
            "tickColor": t["grid"],
            "labelFont": FONT,
            "titleFont": FONT,
            "labelFontSize": MIN_FONT,  # the image is drawn at the size it is shown: never below 10 px on a phone
            "titleFontSize": MIN_FONT + 1,
            "labelOverlap": True,  # crowded period labels are thinned out, never drawn over each other
        },
        "legend": {"labelColor": t["text"], "titleColor": t["text"], "symbolFillColor": t["text"]},
        "view": {"stroke": None},
        "range": {"category": [t["mark"], t["accent"], t["muted"], "#16a34a", "#9333ea"]},
    }


STATUS_LABELS = STATUS_WORDS["zh"]
SHAPES = {"A": "circle", "P": "square", "E": "diamond", "D": "triangle-up"}
OPACITY = {"A": 1.0, "P": 0.8, "E": 0.6, "D": 0.4}


def status_label(status: str | None, lang: str = "zh") -> str:
    labels = STATUS_WORDS.get(lang, STATUS_LABELS)
    return labels.get(status or "A", status or "")


def _status_scale(rows: list[dict[str, Any]], values: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    """A legend for the statuses the rows have (none when every figure is as reported): derived figures are marked on
    every chart."""
    labels = STATUS_WORDS.get(lang, STATUS_LABELS)
    codes = sorted({code for code, label in labels.items() if any(r.get("status") == label for r in rows)})
    return {
        "field": "status",
        "type": "nominal",
        "title": word(lang, "status"),
        "scale": {"domain": [labels[c] for c in codes], "range": [values[c] for c in codes]},
        "legend": None if codes in ([], ["A"]) else {"orient": "bottom"},
    }


def unit_label(unit: str, lang: str = "zh") -> str:
    return words.unit_label(unit, lang)


def series_spec(
    title: str, unit: str, source: str, table: pa.Table, theme: Theme, width: int, height: int, lang: str = "zh"
) -> dict[str, Any]:
    rows = [
        {"period": p, "value": v, "end": str(e), "status": status_label(s, lang)}
        for p, v, e, s in zip(
            table.column("period").to_pylist(),
            table.column("value").to_pylist(),
            table.column("period_end").to_pylist(),
            table.column("status").to_pylist(),
            strict=True,
        )
    ]
    t = THEMES[theme]
    mark: dict[str, Any] = {"type": "line", "color": t["mark"]}
    x = {"field": "period", "type": "ordinal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    return _spec(
        title,
        source,
        rows,
        theme,
        width,
        height,
        [
            {
                "mark": mark,
                "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": unit_label(unit, lang)}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 60, "color": t["mark"]},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative"},
                    "shape": _status_scale(rows, SHAPES, lang),
                },
            },
            {
                **_latest_only(rows, width),
                "mark": {"type": "text", "dy": -12, "color": t["text"]},
                "encoding": {
                    "x": {"field": "period", "type": "ordinal", "sort": None},
                    "y": {"field": "value", "type": "quantitative"},
                    "text": {"field": "value", "type": "quantitative"},
                },
            },
        ],
    )


def _latest_only(rows: list[dict[str, Any]], width: int) -> dict[str, Any]:
    """When the values would not fit side by side (a long series on a narrow chart), only the latest is written."""
    if not rows or len(rows) * 36 <= width:
        return {}
    return {"transform": [{"filter": f"datum.period === {json.dumps(rows[-1]['period'])}"}]}


def bars_spec(
    title: str,
    unit: str,
    source: str | list[str],
    rows: list[dict[str, Any]],
    theme: Theme,
    width: int,
    height: int,
    highlight: str | None = None,
    horizontal: bool = False,
    lang: str = "zh",
) -> dict[str, Any]:
    """A bar per region (``name``, ``value``, ``status``), in the given order; ``highlight`` marks one region;
    estimated and derived figures are paler, with a legend; a region without a value keeps its place, marked 无数据
    (no data) instead of a bar."""
    t = THEMES[theme]
    names = list(dict.fromkeys(r["name"] for r in rows))  # every region on the axis, those without a value too
    category = {"field": "name", "type": "nominal", "sort": None, "title": None, "scale": {"domain": names}}
    value = {"field": "value", "type": "quantitative", "title": unit_label(unit, lang)}
    color: dict[str, Any] = {"value": t["mark"]}
    if highlight is not None:
        color["condition"] = {"test": f"datum.code === {json.dumps(highlight)}", "value": t["accent"]}
    enc = {"y": category, "x": value} if horizontal else {"x": {**category, "axis": {"labelAngle": 0}}, "y": value}
    label: dict[str, Any] = {
        "type": "text",
        "color": t["text"],
        **({"align": "left", "dx": 4} if horizontal else {"dy": -8}),
    }
    return _spec(
        title,
        source,
        rows,
        theme,
        width,
        height,
        [
            {
                "mark": {"type": "bar"},
                "encoding": {**enc, "color": color, "opacity": _status_scale(rows, OPACITY, lang)},
            },
            {"mark": label, "encoding": {**enc, "text": {"field": "value", "type": "quantitative"}}},
            _no_data(enc, {**label, "color": t["muted"]}, "x" if horizontal else "y", word(lang, "no_data")),
        ],
    )


def _no_data(enc: dict[str, Any], mark: dict[str, Any], axis: str, text: str = "无数据") -> dict[str, Any]:
    """无数据 at zero for each region without a value, where its bar would be."""
    return {
        "transform": [{"filter": "datum.value === null"}],
        "mark": mark,
        "encoding": {**enc, axis: {"datum": 0, "type": "quantitative"}, "text": {"value": text}},
    }


TITLE_SIZE, SUBTITLE_SIZE = 15, 12  # px
BREAKS = re.compile(r".+?(?:，|；|、|：| · |, |; | |$)")  # a title or caption line breaks after one of these


def _lines(subtitle: str | list[str]) -> list[str]:
    return [subtitle] if isinstance(subtitle, str) else subtitle


def _ems(text: str) -> float:
    """A line's estimated width in em: a CJK character or typographic mark is one, any other about half."""
    return sum(1.0 if ord(ch) >= 0x2000 else 0.55 for ch in text)


def wrap(text: str, px: int, size: int) -> list[str]:
    """A title or caption line as lines no wider than ``px`` (estimated), broken after punctuation or a space so
    that a phrase (比湖南省高1.0个百分点) stays whole; a single phrase wider than that is cut."""
    lines, current = [], ""
    for piece in BREAKS.findall(text):
        if current and _ems(current + piece) * size > px:
            lines.append(current.rstrip())
            current = ""
        current += piece
        while _ems(current) * size > px and len(current) > 1:
            cut = max(1, int(px / size))  # characters of one em at most: a safe cut
            lines.append(current[:cut])
            current = current[cut:]
    return [*lines, current.rstrip()] if current.strip() or not lines else lines


def _spec(
    title: str,
    subtitle: str | list[str],
    rows: list[dict[str, Any]],
    theme: Theme,
    width: int,
    height: int,
    layers: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": height,
        "autosize": {"type": "fit", "contains": "padding"},  # width × height is the whole image, as shown
        "config": _config(theme),
        "title": {
            "text": wrap(title, width, TITLE_SIZE),
            "subtitle": [line for text in _lines(subtitle) for line in wrap(text, width, SUBTITLE_SIZE)],
        },
        "data": {"values": rows},
        "layer": layers,
    }


@dataclass(frozen=True)
class Chart:
    """A chart to render: its Vega-Lite specification, and the title and description a screen reader announces."""

    spec: dict[str, Any]
    title: str
    description: str


def png(chart: Chart) -> bytes:
    import vl_convert

    _fonts_registered()
    return bytes(vl_convert.vegalite_to_png(chart.spec, scale=2))


def svg(chart: Chart) -> bytes:
    import vl_convert

    image = vl_convert.vegalite_to_svg(chart.spec)
    accessible = f"<title>{html.escape(chart.title)}</title><desc>{html.escape(chart.description)}</desc>"
    image = re.sub(
        r"(<svg[^>]*>)", lambda m: m.group(1).replace("<svg ", '<svg role="img" ', 1) + accessible, image, count=1
    )
    return image.encode()
