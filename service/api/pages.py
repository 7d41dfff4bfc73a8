"""Pages for people: the explorer at / and small self-contained widgets under /embed/ for iframes.

Nothing comes from a CDN: the explorer's script and style are served from service/api/static, and the widgets are
plain HTML around the server-rendered SVG charts. Headers make them safe to embed: a Content-Security-Policy per
page kind, frame-ancestors from YARDSTICK_FRAME_ANCESTORS, nosniff, no referrer, and no cookies anywhere.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from service.api.charts import (
    LangParam,
    LastN,
    compare_figures,
    league_figures,
    over_time_figures,
    series_figures,
)
from service.api.compare import UnitsParam, comparison_units, over_time
from service.api.deps import IndicatorDep, RangeDep, RegionDep, SettingsDep, SnapshotDep, region_param
from service.config import Settings
from service.errors import not_found
from service.formats.words import name, word
from service.model.catalog import Indicator, Region, Source
from service.model.schema import Level
from service.query.catalog import cited
from service.query.series import SeriesQuery, Window

router = APIRouter(include_in_schema=False)
STATIC = {
    "explorer.js": "text/javascript",
    "load.js": "text/javascript",
    "style.css": "text/css",
    "docs-init.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}
EXPLORER_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def _headers(csp: str) -> dict[str, str]:
    return {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "public, max-age=300",
    }


def _embed_csp(settings: Settings) -> str:
    ancestors = " ".join(settings.frame_ancestors) or "'none'"
    return (
        f"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors {ancestors}; "
        "base-uri 'none'; form-action 'none'"
    )


@router.get("/")
def explorer(
    region: Annotated[str | None, Query(max_length=64, description="Explorer state: the region shown")] = None,
    indicator: Annotated[str | None, Query(max_length=128, description="Explorer state: the indicator shown")] = None,
    period: Annotated[str | None, Query(max_length=32, description="Explorer state: the period shown")] = None,
    tab: Annotated[
        str | None, Query(max_length=16, description="Explorer state: compare, league, revisions, use")
    ] = None,
    span: Annotated[str | None, Query(max_length=8, description="Explorer state: 5y, 10y, all, custom")] = None,
    start: Annotated[str | None, Query(max_length=32, description="Explorer state: the first period shown")] = None,
    end: Annotated[str | None, Query(max_length=32, description="Explorer state: the last period shown")] = None,
    units: Annotated[str | None, Query(max_length=64, description="Explorer state: the series' units=")] = None,
    lang: Annotated[str | None, Query(max_length=8, description="Explorer state: zh or en")] = None,
) -> Response:
    """The explorer page; its view (read by the page's script) lives in the query string, so links can be shared."""
    page = (files("service.api") / "static" / "index.html").read_bytes()
    return Response(page, media_type="text/html; charset=utf-8", headers=_headers(EXPLORER_CSP))


@router.get("/load")
def load_page() -> Response:
    """The review page: a document in, its figures proposed (POST /v1/extract), reviewed, committed (/v1/batch)."""
    page = (files("service.api") / "static" / "load.html").read_bytes()
    return Response(page, media_type="text/html; charset=utf-8", headers=_headers(EXPLORER_CSP))


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links: the same icon (an SVG, which they all read)."""
    return static("favicon.svg")


@router.get("/static/{name}")
def static(name: Annotated[str, Path(max_length=64)]) -> Response:
    if name not in STATIC:
        raise not_found("name", f"no static file {name!r}")
    body = (files("service.api") / "static" / name).read_bytes()
    return Response(body, media_type=f"{STATIC[name]}; charset=utf-8", headers=_headers(EXPLORER_CSP))


@dataclass(frozen=True)
class Look:
    """How a widget's chart looks: passed through to the chart as they are, and the narrow chart a phone shows."""

    theme: str = "light"
    width: int | None = None
    height: int | None = None
    lang: str = "zh"

    def query(self, width: int | None = None) -> dict[str, Any]:
        given = {"theme": self.theme, "width": width or self.width, "height": self.height, "lang": self.lang}
        return {k: v for k, v in given.items() if v is not None and (k, v) not in (("lang", "zh"),)}


PHONE = 480  # px: a viewport this narrow or narrower is shown the narrow chart
NARROW = 300  # px: the narrow chart's plot width


async def get_look(
    theme: Annotated[str, Query(pattern="^(light|dark)$")] = "light",
    width: Annotated[int | None, Query(ge=160, le=2400, description="The chart's plot width")] = None,
    height: Annotated[int | None, Query(ge=120, le=1600, description="The chart's plot height")] = None,
    lang: LangParam = "zh",
) -> Look:
    return Look(theme, width, height, lang)


LookDep = Annotated[Look, Depends(get_look)]


@dataclass(frozen=True)
class Widget:
    """What a widget shows: its title, its chart (path and the chart's own parameters), its data and its sources."""

    title: str
    chart: str
    ask: dict[str, Any]
    data: str
    sources: list[Source]


def _widget(settings: Settings, w: Widget, look: Look) -> Response:
    e, ask = html.escape, {k: v for k, v in w.ask.items() if v is not None}
    wide = f"{w.chart}?{urlencode({**ask, **look.query()})}"
    narrow = f"{w.chart}?{urlencode({**ask, **look.query(min(look.width or NARROW, NARROW))})}"
    sep = "&" if "?" in w.data else "?"
    links = " · ".join(  # CSV as Excel opens it: with a UTF-8 BOM
        f'<a href="{e(w.data + sep + query)}" target="_blank" rel="noopener">{name}</a>'
        for name, query in (("CSV", "format=csv&bom=true"), ("JSON", "format=json"), ("PARQUET", "format=parquet"))
    )
    body = f"""<figure style="margin:0"><picture><source media="(max-width: {PHONE}px)" srcset="{e(narrow)}">
<img src="{e(wide)}" alt="{e(w.title)}"></picture>
<figcaption><p>{e(_credit(w.sources, look.lang))}</p><p>{word(look.lang, "data")}: {links} · \
<a href="/" target="_blank" rel="noopener">Yardstick</a></p>
</figcaption></figure>"""
    return _page(settings, w.title, body, look)


def _page(settings: Settings, title: str, body: str, look: Look, status: int = 200) -> Response:
    dark = look.theme == "dark"
    page = f"""<!doctype html>
<html lang="{"en" if look.lang == "en" else "zh-CN"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{margin:0;font:13px "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
background:{"#0d1117" if dark else "#fff"};color:{"#e6edf3" if dark else "#1f2328"}}}
img{{display:block;max-width:100%;height:auto}}p{{margin:4px 8px}}a{{color:{"#58a6ff" if dark else "#2563eb"}}}
.problem{{padding:12px;border-left:4px solid {"#f85149" if dark else "#dc2626"}}}</style>
</head><body>
{body}
</body></html>"""
    headers = _headers(_embed_csp(settings))
    return Response(page.encode(), status_code=status, media_type="text/html; charset=utf-8", headers=headers)


def error_page(request: Request, problem: Response) -> Response:
    """A widget's problem (unknown region, bad period) as a message in the widget's style, with the same status:
    an iframe shows it to the reader, where a problem+json document would be raw JSON."""
    doc = orjson.loads(bytes(problem.body))
    theme, lang = request.query_params.get("theme"), request.query_params.get("lang")
    look = Look(theme if theme == "dark" else "light", lang="en" if lang == "en" else "zh")
    e = html.escape
    body = f"""<div class="problem" role="alert"><p><strong>{e(word(look.lang, "error"))}</strong></p>
<p><strong>{e(str(doc.get("title", "")))}</strong>: {e(str(doc.get("detail", "")))}</p>
<p><a href="/" target="_blank" rel="noopener">Yardstick</a></p></div>"""
    settings: Settings = request.app.state.settings
    page = _page(settings, str(doc.get("title", "")), body, look, problem.status_code)
    kept = {k: v for k, v in problem.headers.items() if k not in ("content-type", "content-length")}
    page.headers.update({"cache-control": "no-store", **kept})  # Retry-After, WWW-Authenticate, Allow…
    return page


@router.get("/embed/series/{indicator}/{region}")
async def embed_series(
    settings: SettingsDep,
    snap: SnapshotDep,
    indicator: IndicatorDep,
    region: RegionDep,
    look: LookDep,
    window: RangeDep,
    last_n: LastN = None,
) -> Response:
    path = f"/v1/series/{quote(indicator.code)}/{quote(region.code)}"
    q = SeriesQuery(window=Window(window.start, window.end, last_n=last_n or 40))
    _, sources = await series_figures(snap, indicator, region, q)
    ask = {"start": window.start_label, "end": window.end_label, "last_n": last_n}
    return _widget(settings, Widget(_named(look, region, indicator), f"{path}/chart.svg", ask, path, sources), look)


@router.get("/embed/compare/{indicator}/{region}")
async def embed_compare(
    settings: SettingsDep,
    snap: SnapshotDep,
    indicator: IndicatorDep,
    region: RegionDep,
    look: LookDep,
    window: RangeDep,
    period: Annotated[str | None, Query(max_length=64)] = None,
    last_n: LastN = None,
    units: UnitsParam = "lin",
) -> Response:
    """A region against its province and nation: for one period (period=), or over time (start, end, last_n) in
    the units asked (units=); its data links ask for what its chart draws."""
    path = f"/v1/compare/{quote(indicator.code)}/{quote(region.code)}"
    ask: dict[str, Any] = {"period": period, "start": window.start_label, "end": window.end_label, "last_n": last_n}
    t = comparison_units(units, indicator, over_time(period, window, last_n))
    if over_time(period, window, last_n):
        _, sources = await over_time_figures(snap, indicator, region, window, last_n, None, t)
        ask["units"] = None if t.code == "lin" else t.code
        data = f"{path}?{urlencode({k: v for k, v in ask.items() if v is not None})}"  # the chart's parameters
    else:
        _, _, sources = await compare_figures(snap, indicator, region, period, None)
        data = path + (f"?period={quote(period)}" if period else "")
    return _widget(settings, Widget(_named(look, region, indicator), f"{path}/chart.svg", ask, data, sources), look)


@router.get("/embed/rankings/{indicator}")
async def embed_rankings(
    settings: SettingsDep,
    snap: SnapshotDep,
    indicator: IndicatorDep,
    look: LookDep,
    parent: Annotated[str, Query(max_length=64)],
    level: Annotated[Level | None, Query()] = None,
    period: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    highlight: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    p, marked = region_param(snap, parent, "parent"), region_param(snap, highlight, "highlight")
    assert p is not None
    path = f"/v1/rankings/{quote(indicator.code)}"
    _, _, table = await league_figures(snap, indicator, p, level, period)
    ask = {"parent": p.code, "level": level, "period": period, "limit": limit, "highlight": marked and marked.code}
    data = f"{path}?{urlencode({k: v for k, v in ask.items() if v is not None and k in ('parent', 'level', 'period')})}"
    sources = cited(snap, table.column("source").to_pylist())
    return _widget(settings, Widget(_named(look, p, indicator), f"{path}/chart.svg", ask, data, sources), look)


def _named(look: Look, region: Region, indicator: Indicator) -> str:
    return f"{name(region, look.lang)} {name(indicator, look.lang)}"


CREDITED = 5  # sources named in a caption; more are counted


def _credit(sources: list[Source], lang: str = "zh") -> str:
    """The sources of the figures a widget shows, as 来源：publisher《title》 (or 未注明 when none is recorded)."""
    named = word(lang, "sep").join(f"{s.publisher or ''}《{s.title}》" for s in sources[:CREDITED])
    more = word(lang, "more", n=len(sources)) if len(sources) > CREDITED else ""
    return word(lang, "source") + (named + more or word(lang, "unnamed"))
