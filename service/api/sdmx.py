"""SDMX 2.1 RESTful web services at /sdmx/2.1: structure queries (dataflow, datastructure, codelist,
conceptscheme) and data queries by SDMX key. Errors on these paths are SDMX-ML error messages (see problems.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from service.api.deps import SettingsDep, SnapshotDep
from service.api.docs import SDMX_RESPONSES, SDMX_STRUCTURE_RESPONSES
from service.errors import bad_parameter
from service.formats import SDMX_DATA, SDMX_STRUCTURE, Format, negotiate
from service.formats.registry import listing
from service.formats.sdmx.data import DataMessage, Detail
from service.formats.sdmx.structure import Structures
from service.model import sdmx as dsd
from service.query import sdmx as q
from service.store.snapshot import Snapshot

router = APIRouter(prefix="/sdmx/2.1", tags=["sdmx"], default_response_class=Response)


class Resource(StrEnum):
    dataflow = "dataflow"
    datastructure = "datastructure"
    codelist = "codelist"
    conceptscheme = "conceptscheme"


class References(StrEnum):
    none = "none"
    parents = "parents"
    parentsandsiblings = "parentsandsiblings"
    children = "children"
    descendants = "descendants"
    all = "all"
    dataflow = "dataflow"
    datastructure = "datastructure"
    codelist = "codelist"
    conceptscheme = "conceptscheme"


class StructureDetail(StrEnum):
    full = "full"
    allstubs = "allstubs"
    referencestubs = "referencestubs"


class DataDetail(StrEnum):
    full = "full"
    dataonly = "dataonly"
    serieskeysonly = "serieskeysonly"
    nodata = "nodata"


ID = r"^[A-Za-z0-9_@$\-]+$"


CHILDREN = {"dataflow": {"datastructure"}, "datastructure": {"conceptscheme", "codelist"}}
PARENTS = {"datastructure": {"dataflow"}, "conceptscheme": {"datastructure"}, "codelist": {"datastructure"}}


def _wanted(kind: str, r: str) -> set[str]:
    """The resource types a structure query returns: its own and those ``references`` (r) adds."""
    wanted = {kind}
    if r in ("children", "descendants", "all"):
        wanted |= CHILDREN.get(kind, set())
    if r in ("descendants", "all"):
        for child in CHILDREN.get(kind, set()):
            wanted |= CHILDREN.get(child, set())
    if r in ("parents", "parentsandsiblings", "all"):
        wanted |= PARENTS.get(kind, set())
    if r == "parentsandsiblings":
        for parent in PARENTS.get(kind, set()):
            wanted |= CHILDREN.get(parent, set())
    if r in CHILDREN or r in PARENTS:  # a type: that type of references
        wanted.add(r)
    return wanted


def _structures(
    fmt: Format[Structures],
    snap: Snapshot,
    resource: Resource,
    resource_id: str,
    references: References,
    detail: StructureDetail,
) -> bytes:
    """The resource asked for and what ``references`` adds: the dataflow's child is the data structure, whose
    children are the concept scheme and the codelists."""
    kind, r = resource.value, references.value
    wanted = _wanted(kind, r)
    lists = q.codelists(snap) if "codelist" in wanted else None
    if lists is not None and kind == "codelist" and resource_id != "all" and r == "none":
        lists = {resource_id: lists[resource_id]}
    message = Structures(
        dataflow="dataflow" in wanted,
        datastructure="datastructure" in wanted,
        conceptscheme="conceptscheme" in wanted,
        codelists=lists,
        stubs=frozenset(
            wanted
            if detail is StructureDetail.allstubs
            else wanted - {kind}
            if detail is StructureDetail.referencestubs
            else ()
        ),
        prepared=_prepared(snap),
    )
    return fmt.render(message)


def _prepared(snap: Snapshot) -> datetime:
    return datetime.fromisoformat(snap.manifest.committed_at).astimezone(UTC)


def _known(resource: Resource, agency: str, resource_id: str, version: str) -> None:
    ids = {
        Resource.dataflow: {dsd.FLOW},
        Resource.datastructure: {dsd.DSD},
        Resource.conceptscheme: {dsd.CONCEPTS},
        Resource.codelist: set(dsd.CODELISTS),
    }[resource]
    if (
        agency not in ("all", dsd.AGENCY)
        or resource_id not in ({"all"} | ids)
        or version not in ("all", "latest", dsd.VERSION)
    ):
        raise q.SdmxNoResults(
            f"no {resource.value} {agency}/{resource_id}/{version}: this service has agency {dsd.AGENCY}, version "
            f"{dsd.VERSION}, and {resource.value} {', '.join(sorted(ids))}"
        )


DataPath = Annotated[
    str,
    Path(
        max_length=4000,
        pattern=r"^[A-Za-z0-9_@$\-,.+]+(/[A-Za-z0-9_@$\-,.+]*){0,2}$",
        description="flowRef[/key[/providerRef]]: the dataflow (YARDSTICK, or YARDSTICK,YARDSTICK,1.0); the key "
        "FREQ.REGION.INDICATOR, each part empty (any) or values joined by '+', 'all' for every series; the "
        "provider (all or YARDSTICK)",
        examples=["YARDSTICK/Q.430400.industry-value_added-growth"],
    ),
]


PERIOD = "2022, 2022-Q3, 2022-09 or 2022-09-30"


@router.get(
    "/data/{path:path}", name="sdmx-data", summary="SDMX data by flow, key and provider", responses=SDMX_RESPONSES
)
async def sdmx_data(
    request: Request,
    snap: SnapshotDep,
    settings: SettingsDep,
    path: DataPath,
    start: Annotated[
        str | None, Query(alias="startPeriod", max_length=20, description="2022, 2022-Q3, 2022-09")
    ] = None,
    end: Annotated[str | None, Query(alias="endPeriod", max_length=20, description="2022, 2022-Q3, 2022-09")] = None,
    updated_after: Annotated[
        datetime | None, Query(alias="updatedAfter", description="Only figures stored after this time (ISO 8601)")
    ] = None,
    first_n: Annotated[
        int | None, Query(alias="firstNObservations", ge=1, le=100_000, description="First N periods per series")
    ] = None,
    last_n: Annotated[
        int | None, Query(alias="lastNObservations", ge=1, le=100_000, description="Last N periods per series")
    ] = None,
    at_observation: Annotated[
        str, Query(alias="dimensionAtObservation", max_length=40, description="TIME_PERIOD or AllDimensions")
    ] = "TIME_PERIOD",
    detail: Annotated[
        DataDetail, Query(description="full, dataonly (no attributes), serieskeysonly, nodata (no observations)")
    ] = DataDetail.full,
    history: Annotated[
        bool, Query(alias="includeHistory", description="Every release (vintage): one data set per release date")
    ] = False,
    format: Annotated[
        str | None,
        Query(
            max_length=40,
            description=f"{listing(SDMX_DATA.names)} (wins over Accept)",
            json_schema_extra={"enum": SDMX_DATA.params},
        ),
    ] = None,
) -> Response:
    flow, key, provider = [*path.split("/"), "all", "all"][:3]
    chosen = negotiate(format, request.headers.get("accept"), SDMX_DATA)
    q.check_flow(flow, provider)
    if at_observation not in ("TIME_PERIOD", "AllDimensions"):
        raise bad_parameter("dimensionAtObservation", "TIME_PERIOD or AllDimensions", ["AllDimensions", "TIME_PERIOD"])
    query = q.DataQuery(key, start, end, updated_after, first_n, last_n, history)
    series = await anyio.to_thread.run_sync(q.select, snap, query, settings.sdmx_max_observations)
    shape, by_time = Detail.of(detail.value), at_observation == "TIME_PERIOD"
    message = DataMessage(series, shape, by_time, history, partial(q.names, snap, series))
    return Response(chosen.render(message), media_type=chosen.content_type, headers={"x-snapshot": snap.id})


StructurePath = Annotated[
    str,
    Path(
        max_length=300,
        pattern=r"^[A-Za-z0-9_@$\-]+(/[A-Za-z0-9_@$\-]+(/[A-Za-z0-9_.+\-]+)?)?$",
        description="agencyID[/resourceID[/version]]: YARDSTICK or all; an id or all; 1.0, latest or all",
        examples=["YARDSTICK/CL_REGION/latest"],
    ),
]
ResourcePath = Annotated[Resource, Path(description="dataflow, datastructure, codelist or conceptscheme")]
ReferencesQuery = Annotated[References, Query(description="Also return referenced structures")]
DetailQuery = Annotated[
    StructureDetail, Query(description="full; allstubs: every structure by name only; referencestubs: the references")
]


@router.get(
    "/{resource}",
    name="sdmx-structures",
    summary="SDMX structures: dataflow, datastructure, codelist, conceptscheme",
    responses=SDMX_STRUCTURE_RESPONSES,
)
async def sdmx_structures(
    request: Request,
    snap: SnapshotDep,
    resource: ResourcePath,
    references: ReferencesQuery = References.none,
    detail: DetailQuery = StructureDetail.full,
) -> Response:
    return await sdmx_structure(request, snap, resource, "all", references, detail)


@router.get(
    "/{resource}/{path:path}",
    name="sdmx-structure",
    summary="SDMX structures by agency, id and version",
    responses=SDMX_STRUCTURE_RESPONSES,
)
async def sdmx_structure(
    request: Request,
    snap: SnapshotDep,
    resource: ResourcePath,
    path: StructurePath,
    references: ReferencesQuery = References.none,
    detail: DetailQuery = StructureDetail.full,
) -> Response:
    agency, resource_id, version = [*path.split("/"), "all", "latest"][:3]
    chosen = negotiate(None, request.headers.get("accept"), SDMX_STRUCTURE)
    _known(resource, agency, resource_id, version)
    body = await anyio.to_thread.run_sync(_structures, chosen, snap, resource, resource_id, references, detail)
    return Response(body, media_type=chosen.content_type, headers={"x-snapshot": snap.id})
