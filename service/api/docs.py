"""OpenAPI descriptions shared by the routers: the media types every data GET can answer, the problem shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ProblemLocation(BaseModel):
    detail: str
    parameter: str | None = None
    header: str | None = None
    file: str | None = None
    row: int | None = None
    column: str | None = None
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


_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
DATA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON by default; CSV, Parquet or Arrow with format= or Accept",
        "content": {
            "application/json": {},
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.apache.arrow.stream": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
    400: {"description": "A bad parameter", "model": ProblemDocument, "content": _PROBLEM},
    404: {"description": "Unknown indicator, region or source", "model": ProblemDocument, "content": _PROBLEM},
    406: {"description": "No acceptable media type", "model": ProblemDocument, "content": _PROBLEM},
}
