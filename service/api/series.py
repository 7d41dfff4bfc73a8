"""Observations: /v1/series/{indicator}/{region} (one series) and /v1/observations (many, as one long table)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote

import anyio
import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from service.api import schemas
from service.api.bulk import export_file
from service.api.deps import (
    MAX_PAGE,
    BomParam,
    CodesQuery,
    DataMediaDep,
    IndicatorDep,
    PeriodQuery,
    RangeDep,
    RegionDep,
    RegionQuery,
    SettingsDep,
    SnapshotDep,
    VintageDep,
    bound,
    codes,
    in_memory,
    page_params,
    period_for,
    region_param,
    respond,
    respond_bytes,
)
from service.api.docs import SERIES_RESPONSES, answering
from service.api.http import content_disposition, is_head, next_page, simple_query
from service.config import Settings
from service.errors import bad_parameter, not_found
from service.formats import CSV, JSON, JSONSTAT, Format, Payload, encode, prepared
from service.model.catalog import Indicator, Region, as_dict
from service.model.schema import Level
from service.model.units import describe
from service.query import hints, transforms
from service.query.series import (
    ObservationsQuery,
    Run,
    SeriesQuery,
    Window,
    decode_cursor,
    encode_cursor,
    from_frames,
    latest_run,
)
from service.query.series import export as query_export
from service.query.series import observations as query_observations
from service.query.series import series as query_series
from service.query.series import whole as query_whole
from service.query.wide import wide as query_wide
from service.store.snapshot import Memo, Snapshot

router = APIRouter(prefix="/v1", tags=["observations"], responses=SERIES_RESPONSES)

UNITS = [*transforms.TRANSFORMS, *(t.long_name for t in transforms.TRANSFORMS.values())]  # every name lookup takes
Units = Annotated[
    str,
    Query(
        description="Transform, by FRED code or long name: "
        + "; ".join(f"{t.code} ({t.long_name}): {t.title}" for t in transforms.TRANSFORMS.values()),
        max_length=64,
        examples=["pc1"],
        json_schema_extra={"enum": UNITS},
    ),
]


Shape = Annotated[
    Literal["long", "wide"],
    Query(
        description="long: one row per observation; wide: one row per period and one column per region (when one "
        "indicator is asked) or per indicator (when one region is asked), the whole selection at once"
    ),
]


@router.get(
    "/series/{indicator}/{region}",
    name="series-get",
    summary="The observations of one series",
    responses=answering(schemas.SeriesAnswer, SERIES_RESPONSES),
)
async def series_get(
    snap: SnapshotDep,
    settings: SettingsDep,
    indicator: IndicatorDep,
    region: RegionDep,
    media: DataMediaDep,
    window: RangeDep,
    vintage: VintageDep,
    units: Units = "lin",
    base: Annotated[str | None, PeriodQuery(description="normalize: the base period (default: the first)")] = None,
    last_n: Annotated[int | None, Query(ge=1, le=100_000, description="Only the latest N observations")] = None,
    mrnev: Annotated[int | None, Query(ge=1, le=100_000, description="The most recent N non-empty values")] = None,
    sort: Annotated[str, Query(pattern="^(asc|desc)$", description="Period order")] = "asc",
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE, description="Page size")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")] = 0,
    bom: BomParam = False,
) -> Response:
    if limit is not None:
        page_params(settings, limit, offset)
    t = transforms.lookup(units, indicator)
    base_period = period_for(indicator, base, "base") if base else None
    q = SeriesQuery(vintage, Window(window.start, window.end, last_n, mrnev, sort, limit, offset), t, base_period)
    await in_memory(snap, indicator.code)
    body = prepared_series(snap, indicator, region, q, media, bom)  # in memory from here on: no thread hop
    if body is not None:
        return respond_bytes(body, media, snap, f"{indicator.code}-{region.code}")
    table = query_series(snap, indicator, region.code, q)
    return respond(series_payload(snap, indicator, region, t, table, vintage.as_of), media, snap, bom)


def series_document(
    snap: Snapshot, indicator: Indicator, region: Region, t: transforms.Transform, count: int
) -> dict[str, Any]:
    return {
        "snapshot": snap.id,
        "indicator": as_dict(indicator),
        "region": as_dict(region),
        "units": {"code": t.code, "name": t.long_name, "title": t.title, "unit": t.unit or indicator.unit},
        "unit": describe(t.unit or indicator.unit),
        "count": count,
    }


def series_payload(
    snap: Snapshot,
    indicator: Indicator,
    region: Region,
    t: transforms.Transform,
    table: pa.Table,
    as_of: date | None = None,
) -> Payload:
    """One series (the handler's and the fast lane's: the same bytes); an empty one says where the data is."""
    doc = series_document(snap, indicator, region, t, table.num_rows)
    if table.num_rows == 0:
        doc["hint"] = hints.for_series(snap, indicator.code, region.code, as_of)
    return Payload(table, doc, "observations", f"{indicator.code}-{region.code}")


def prepared_series(
    snap: Snapshot, indicator: Indicator, region: Region, q: SeriesQuery, media: Format[Payload], bom: bool = False
) -> bytes | None:
    """The JSON or CSV of a series' default answer (latest vintage, any start/end/last_n window) assembled from its
    frame's prepared bytes, or None where the handler's path answers (other parameters or formats, nothing
    prepared). The same bytes as ``encode(series_payload(...))`` (tests/formats/test_prepared.py)."""
    if bom or (media is not JSON and media is not CSV):
        return None
    run = latest_run(snap, indicator.code, region.code, q)
    if run is None or run.count == 0:  # an empty answer says where the data is (hints): the handler's path
        return None
    if media is CSV:
        return prepared.csv_table(run.frame.table.schema, run.span("csv"))
    return prepared.json_rows(_series_head(snap, indicator, region, q.units, run.count), run.span("json"))


SERIES_HEADS: Memo[dict[Any, Any]] = Memo("series heads")


def _series_head(snap: Snapshot, indicator: Indicator, region: Region, t: transforms.Transform, count: int) -> bytes:
    """``series_document``'s JSON up to its first row, joined from members encoded once per indicator and per region
    of the snapshot (the same bytes as ``prepared.json_document``'s head: tests/formats/test_prepared.py)."""
    kept = snap.memo(SERIES_HEADS, dict)
    around = kept.get((indicator.code, t.code))
    if around is None:
        m = {k: prepared.json_member(k, v) for k, v in series_document(snap, indicator, region, t, 0).items()}
        assert list(m) == ["snapshot", "indicator", "region", "units", "unit", "count"], list(m)
        around = kept[(indicator.code, t.code)] = (
            b"{" + m["snapshot"] + b"," + m["indicator"] + b",",
            b"," + m["units"] + b"," + m["unit"] + b',"count":',
        )
    place = kept.get(region.code)
    if place is None:
        place = kept[region.code] = prepared.json_member("region", as_dict(region))
    return b"".join((around[0], place, around[1], str(count).encode(), b',"observations":['))


FAST_PATH = re.compile(r"^/v1/series/([^/]+)/([^/]+)$")
FAST_OBSERVATIONS = "/v1/observations"


def fast_series(snap: Snapshot, path: str, query: str) -> bytes | None:
    """The JSON of the two commonest requests straight from memory: ``GET /v1/series/{indicator}/{region}`` with no
    parameters and ``GET /v1/observations?indicator=I&region=R`` (one of each, nothing else), or None when the full
    handler must answer (unknown codes, a frame not loaded yet, anything more). Same bytes as the handler (tested);
    it skips FastAPI's parameter solving, which is most of the cost of these requests."""
    if path == FAST_OBSERVATIONS:
        return _fast_observations(snap, query)
    m = FAST_PATH.match(path)
    if m is None or query:
        return None
    indicator, region = snap.indicators.get(unquote(m.group(1))), snap.regions.get(unquote(m.group(2)))
    if indicator is None or region is None or not snap.has_frame(indicator.code):
        return None
    body = prepared_series(snap, indicator, region, SeriesQuery(), JSON)
    if body is not None:
        return body
    table = query_series(snap, indicator, region.code, SeriesQuery())
    return encode(series_payload(snap, indicator, region, transforms.TRANSFORMS["lin"], table), JSON)


def _fast_observations(snap: Snapshot, query: str) -> bytes | None:
    params = simple_query(query)
    if params is None or set(params) != {"indicator", "region"}:
        return None
    indicator, region = params["indicator"], params["region"]
    if indicator not in snap.indicators or region not in snap.regions or not snap.has_frame(indicator):
        return None
    run = latest_run(snap, indicator, region, SeriesQuery())
    if run is not None and 0 < run.count <= OBSERVATIONS_PAGE:  # (an empty answer has a hint: the handler's)
        return prepared_observations(snap, indicator, region, run)
    selection = ObservationsQuery([indicator], [region])
    table, total = query_observations(snap, selection, 0)
    if total > table.num_rows:
        return None  # a next page: its link is the handler's to build
    return encode(observations_payload(snap, table, total, None, selection), JSON)


async def get_selection(
    snap: SnapshotDep,
    window: RangeDep,
    vintage: VintageDep,
    indicator: Annotated[str | None, CodesQuery(description="Indicator codes, comma-separated (default: all)")] = None,
    region: Annotated[str | None, CodesQuery(description="Region codes, comma-separated", regions=True)] = None,
    parent: Annotated[str | None, RegionQuery(description="All children of this region")] = None,
    level: Annotated[Level | None, Query(description="With parent: only children of this level")] = None,
    period: Annotated[str | None, PeriodQuery(description="One period (instead of start/end)")] = None,
    units: Units = "lin",
    align_periods: Annotated[bool, Query(description="Union of periods across series, nulls where missing")] = False,
) -> ObservationsQuery:
    """The filter of /v1/observations as a query object (404 and 400 raised here)."""
    indicators = codes(indicator)
    for code in indicators:
        if code not in snap.indicators:
            raise not_found("indicator", f"unknown indicator {code!r}")
        transforms.lookup(units, snap.indicators[code])
    if (units != "lin" or align_periods) and not indicators:
        raise bad_parameter("indicator", "transforms and align_periods need indicator=")
    start, end = window.start, window.end
    if period is not None:
        if window.start_label or window.end_label:
            raise bad_parameter("period", "give period or start/end, not both")
        start = end = bound(period, "period", 1)
    regions = _regions(snap, codes(region), parent, level)
    nothing = parent is not None and not regions  # a parent with no region below it: no rows, not every region
    return ObservationsQuery(indicators, regions, vintage, start, end, units, align_periods, matches_nothing=nothing)


@router.head("/observations", name="observations-list-head", include_in_schema=False)
@router.get(
    "/observations",
    name="observations-list",
    summary="Many series as one long table: JSON pages with a stable cursor, or a streamed file export",
    responses=answering(schemas.ObservationsPage, SERIES_RESPONSES),
)
async def observations_list(
    request: Request,
    snap: SnapshotDep,
    settings: SettingsDep,
    media: DataMediaDep,
    selection: Annotated[ObservationsQuery, Depends(get_selection)],
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_PAGE,
            description="Page size (JSON default 1000; CSV, Parquet and Arrow without limit stream every row)",
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern="^[A-Za-z0-9_=-]+$", description="The 'next' cursor of the previous page"),
    ] = None,
    bom: BomParam = False,
    shape: Shape = "long",
) -> Response:
    if shape == "wide":  # the whole selection pivoted, in a thread (a scan and a pivot)
        return await anyio.to_thread.run_sync(partial(_wide, snap, media, selection, limit, cursor, bom))
    answer = partial(_observations, request, snap, settings, media, selection, limit, cursor, bom)
    page = cursor is None and (media.stream is None or limit is not None)
    few = len(selection.indicators) * len(selection.regions) <= ON_LOOP_SERIES
    if page and few and from_frames(selection):  # from memory, on the event loop: no thread hop
        await in_memory(snap, *selection.indicators)
        return answer()
    return await anyio.to_thread.run_sync(answer)  # larger answers, DuckDB scans, exports, cursors: in a thread


