"""Annotated dependencies: path and query parameters become domain objects here (404 and 400 raised here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
from fastapi import Depends, Path, Query, Request
from pydantic import BeforeValidator
from starlette.responses import Response

from service.api.http import content_disposition
from service.config import Settings
from service.errors import bad_parameter, not_found
from service.formats import SERIES, TABLES, Format, Payload, encode, negotiate
from service.formats.registry import Offer, listing
from service.model import period as periods
from service.model.catalog import Indicator, Region, as_dict
from service.model.schema import CODE_PATTERN, REGION_CODE_PATTERN
from service.query.series import Vintage
from service.store.snapshot import Snapshot, Store


async def get_snapshot(request: Request) -> Snapshot:
    snap = getattr(request.state, "snapshot", None)
    if snap is None:
        store: Store = request.app.state.store
        snap = store.snapshot()
    return snap


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


if TYPE_CHECKING:
    TableFormat = str
    SeriesFormat = str
else:  # the format= values of each offer, as FastAPI checks and documents them
    TableFormat = Literal[TABLES.names]
    SeriesFormat = Literal[SERIES.names]
MAX_PAGE = 10_000  # the largest page a client may ask for (YARDSTICK_MAX_LIMIT may lower it)


def RegionQuery(description: str, examples: list[str] | None = None) -> Any:
    return Query(description=description, examples=examples, pattern=REGION_CODE_PATTERN, max_length=64)


REGION_LIST_PATTERN = r"^ *(?:[A-Za-z0-9][A-Za-z0-9_-]*)?(?: *, *(?:[A-Za-z0-9][A-Za-z0-9_-]*)?)* *$"


def CodesQuery(description: str, regions: bool = False) -> Any:
    """A comma-separated list of codes (ASCII by the code grammars, so a long list stays a short request); a list of
    regions states the region codes' grammar, so a malformed code is a 400 as in a path."""
    pattern = REGION_LIST_PATTERN if regions else r"^[A-Za-z0-9_.,\- ]*$"
    return Query(description=description, pattern=pattern, max_length=4000)


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_indicator(
    snap: SnapshotDep,
    indicator: Annotated[
        str,
        Path(
            description="Indicator code", examples=["industry.value_added.growth"], pattern=CODE_PATTERN, max_length=64
        ),
    ],
) -> Indicator:
    found = snap.indicators.get(indicator)
    if found is None:
        raise not_found("indicator", f"unknown indicator {indicator!r}: see /v1/indicators")
    return found


async def get_region(
    snap: SnapshotDep,
    region: Annotated[
        str, Path(description="Region code", examples=["430400"], pattern=REGION_CODE_PATTERN, max_length=64)
    ],
) -> Region:
    found = snap.regions.get(region)
    if found is None:
        raise not_found("region", f"unknown region {region!r}: see /v1/regions")
    return found


IndicatorDep = Annotated[Indicator, Depends(get_indicator)]
RegionDep = Annotated[Region, Depends(get_region)]


async def in_memory(snap: Snapshot, *indicators: str) -> None:
    """Load any of these indicators' frames not yet in memory, off the event loop (a file read each)."""
    for code in indicators:
        if not snap.has_frame(code):
            await anyio.to_thread.run_sync(snap.frame, code)


def region_param(snap: Snapshot, code: str | None, parameter: str) -> Region | None:
    if code is None:
        return None
    found = snap.regions.get(code)
    if found is None:
        raise not_found(parameter, f"unknown region {code!r} in {parameter}")
    return found


def codes(value: str | None) -> list[str]:
    """A comma-separated list parameter."""
    return [c.strip() for c in value.split(",") if c.strip()] if value else []


def bound(label: str | None, parameter: str, which: int) -> date | None:
    """First (which=0) or last (which=1) day a period label covers, for start/end filters."""
    if label is None:
        return None
    try:
        return periods.bounds(label)[which]
    except periods.PeriodError as exc:
        raise bad_parameter(parameter, str(exc)) from None


def period_for(indicator: Indicator, label: str, parameter: str = "period") -> periods.Period:
    try:
        return periods.parse(label, indicator.frequency, indicator.accumulation)
    except periods.PeriodError as exc:
        raise bad_parameter(
            parameter, f"{exc} (indicator {indicator.code} is {indicator.frequency}, {indicator.accumulation})"
        ) from None


def PeriodQuery(description: str, examples: list[str] | None = None) -> Any:
    """A period label parameter: any form the period grammar reads (service.model.period), as a pattern."""
    return Query(description=description, examples=examples, pattern=periods.PATTERN, max_length=32)


@dataclass(frozen=True)
class Range:
    """A start/end window: the labels as given and the dates they stand for."""

    start_label: str | None
    end_label: str | None
    start: date | None
    end: date | None


async def get_range(
    start: Annotated[
        str | None, PeriodQuery(description="First period, e.g. 2022-Q1, 2022-01, 2022", examples=["2022-Q1"])
    ] = None,
    end: Annotated[str | None, PeriodQuery(description="Last period", examples=["2022-Q4"])] = None,
    startPeriod: Annotated[str | None, PeriodQuery(description="SDMX alias of start")] = None,
    endPeriod: Annotated[str | None, PeriodQuery(description="SDMX alias of end")] = None,
) -> Range:
    """start/end period labels (SDMX's startPeriod/endPeriod accepted), checked for order."""
    window = Range(start or startPeriod, end or endPeriod, None, None)
    window = replace(window, start=bound(window.start_label, "start", 0), end=bound(window.end_label, "end", 1))
    if window.start and window.end and window.start > window.end:
        raise bad_parameter("start", f"start {window.start_label} is after end {window.end_label}")
    return window


