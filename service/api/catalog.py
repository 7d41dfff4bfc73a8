"""Discovery endpoints: /v1/regions, /v1/indicators, /v1/sources, /v1/series, /v1/search."""

from __future__ import annotations

from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from service.api import schemas
from service.api.deps import (
    MAX_PAGE,
    BomParam,
    CodesQuery,
    IndicatorDep,
    MediaDep,
    RegionDep,
    RegionQuery,
    SettingsDep,
    SnapshotDep,
    codes,
    page_params,
    region_param,
    respond,
)
from service.api.docs import DATA_RESPONSES, answering
from service.api.http import next_page
from service.errors import not_found
from service.formats import Payload
from service.model.catalog import as_dict
from service.model.schema import SOURCE_ID_PATTERN, Kind, Level
from service.query import catalog
from service.query import search as q_search

router = APIRouter(prefix="/v1", tags=["catalog"], responses=DATA_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")]
Text = Annotated[str | None, Query(max_length=200, description="Text in the code or the Chinese or English name")]


def paged(
    request: Request, table: pa.Table, limit: int, offset: int, extra: dict[str, Any] | None = None
) -> tuple[pa.Table, dict[str, Any]]:
    total = table.num_rows
    nxt = None
    if offset + limit < total:
        nxt = next_page(request, offset=offset + limit)
    return table.slice(offset, limit), {**(extra or {}), "total": total, "limit": limit, "offset": offset, "next": nxt}


@router.get(
    "/regions",
    name="regions-list",
    summary="Regions, filtered by level, parent and text",
    responses=answering(schemas.RegionsPage, DATA_RESPONSES),
)
def regions_list(
    request: Request,
    snap: SnapshotDep,
    settings: SettingsDep,
    media: MediaDep,
    level: Annotated[Level | None, Query(description="Level")] = None,
    parent: Annotated[str | None, RegionQuery(description="Parent region code", examples=["430000"])] = None,
    q: Text = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    bom: BomParam = False,
) -> Response:
    limit, offset = page_params(settings, limit, offset)
    region_param(snap, parent, "parent")
    table, doc = paged(request, catalog.regions(snap, level, parent, q), limit, offset, {"snapshot": snap.id})
    return respond(Payload(table, doc, "regions", "regions"), media, snap, bom)


@router.get(
    "/regions/{region}",
    name="regions-get",
    summary="One region with its ancestors and children",
    responses=answering(schemas.RegionDetail, DATA_RESPONSES),
)
def regions_get(snap: SnapshotDep, region: RegionDep, media: MediaDep, bom: BomParam = False) -> Response:
    table = catalog.region_family(snap, region)
    rows = table.to_pylist()
    doc = {
        **as_dict(region),
        "snapshot": snap.id,
        "ancestors": [r for r in rows if r["relation"] == "ancestor"],
        "children": [r for r in rows if r["relation"] == "child"],
    }
    return respond(Payload(table, doc, None, f"region-{region.code}"), media, snap, bom)


@router.get(
    "/indicators",
    name="indicators-list",
    summary="Indicators, filtered by topic, kind and text",
    responses=answering(schemas.IndicatorsPage, DATA_RESPONSES),
)
def indicators_list(
    request: Request,
    snap: SnapshotDep,
    settings: SettingsDep,
    media: MediaDep,
    topic: Annotated[str | None, Query(max_length=64, description="Topic", examples=["industry"])] = None,
    kind: Annotated[Kind | None, Query(description="Kind")] = None,
    q: Text = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    bom: BomParam = False,
) -> Response:
    limit, offset = page_params(settings, limit, offset)
    table, doc = paged(request, catalog.indicators(snap, topic, kind, q), limit, offset, {"snapshot": snap.id})
    return respond(Payload(table, doc, "indicators", "indicators"), media, snap, bom)


@router.get(
    "/indicators/{indicator}",
    name="indicators-get",
    summary="One indicator: metadata, the regions with data, first and last period",
    responses=answering(schemas.IndicatorDetail, DATA_RESPONSES),
)
def indicators_get(snap: SnapshotDep, indicator: IndicatorDep, media: MediaDep, bom: BomParam = False) -> Response:
    doc = catalog.indicator_detail(snap, indicator)
    table = pa.Table.from_pylist(doc["regions"], schema=REGION_SUMMARY)
    return respond(Payload(table, {**doc, "snapshot": snap.id}, None, f"indicator-{indicator.code}"), media, snap, bom)


REGION_SUMMARY = pa.schema(
    [
        ("code", pa.string()),
        ("name", pa.string()),
        ("first_period", pa.string()),
        ("last_period", pa.string()),
        ("observations", pa.int64()),
    ]
)


@router.get(
    "/units",
    name="units-list",
    summary="Units of measure: names, symbol, multiplier (亿元 = 10^8 CNY)",
    responses=answering(schemas.UnitsList, DATA_RESPONSES),
)
def units_list(snap: SnapshotDep, media: MediaDep, bom: BomParam = False) -> Response:
    return respond(Payload(catalog.units(snap), {"snapshot": snap.id}, "units", "units"), media, snap, bom)


@router.get(
    "/sources",
    name="sources-list",
    summary="Sources of the figures",
    responses=answering(schemas.SourcesList, DATA_RESPONSES),
)
def sources_list(snap: SnapshotDep, media: MediaDep, bom: BomParam = False) -> Response:
    return respond(Payload(catalog.sources(snap), {"snapshot": snap.id}, "sources", "sources"), media, snap, bom)


@router.get(
    "/sources/{source}",
    name="sources-get",
    summary="One source",
    responses=answering(schemas.SourceDetail, DATA_RESPONSES),
)
def sources_get(
    snap: SnapshotDep,
    media: MediaDep,
    source: Annotated[
        str, Path(description="Source id", examples=["hyrb-2022-q3-industry"], pattern=SOURCE_ID_PATTERN, max_length=64)
    ],
    bom: BomParam = False,
) -> Response:
    found = snap.sources.get(source)
    if found is None:
        raise not_found("source", f"unknown source {source!r}: see /v1/sources")
    table = pa.Table.from_pylist([as_dict(found)], schema=catalog.sources(snap).schema)
    return respond(Payload(table, {**as_dict(found), "snapshot": snap.id}, None, f"source-{source}"), media, snap, bom)


@router.get(
    "/series",
    name="series-list",
    summary="Which (indicator, region) series exist",
    responses=answering(schemas.SeriesList, DATA_RESPONSES),
)
def series_list(
    request: Request,
    snap: SnapshotDep,
    settings: SettingsDep,
    media: MediaDep,
    indicator: Annotated[str | None, CodesQuery(description="Indicator codes, comma-separated")] = None,
    region: Annotated[str | None, CodesQuery(description="Region codes, comma-separated", regions=True)] = None,
    parent: Annotated[str | None, RegionQuery(description="Only children of this region")] = None,
    level: Annotated[Level | None, Query(description="Only regions of this level")] = None,
    q: Text = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    bom: BomParam = False,
) -> Response:
    limit, offset = page_params(settings, limit, offset)
    region_param(snap, parent, "parent")
    table = catalog.series(snap, codes(indicator), codes(region), parent, level, q)
    table, doc = paged(request, table, limit, offset, {"snapshot": snap.id})
    return respond(Payload(table, doc, "series", "series"), media, snap, bom)


@router.get(
    "/search",
    name="search",
    summary="Indicators, regions and series matching text, ranked (Chinese-aware)",
    responses=answering(schemas.SearchAnswer, DATA_RESPONSES),
)
def search(
    request: Request,
    snap: SnapshotDep,
    settings: SettingsDep,
    media: MediaDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Words to find: Chinese (synonyms of shorthand such as 规上 and partial matches included), "
            'English, codes, or pinyin and initials of place names (hengyang, cs); "in quotes" for exactly that text',
            examples=["衡阳 规上工业"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    offset: Offset = 0,
    bom: BomParam = False,
) -> Response:
    found = q_search.search(snap, q, settings.synonyms_file)
    table, doc = paged(request, found, limit, offset, {"snapshot": snap.id, "q": q})
    return respond(Payload(table, doc, "results", "search"), media, snap, bom)
