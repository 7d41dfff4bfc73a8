"""POST /v1/extract: a document's figures proposed as observations for a person to review; nothing is stored.

The handler only reads the request: the parameters are checked (400) and the media type (415) before the body
is read, and the work (inputs.read_document, answer.answer) runs off the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from service.api.access import WriterDep
from service.api.deps import SettingsDep, SnapshotDep
from service.api.docs import EXTRACT_BODY, EXTRACT_RESPONSES
from service.api.writes import read_body
from service.config import Settings
from service.ingest.extract import answer as core
from service.ingest.extract.inputs import check_media, read_document
from service.model import period as periods
from service.model.schema import REGION_CODE_PATTERN, SOURCE_ID_PATTERN
from service.store.snapshot import Memo, Snapshot

router = APIRouter(prefix="/v1", tags=["extract"])
CATALOGS: Memo[core.Catalogs] = Memo("extract catalogs")


def _documented(pattern: str, description: str, example: str) -> Any:
    """A query parameter whose grammar the document states; the check (and its words) is answer.options'."""
    return Query(description=description, examples=[example], max_length=64, json_schema_extra={"pattern": pattern})


RegionParam = Annotated[
    str | None,
    _documented(REGION_CODE_PATTERN, "The region the document is about: resolves 全市, 我县, 本区, 全省", "430400"),
]
PublishedParam = Annotated[
    str | None,
    _documented(
        r"^\d{4}-\d{2}-\d{2}$", "Publication date, YYYY-MM-DD: resolves 今年, 上年, months without a year", "2022-10-31"
    ),
]
PeriodParam = Annotated[
    str | None,
    _documented(
        periods.PATTERN, "The period of figures that state none (tables): 2022-Q3, 2022-09, 2012年1-4月", "2022-Q3"
    ),
]
SourceParam = Annotated[
    str | None, _documented(SOURCE_ID_PATTERN, "A source id to attach to every row", "hyrb-2022-q3-industry")
]


def catalogs(snap: Snapshot, settings: Settings) -> core.Catalogs:
    """The snapshot's catalogs as the extractor reads them, built once per snapshot."""
    synonyms, concepts = core.read_synonyms(settings.synonyms_file), core.read_concepts(settings.seed_dir)
    return snap.memo(
        CATALOGS, lambda: core.Catalogs(snap.regions, snap.indicators, set(snap.sources), synonyms, concepts)
    )


@router.post(
    "/extract",
    name="extract",
    summary="Propose observations from a document (text, HTML, CSV, workbook); nothing is stored",
    responses=EXTRACT_RESPONSES,
    openapi_extra=EXTRACT_BODY,
)
async def extract_post(
    request: Request,
    key: WriterDep,
    settings: SettingsDep,
    snap: SnapshotDep,
    region: RegionParam = None,
    published: PublishedParam = None,
    period: PeriodParam = None,
    source: SourceParam = None,
) -> Response:
    """The figures of a statistical bulletin, release, news report or table, each as an observation row with its
    verbatim quote and span, ready to review and POST to /v1/observations; what the text states wins over the
    parameters, and what neither states is answered in `unresolved`."""
    cats = catalogs(snap, settings)
    opts = core.options(cats, region=region, published=published, period=period, source=source)
    content_type = check_media(request.headers.get("content-type"))
    body = await read_body(request, int(settings.max_body_mb * 1024 * 1024), settings.body_timeout_seconds)
    out = await anyio.to_thread.run_sync(lambda: core.answer(read_document(body, content_type), opts, cats))
    return Response(orjson.dumps(out), media_type="application/json")