RangeDep = Annotated[Range, Depends(get_range)]


def _iso(pattern: str, what: str) -> Any:
    """Only the ISO 8601 text form: pydantic's lax mode would also read 0.5 as a Unix time."""

    def check(value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(pattern, value):
            raise ValueError(f"expected {what}")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[date, _iso(r"\d{4}-\d{2}-\d{2}", "a date, YYYY-MM-DD")]
IsoTime = Annotated[
    datetime,
    _iso(
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})?", "a time, e.g. 2022-11-01T08:00:00Z"
    ),
]
AsOf = Annotated[
    IsoDate | None, Query(description="Vintage: what was known on this date (YYYY-MM-DD)", examples=["2022-12-31"])
]


async def get_vintage(
    as_of: AsOf = None,
    vintages: Annotated[
        str | None,
        Query(description="'all' returns every release with its published date", pattern="^(all|latest)$"),
    ] = None,
    initial: Annotated[bool, Query(description="First releases only")] = False,
    updated_after: Annotated[
        IsoTime | None, Query(description="Only rows committed after this time (ISO 8601; UTC if no offset)")
    ] = None,
    realtime_start: Annotated[
        IsoDate | None,
        Query(
            description="ALFRED: every release that was the latest at some time on or after this date, with its "
            "realtime_start and realtime_end (implies vintages=all)"
        ),
    ] = None,
    realtime_end: Annotated[
        IsoDate | None,
        Query(description="ALFRED: every release that was the latest at some time on or before this date"),
    ] = None,
) -> Vintage:
    every = vintages == "all" or realtime_start is not None or realtime_end is not None
    if initial and every:
        raise bad_parameter("initial", "initial=true and vintages=all (or realtime_start/end) exclude each other")
    if vintages == "latest" and every:
        raise bad_parameter("vintages", "realtime_start/realtime_end select among all vintages: drop vintages=latest")
    if realtime_start and realtime_end and realtime_start > realtime_end:
        raise bad_parameter("realtime_start", f"realtime_start {realtime_start} is after realtime_end {realtime_end}")
    if updated_after is not None and updated_after.tzinfo is None:
        updated_after = updated_after.replace(tzinfo=UTC)
    return Vintage(as_of, initial, every, updated_after, realtime_start, realtime_end)


VintageDep = Annotated[Vintage, Depends(get_vintage)]


def format_names(offer: Offer[Any]) -> str:
    """The format= values of an offer for its description, each with its title when that says more."""
    return listing([f.name if f.title.lower() == f.name else f"{f.name} ({f.title})" for f in offer.formats])


async def get_media_type(
    request: Request,
    format: Annotated[TableFormat | None, Query(description=f"{format_names(TABLES)}; wins over Accept")] = None,
) -> Format[Payload]:
    return negotiate(format, request.headers.get("accept"), TABLES)


async def get_data_media_type(
    request: Request,
    format: Annotated[SeriesFormat | None, Query(description=f"{format_names(SERIES)}; wins over Accept")] = None,
) -> Format[Payload]:
    return negotiate(format, request.headers.get("accept"), SERIES)


MediaDep = Annotated[Format[Payload], Depends(get_media_type)]
DataMediaDep = Annotated[Format[Payload], Depends(get_data_media_type)]  # series, observations, compare, rankings
BomParam = Annotated[bool, Query(description="CSV only: prefix a UTF-8 BOM so Excel shows Chinese text")]


def respond(payload: Payload, fmt: Format[Payload], snap: Snapshot, bom: bool = False) -> Response:
    """Encode and wrap: one call at the end of every data handler."""
    payload.metadata.setdefault("yardstick.snapshot", snap.id)
    payload.labels = partial(labels, snap, payload)  # category labels and units, for the formats that show them
    return respond_bytes(encode(payload, fmt, bom), fmt, snap, payload.name)


def respond_bytes(body: bytes, fmt: Format[Payload], snap: Snapshot, name: str) -> Response:
    """A body already encoded in ``fmt``, with the headers of ``respond``."""
    headers = {"x-snapshot": snap.id}
    if fmt.named:
        headers["content-disposition"] = content_disposition(fmt.disposition, f"{name}.{fmt.extension}")
    return Response(body, media_type=fmt.content_type, headers=headers)


def labels(snap: Snapshot, payload: Payload) -> dict[str, dict[str, dict[str, Any]]]:
    """The names (and units) of the indicators and regions a payload names, for JSON-stat categories."""
    t, doc = payload.table, payload.document
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for name, catalog in (("indicator", snap.indicators), ("region", snap.regions)):
        given = doc.get(name)
        codes = set(t.column(name).unique().to_pylist()) if name in t.column_names else set()
        codes |= {given["code"]} if isinstance(given, dict) and "code" in given else set()
        found[name] = {c: as_dict(catalog[c]) for c in codes if c in catalog}
    return found


def page_params(settings: Settings, limit: int, offset: int) -> tuple[int, int]:
    if limit > settings.max_limit:
        raise bad_parameter("limit", f"limit must be at most {settings.max_limit}")
    return limit, offset
