"""Pages for people: the explorer at / and small self-contained widgets under /embed/ for iframes.

Nothing comes from a CDN: the explorer's script and style are served from service/api/static, and the widgets are
plain HTML around the server-rendered SVG charts. Headers make them safe to embed: a Content-Security-Policy per
page kind, frame-ancestors from YARDSTICK_FRAME_ANCESTORS, nosniff, no referrer, and no cookies anywhere.
"""

from __future__ import annotations

import html
from importlib.resources import files
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from service.api.charts import compare_figures, league_figures, series_figures
from service.api.deps import IndicatorDep, RegionDep, SettingsDep, SnapshotDep, region_param
from service.config import Settings
from service.errors import not_found
from service.model.catalog import Source
from service.query.catalog import cited

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


def _widget(settings: Settings, title: str, chart: str, data: str, source: str, theme: str) -> Response:
    dark = theme == "dark"
    e = html.escape
    sep = "&" if "?" in data else "?"
    links = " · ".join(  # CSV as Excel opens it: with a UTF-8 BOM
        f'<a href="{e(data + sep + query)}" target="_blank" rel="noopener">{name}</a>'
        for name, query in (("CSV", "format=csv&bom=true"), ("JSON", "format=json"), ("PARQUET", "format=parquet"))
    )
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>body{{margin:0;font:13px "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
background:{"#0d1117" if dark else "#fff"};color:{"#e6edf3" if dark else "#1f2328"}}}
img{{display:block;max-width:100%;height:auto}}p{{margin:4px 8px}}a{{color:{"#58a6ff" if dark else "#2563eb"}}}</style>
</head><body>
<figure style="margin:0"><img src="{e(chart)}" alt="{e(title)}">
<figcaption><p>{e(source)}</p><p>Data: {links} · <a href="/" target="_blank" rel="noopener">Yardstick</a></p>
</figcaption></figure>
</body></html>"""
    return Response(page.encode(), media_type="text/html; charset=utf-8", headers=_headers(_embed_csp(settings)))


Theme = Annotated[str, Query(pattern="^(light|dark)$")]


@router.get("/embed/series/{indicator}/{region}")
async def embed_series(
    settings: SettingsDep, snap: SnapshotDep, indicator: IndicatorDep, region: RegionDep, theme: Theme = "light"
) -> Response:
    path = f"/v1/series/{quote(indicator.code)}/{quote(region.code)}"
    _, sources = await series_figures(snap, indicator, region)
    return _widget(
        settings, f"{region.name} {indicator.name}", f"{path}/chart.svg?theme={theme}", path, _credit(sources), theme
    )


@router.get("/embed/compare/{indicator}/{region}")
async def embed_compare(
    settings: SettingsDep,
    snap: SnapshotDep,
    indicator: IndicatorDep,
    region: RegionDep,
    period: Annotated[str | None, Query(max_length=64)] = None,
    theme: Theme = "light",
) -> Response:
    path = f"/v1/compare/{quote(indicator.code)}/{quote(region.code)}"
    query = urlencode({k: v for k, v in {"period": period, "theme": theme}.items() if v})
    _, _, sources = await compare_figures(snap, indicator, region, period, None)
    return _widget(
        settings,
        f"{region.name} {indicator.name}",
        f"{path}/chart.svg?{query}",
        path + (f"?period={quote(period)}" if period else ""),
        _credit(sources),
        theme,
    )


@router.get("/embed/rankings/{indicator}")
async def embed_rankings(
    settings: SettingsDep,
    snap: SnapshotDep,
    indicator: IndicatorDep,
    parent: Annotated[str, Query(max_length=64)],
    theme: Theme = "light",
) -> Response:
    p = region_param(snap, parent, "parent")
    assert p is not None
    path = f"/v1/rankings/{quote(indicator.code)}"
    _, _, table = await league_figures(snap, indicator, p)
    return _widget(
        settings,
        f"{p.name} {indicator.name}",
        f"{path}/chart.svg?parent={quote(p.code)}&theme={theme}",
        f"{path}?parent={quote(p.code)}",
        _credit(cited(snap, table.column("source").to_pylist())),
        theme,
    )


CREDITED = 5  # sources named in a caption; more are counted


def _credit(sources: list[Source]) -> str:
    """The sources of the figures a widget shows, as 来源：publisher《title》 (or 未注明 when none is recorded)."""
    named = "；".join(f"{s.publisher or ''}《{s.title}》" for s in sources[:CREDITED])
    more = f"等{len(sources)}个来源" if len(sources) > CREDITED else ""
    return "来源：" + (named + more or "未注明")
