"""OpenAPI descriptions shared by the routers: the media types every data GET can answer (from the format
registry), the problem shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from service.api import schemas
from service.formats import CHARTS, JSONSTAT, SDMX_DATA, SDMX_STRUCTURE, SERIES, TABLES, Offer
from service.formats.registry import listing


class ProblemLocation(BaseModel):
    detail: str
    parameter: str | None = None
    header: str | None = None
    file: str | None = None
    row: int | None = None
    column: str | None = None
    sheet: str | None = None
    allowed: list[str] | None = None
    value: Any | None = None


class ProblemDocument(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/bad-parameter"])
    title: str = Field(examples=["Bad parameter"])
    status: int = Field(examples=[400])
    detail: str = Field(examples=["unreadable period label '2022-13'"])
    instance: str = Field(examples=["/v1/series/industry.value_added.growth/430400"])
    errors: list[ProblemLocation] | None = None
    total: int | None = Field(None, description="Invalid data: how many problems were found (errors lists the first)")


def content(offer: Offer[Any]) -> dict[str, Any]:
    """The OpenAPI content map of the formats an offer answers in (JSON's schema is the answering route's model)."""
    out = {f.media_type: {"schema": dict(f.schema)} if f.schema is not None else {} for f in offer.formats}
    for media, model in _JSON_FORMATS.items():
        if media in out:
            out[media] = {"schema": model.model_json_schema(by_alias=True)}
    return out


_JSON_FORMATS: dict[str, type[BaseModel]] = {
    JSONSTAT.media_type: schemas.JsonStat,
    "application/vnd.sdmx.data+json; version=1.0.0": schemas.SdmxJson,
}


def answering(model: type[BaseModel], base: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """``base``'s 200 with the JSON answer's schema: the model documents it, the handler still encodes the bytes."""
    return {200: {**base[200], "model": model}}


def described(offer: Offer[Any]) -> str:
    others = [f.title for f in offer.formats[1:]]
    return f"{offer.default.title} by default; {listing(others)} with format= or Accept"


_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
DATA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": described(TABLES), "content": content(TABLES)},
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
    400: {"description": "A bad parameter", "model": ProblemDocument, "content": _PROBLEM},
    404: {"description": "Unknown indicator, region or source", "model": ProblemDocument, "content": _PROBLEM},
    406: {"description": "No acceptable media type", "model": ProblemDocument, "content": _PROBLEM},
}

SERIES_RESPONSES: dict[int | str, dict[str, Any]] = {  # series, observations, compare, rankings
    **DATA_RESPONSES,
    200: {"description": described(SERIES), "content": content(SERIES)},
}
_SDMX_ERROR = {"application/xml": {"schema": {"type": "string"}}}
SDMX_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": described(SDMX_DATA), "content": content(SDMX_DATA)},
    304: DATA_RESPONSES[304],
    **{
        status: {"description": f"{text}: an SDMX-ML error message (code {code})", "content": _SDMX_ERROR}
        for status, text, code in [
            (400, "Syntax error in the key or a parameter", 140),
            (404, "No results, or no such dataflow or structure", 100),
            (406, "No acceptable SDMX media type", 406),
            (413, "More observations than one answer holds", 510),
        ]
    },
}
SDMX_STRUCTURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **SDMX_RESPONSES,
    200: {"description": "An SDMX-ML 2.1 structure message", "content": content(SDMX_STRUCTURE)},
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Nothing changed (every row was already stored): the current snapshot",
        "model": schemas.WriteAnswer,
    },
    201: {
        "description": "Committed: the new snapshot and counts (added, unchanged, revised)",
        "model": schemas.WriteAnswer,
    },
    **{
        status: {"description": text, "model": ProblemDocument, "content": _PROBLEM}
        for status, text in [
            (400, "A bad header or parameter"),
            (401, "No API key, or an unknown or revoked one"),
            (403, "The key lacks the write scope"),
            (408, "The body stalled"),
            (409, "A row contradicts a stored figure of the same period and vintage"),
            (413, "The body is larger than YARDSTICK_MAX_BODY_MB"),
            (415, "The Content-Type is not CSV, JSON Lines, Parquet or an Excel workbook"),
            (422, "Invalid rows, each located by file, row and column; nothing was stored"),
            (429, "Rate limit: see Retry-After"),
            (503, "Another writer holds the lock: see Retry-After"),
        ]
    },
}

BULK_RESPONSES: dict[int | str, dict[str, Any]] = {
    **DATA_RESPONSES,
    206: {"description": "Part of the file (Range), or multipart/byteranges for several ranges"},
    302: {"description": "'latest' redirects to the newest snapshot's URL"},
    410: {"description": "The snapshot is past the retention period", "model": ProblemDocument, "content": _PROBLEM},
    416: {"description": "The range lies outside the file", "model": ProblemDocument, "content": _PROBLEM},
}
BULK_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The Parquet file",
        "content": {"application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}}},
    }
}
CHART_RESPONSES: dict[int | str, dict[str, Any]] = {
    **DATA_RESPONSES,
    200: {"description": "The chart", "content": content(CHARTS)},
}
AUDIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: DATA_RESPONSES[400],
    404: {"description": "No such snapshot", "model": ProblemDocument, "content": _PROBLEM},
}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "CSV (UTF-8, BOM or GBK), JSON Lines, Parquet, or an Excel workbook (.xlsx, .xls: a long "
        "sheet with the columns of `yardstick ingest`, or a wide sheet of regions or indicators by indicators or "
        "periods; docs/api.md)",
        "content": {
            "text/csv": {"schema": {"type": "string", "minLength": 1}},
            "application/x-ndjson": {"schema": {"type": "string", "minLength": 1}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary", "minLength": 1}
            },
            "application/vnd.ms-excel": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
        },
    }
}


class ExtractedObservation(BaseModel):
    """A proposed observation: an ingest row (indicator, region, period, value, status, published, source, quote,
    note) with what a reviewer needs beside it."""

    indicator: str = Field(examples=["industry.value_added.growth"])
    indicator_name: str = Field(description="The indicator as the text names it", examples=["规模工业增加值"])
    region: str = Field(examples=["430400"])
    period: str = Field(description="A label ingest reads for this indicator", examples=["2022-Q3"])
    period_start: str = Field(examples=["2022-01-01"])
    period_end: str = Field(examples=["2022-09-30"])
    value: float = Field(examples=[8.4])
    unit: str = Field(examples=["percent"])
    status: str = Field(description="A stated, D derived by arithmetic (see note), E estimate (预计)", examples=["A"])
    published: str | None = Field(description="The vintage: the parameter, else the date the page states")
    source: str | None = Field(description="The source parameter")
    quote: str = Field(examples=["我市规模工业增加值同比增长8.4%"])
    span: list[int] = Field(description="[start, end): quote == text[start:end], in code points", examples=[[412, 429]])
    note: str | None = Field(description="How a derived figure was computed; 约, 以上 and the like")
    confidence: float = Field(examples=[0.95])
    new_indicator: bool = Field(description="The indicator is proposed (see indicators), not in the catalog")


class ExtractUnresolved(BaseModel):
    quote: str
    span: list[int]
    why: str = Field(examples=["no region: the text names none before this figure and no region= was given"])


class ExtractDocument(BaseModel):
    sha256: str = Field(description="Of the body as sent")
    characters: int = Field(description="Code points of the text the spans count in")
    kind: str = Field(examples=["text"], description="text, html, table or workbook")
    encoding: str | None = Field(None, examples=["gb18030"], description="The charset the body was read in")
    text: str | None = Field(None, description="For HTML, tables and workbooks: the text the spans count in")


class ExtractAnswer(BaseModel):
    document: ExtractDocument
    region: str | None = Field(description="The document's region: the parameter, else the one its title names")
    published: str | None
    observations: list[ExtractedObservation]
    indicators: list[dict[str, Any]] = Field(description="Catalog rows proposed for new concepts, as ingest reads them")
    unresolved: list[ExtractUnresolved]


EXTRACT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The proposed observations; nothing was stored", "model": ExtractAnswer},
    **{
        status: {"description": text, "model": ProblemDocument, "content": _PROBLEM}
        for status, text in [
            (400, "A bad parameter: region, published, period or source, named"),
            (401, "No API key, or an unknown or revoked one"),
            (403, "The key lacks the write scope"),
            (408, "The body stalled"),
            (413, "The body is larger than YARDSTICK_MAX_BODY_MB, or its text longer than 500,000 characters"),
            (415, "A media type other than text, HTML, CSV or a workbook, or an unknown charset"),
            (422, "The body is not what it claims: not UTF-8 or GB18030 text, binary data, an unreadable workbook"),
            (429, "Rate limit: see Retry-After"),
        ]
    },
}
# any bytes are a document to read (a body of "{}" is a table of one cell): no type, so no body is schema-invalid but
# an empty one
_TEXT_BODY = {"schema": {"minLength": 1}}
_BINARY_BODY = {"schema": {"type": "string", "format": "binary", "minLength": 1}}
EXTRACT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The document: text (UTF-8, or GB18030/GBK by charset or detection; simplified or traditional "
        "characters), an HTML page, a CSV table or a workbook",
        "content": {
            "text/plain": _TEXT_BODY,
            "text/html": _TEXT_BODY,
            "text/csv": _TEXT_BODY,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _BINARY_BODY,
            "application/vnd.ms-excel": _BINARY_BODY,
        },
    }
}
_ROWS = {"type": "array", "minItems": 1, "items": {"type": "object"}}
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Rows of several tables, committed together; each row has the columns of `yardstick ingest`",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": False,
                    "properties": dict.fromkeys(("regions", "indicators", "sources", "observations"), _ROWS),
                },
                "example": {
                    "sources": [{"id": "hy-2022-q3", "title": "衡阳日报 2022-10-28", "published": "2022-10-28"}],
                    "observations": [
                        {
                            "indicator": "industry.value_added.growth",
                            "region": "430400",
                            "period": "2022-Q3",
                            "value": 8.4,
                            "status": "A",
                            "published": "2022-10-28",
                            "source": "hy-2022-q3",
                            "quote": "规模工业增加值同比增长8.4%",
                        }
                    ],
                },
            }
        },
    }
}