ON_LOOP_SERIES = 4  # beyond, encoding a page takes long enough that answering in a thread keeps latency fair


def _observations(
    request: Request,
    snap: Snapshot,
    settings: Settings,
    media: Format[Payload],
    selection: ObservationsQuery,
    limit: int | None,
    cursor: str | None,
    bom: bool,
) -> Response:
    meta = {"yardstick.snapshot": snap.id}
    if media.file is not None and limit is None and cursor is None:
        write = partial(_export_file, media, snap, selection, meta)
        return export_file(request, snap, selection, write)
    if media.stream is not None and limit is None and cursor is None:
        headers = {
            "content-disposition": content_disposition("attachment", f"observations-{snap.id}.{media.extension}")
        }
        if is_head(request.scope):  # the headers of the stream, without running the query
            return Response(media_type=media.content_type, headers=headers)
        stream = media.stream(query_export(snap, selection), meta, bom)
        return StreamingResponse(stream, media_type=media.content_type, headers=headers)
    if media.max_rows is not None and limit is None and cursor is None:  # a workbook: every row, or a 400
        table, total = query_whole(snap, selection, media.max_rows, media.title)
        return respond(observations_payload(snap, table, total, None, selection), media, snap, bom)
    limit, _ = page_params(settings, limit or OBSERVATIONS_PAGE, 0)
    offset = 0
    if cursor is not None:  # a cursor pins the snapshot of its first page: pages never mix two snapshots
        pinned, offset = decode_cursor(cursor)
        snap = request.app.state.store.at(pinned)
    table, total = query_observations(snap, replace(selection, limit=limit), offset)
    nxt = None
    if offset + table.num_rows < total:
        nxt = next_page(request, cursor=encode_cursor(snap.id, offset + table.num_rows))
    return respond(observations_payload(snap, table, total, nxt, selection), media, snap, bom)


