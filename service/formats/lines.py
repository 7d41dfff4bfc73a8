"""A line per region over time (a region against its province and nation): the Vega-Lite specification.

- A missing period breaks the line: each run of consecutive figures is its own path (``detail``), never joined
  across a gap and never interpolated; a lone figure between two gaps is a point.
- Points carry their status as a shape (derived figures are triangles), with a legend when any is not as reported.
- Each line ends with its latest value, labels pushed apart so that close values stay readable.
- The x axis labels at most one period per ~64 px, so a phone-width chart keeps its labels apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from service.formats.charts import SHAPES, THEMES, Theme, _spec, _status_scale

LABEL_GAP = 14  # px between two end labels
LABEL_WIDTH = 64  # px an x axis label needs


@dataclass(frozen=True)
class Line:
    """One region's line: its code, its name, and a (value, status label) per period (value None: a gap)."""

    code: str
    name: str
    points: list[tuple[float | None, str]]


def rows_of(lines: list[Line], periods: list[str]) -> list[dict[str, Any]]:
    """The rows drawn: one per region and period with a value, each with the run (``segment``) it belongs to."""
    rows = []
    for line in lines:
        run = 0
        for period, (value, status) in zip(periods, line.points, strict=True):
            if value is None:
                run += 1
                continue
            rows.append(
                {
                    "period": period,
                    "name": line.name,
                    "code": line.code,
                    "value": value,
                    "status": status,
                    "segment": f"{line.code}#{run}",
                }
            )
    return rows


def _domain(values: list[float]) -> tuple[float, float]:
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.12 or max(abs(hi) * 0.1, 1.0)
    return lo - pad, hi + pad


def end_labels(lines: list[Line], periods: list[str], domain: tuple[float, float], height: int) -> list[dict[str, Any]]:
    """Each line's latest value, at its last period, placed at ``label_y``: the value itself, or moved up or down so
    that no two labels are closer than LABEL_GAP pixels."""
    ends = []
    for line in lines:
        at = [i for i, (v, _) in enumerate(line.points) if v is not None]
        if at:
            value = line.points[at[-1]][0]
            ends.append({"period": periods[at[-1]], "name": line.name, "value": value, "text": f"{value:g}"})
    per_px = (domain[1] - domain[0]) / max(height, 1)
    placed: list[dict[str, Any]] = []
    for end in sorted(ends, key=lambda e: (e["period"], e["value"])):
        y = end["value"]
        for other in placed:
            if other["period"] == end["period"] and (y - other["label_y"]) / per_px < LABEL_GAP:
                y = other["label_y"] + LABEL_GAP * per_px
        placed.append({**end, "label_y": y})
    return placed


def x_labels(periods: list[str], width: int) -> list[str]:
    """The periods the x axis labels: every k-th, counted back from the last, so that labels do not touch."""
    step = max(1, math.ceil(len(periods) / max(2, width // LABEL_WIDTH)))
    return periods[::-1][::step][::-1]


def _encodings(
    periods: list[str],
    width: int,
    domain: tuple[float, float],
    names: list[str],
    theme: Theme,
    axes: tuple[str, str | None],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """x: every period in order (a gap keeps its place), labels thinned; y: the padded domain the end labels were
    placed on; color: one per region, the region in the accent colour."""
    t = THEMES[theme]
    x = {
        "field": "period",
        "type": "ordinal",
        "title": axes[1],
        "scale": {"domain": periods},
        "axis": {"labelAngle": 0, "values": x_labels(periods, width), "labelOverlap": "greedy", "labelFontSize": 11},
    }
    y = {"field": "value", "type": "quantitative", "title": axes[0], "scale": {"domain": list(domain), "nice": False}}
    palette = [t["accent"], t["mark"], t["muted"], "#16a34a", "#9333ea"]
    color = {
        "field": "name",
        "type": "nominal",
        "title": None,
        "scale": {"domain": names, "range": palette[: len(names)]},
        "legend": {"orient": "bottom", "symbolType": "stroke"},
    }
    return x, y, color


def lines_spec(
    title: str,
    subtitle: list[str],
    lines: list[Line],
    periods: list[str],
    axes: tuple[str, str | None],
    theme: Theme,
    size: tuple[int, int],
    lang: str = "zh",
) -> dict[str, Any]:
    """``lines``: the region first (accent colour), then its ancestors; ``axes``: the y and x axis titles."""
    width, height = size
    rows = rows_of(lines, periods)
    domain = _domain([r["value"] for r in rows])
    x, y, color = _encodings(periods, width, domain, [line.name for line in lines], theme, axes)
    return _spec(
        title,
        subtitle,
        rows,
        theme,
        width,
        height,
        [
            {
                "mark": {"type": "line", "strokeWidth": 2},
                "encoding": {"x": x, "y": y, "color": color, "detail": {"field": "segment"}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 50, "opacity": 1},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {**color, "legend": None},
                    "shape": _status_scale(rows, SHAPES, lang),
                },
            },
            {
                "data": {"values": end_labels(lines, periods, domain, height)},
                "mark": {"type": "text", "align": "left", "dx": 7, "fontSize": 12, "fontWeight": "bold"},
                "encoding": {
                    "x": x,
                    "y": {**y, "field": "label_y"},
                    "text": {"field": "text"},
                    "color": {**color, "legend": None},
                },
            },
        ],
    )
