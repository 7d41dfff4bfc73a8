"""Encoders: a Payload (an Arrow table, plus a JSON document around it) to bytes of one media type.

Negotiation: ``format=`` wins over ``Accept``. A new format is one module and one ENCODERS entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pyarrow as pa

from service.errors import NotAcceptable, Problem, bad_parameter


class MediaType(StrEnum):
    JSON = "application/json"
    CSV = "text/csv"
    PARQUET = "application/vnd.apache.parquet"
    ARROW = "application/vnd.apache.arrow.stream"
    JSONSTAT = "application/json-stat+json"


FORMAT_NAMES = {
    "json": MediaType.JSON,
    "csv": MediaType.CSV,
    "parquet": MediaType.PARQUET,
    "arrow": MediaType.ARROW,
    "jsonstat": MediaType.JSONSTAT,
}
EXTENSIONS = {
    MediaType.JSON: "json",
    MediaType.CSV: "csv",
    MediaType.PARQUET: "parquet",
    MediaType.ARROW: "arrow",
    MediaType.JSONSTAT: "json",
}
DOCUMENTS = (MediaType.JSON, MediaType.JSONSTAT)  # answered a page at a time; the others can stream every row
_ACCEPT_ALIASES = {
    "application/x-parquet": MediaType.PARQUET,
    "application/vnd.apache.arrow.file": MediaType.ARROW,
    "application/*": MediaType.JSON,
    "text/*": MediaType.CSV,
    "*/*": MediaType.JSON,
    "application/problem+json": MediaType.JSON,
}


@dataclass
class Payload:
    """What a handler hands to the encoders: rows as Arrow, and the JSON document they sit in."""

    table: pa.Table
    document: dict[str, Any] = field(default_factory=dict)
    rows_key: str | None = "data"  # where the rows go in the JSON document; None: the document is complete
    name: str = "data"
    metadata: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # JSON-stat: dimension -> code -> …


Encoder = Callable[[Payload, bool], bytes]


TABLES = (MediaType.JSON, MediaType.CSV, MediaType.PARQUET, MediaType.ARROW)  # what every endpoint answers in


def negotiate(fmt: str | None, accept: str | None, allowed: tuple[MediaType, ...] = TABLES) -> MediaType:
    """The media type to answer with: ``format`` first, then the Accept header's most preferred supported type."""
    if fmt is not None:
        found = FORMAT_NAMES.get(fmt.lower())
        if found not in allowed:
            names = sorted(n for n, m in FORMAT_NAMES.items() if m in allowed)
            raise bad_parameter("format", f"unknown format {fmt!r} here", names)
        return found
    if not accept:
        return MediaType.JSON
    for kind in preferred(accept):
        found = MediaType(kind) if kind in MediaType._value2member_map_ else _ACCEPT_ALIASES.get(kind)
        if found in allowed:
            return found
    raise NotAcceptable(
        f"none of the types in Accept ({accept}) can be served",
        [Problem("unsupported media type", parameter="Accept", allowed=[m.value for m in allowed])],
    )


def _quality(params: list[str]) -> float:
    for p in params:
        if p.startswith("q="):
            try:
                return float(p[2:])
            except ValueError:
                return 0.0
    return 1.0


def preferred(accept: str) -> list[str]:
    """Media ranges of an Accept header, most preferred first, q=0 dropped."""
    ranges = []
    for position, part in enumerate(accept.split(",")):
        kind, *params = (p.strip() for p in part.split(";"))
        q = _quality(params)
        if q > 0:
            ranges.append((-q, position, kind.lower()))
    return [kind for _, _, kind in sorted(ranges)]


def encode(payload: Payload, media: MediaType, bom: bool = False) -> bytes:
    from service.formats import arrow, csv, json, jsonstat

    encoders: dict[MediaType, Encoder] = {
        MediaType.JSON: json.encode,
        MediaType.JSONSTAT: jsonstat.encode,
        MediaType.CSV: csv.encode,
        MediaType.PARQUET: arrow.encode_parquet,
        MediaType.ARROW: arrow.encode_ipc,
    }
    return encoders[media](payload, bom)


def content_type(media: MediaType) -> str:
    return f"{media.value}; charset=utf-8" if media is MediaType.CSV else media.value