OBSERVATIONS_PAGE = 1000  # rows of a /v1/observations JSON page when no limit is given


def prepared_observations(snap: Snapshot, indicator: str, region: str, run: Run) -> bytes:
    """One series' whole page of /v1/observations (no next page) from its frame's prepared JSON: the series' rows
    with its indicator and region put first in each."""
    doc = {"snapshot": snap.id, "total": run.count, "count": run.count, "next": None}
    prefix = prepared.json_member("indicator", indicator) + b"," + prepared.json_member("region", region) + b","
    return prepared.json_document(doc, "observations", prepared.keyed_rows(run.strings("json"), prefix.decode()))


def observations_payload(
    snap: Snapshot, table: pa.Table, total: int, nxt: str | None, selection: ObservationsQuery
) -> Payload:
    """One page of /v1/observations (the handler's and the fast lane's: the same bytes); an empty selection says
    the latest period with data."""
    doc: dict[str, Any] = {"snapshot": snap.id, "total": total, "count": table.num_rows, "next": nxt}
    if total == 0:
        hint = hints.for_selection(snap, selection.indicators, selection.regions, selection.vintage.as_of)
        if hint is not None:
            doc["hint"] = hint
    return Payload(table, doc, "observations", "observations")


def _wide(
    snap: Snapshot,
    media: Format[Payload],
    selection: ObservationsQuery,
    limit: int | None,
    cursor: str | None,
    bom: bool,
) -> Response:
    if limit is not None or cursor is not None:
        raise bad_parameter("shape", "shape=wide answers the whole selection as one table: drop limit and cursor")
    if media is JSONSTAT:
        raise bad_parameter("shape", "JSON-stat is already a cube of indicator, region and period: drop shape=wide")
    doc, table = query_wide(snap, selection)
    return respond(Payload(table, doc, "observations", "observations-wide"), media, snap, bom)


def _export_file(
    media: Format[Payload], snap: Snapshot, selection: ObservationsQuery, meta: dict[str, str], path: Path
) -> int:
    assert media.file is not None
    return media.file(query_export(snap, selection), path, meta)


def _regions(snap: SnapshotDep, listed: list[str], parent: str | None, level: str | None) -> list[str]:
    for code in listed:
        region_param(snap, code, "region")
    p = region_param(snap, parent, "parent")
    if p is not None:
        listed = listed + [c for c in snap.children.get(p.code, []) if level is None or snap.regions[c].level == level]
    return list(dict.fromkeys(listed))
