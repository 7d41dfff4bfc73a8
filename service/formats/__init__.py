"""Output formats: every format registered once below (service/formats/registry.py has the registry and the one
negotiation), in the offers that answer it.

A new format is one module (its encoder, and a streamer if it can export every row) and one ``register`` call here:
negotiation, the ``format=`` values, file names, streamed exports and the OpenAPI content maps all read the registry.
"""

from __future__ import annotations

from service.formats import arrow, charts, csv, json, jsonstat, xlsx
from service.formats.charts import Chart
from service.formats.payload import Payload
from service.formats.registry import BINARY, TEXT, Format, Offer, negotiate, register
from service.formats.sdmx import data as sdmx_data
from service.formats.sdmx import jsondata as sdmx_json
from service.formats.sdmx import structure as sdmx_structure

__all__ = ["Chart", "Format", "Offer", "Payload", "encode", "negotiate"]

_V1_UNKNOWN = "unknown format {format!r} here"
_V1_UNACCEPTABLE = "none of the types in Accept ({accept}) can be served"
TABLES: Offer[Payload] = Offer("every /v1 endpoint", _V1_UNKNOWN, _V1_UNACCEPTABLE)
SERIES: Offer[Payload] = Offer("series, observations, compare, rankings", _V1_UNKNOWN, _V1_UNACCEPTABLE)
SDMX_DATA: Offer[sdmx_data.DataMessage] = Offer(
    "SDMX data",
    "unknown SDMX data format {format!r}",
    "none of the types in Accept ({accept}) is an SDMX data format served here",
)
SDMX_STRUCTURE: Offer[sdmx_structure.Structures] = Offer(
    "SDMX structures",
    "unknown SDMX structure format {format!r}",
    "structures are served as SDMX-ML 2.1 ({types}), not {accept}",
)
CHARTS: Offer[Chart] = Offer(
    "charts", "unknown chart format {format!r}", "none of the types in Accept ({accept}) is a chart format"
)

# ---- /v1 ---------------------------------------------------------------------------------------------------------

JSON = register(
    Format(
        "json",
        "application/json",
        "json",
        "JSON",
        document=json.encode,
        accepts=("application/*", "*/*", "application/problem+json"),
        named=False,
    ),
    TABLES,
    SERIES,
)
CSV = register(
    Format(
        "csv",
        "text/csv",
        "csv",
        "CSV",
        table=csv.encode,
        stream=csv.stream,
        accepts=("text/*",),
        charset="utf-8",
        schema=TEXT,
    ),
    TABLES,
    SERIES,
)
PARQUET = register(
    Format(
        "parquet",
        "application/vnd.apache.parquet",
        "parquet",
        "Parquet",
        table=arrow.encode_parquet,
        stream=arrow.stream_parquet,
        file=arrow.write_parquet,
        accepts=("application/x-parquet",),
        schema=BINARY,
    ),
    TABLES,
    SERIES,
)
ARROW = register(
    Format(
        "arrow",
        "application/vnd.apache.arrow.stream",
        "arrow",
        "Arrow",
        table=arrow.encode_ipc,
        stream=arrow.stream_ipc,
        accepts=("application/vnd.apache.arrow.file",),
        schema=BINARY,
    ),
    TABLES,
    SERIES,
)
XLSX = register(
    Format(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        "Excel",
        document=xlsx.encode,
        schema=BINARY,
        disposition="attachment",
        max_rows=xlsx.MAX_ROWS,
    ),
    TABLES,
    SERIES,
)
JSONSTAT = register(
    Format("jsonstat", "application/json-stat+json", "json", "JSON-stat 2.0", document=jsonstat.encode), SERIES
)

# ---- SDMX 2.1 ----------------------------------------------------------------------------------------------------

_XML_RANGES = ("application/xml", "text/xml", "application/*", "*/*")
register(
    Format(
        "genericdata",
        "application/vnd.sdmx.genericdata+xml; version=2.1",
        "xml",
        "SDMX-ML 2.1 GenericData",
        document=sdmx_data.generic_data,
        accepts=_XML_RANGES,
        schema=TEXT,
    ),
    SDMX_DATA,
)
register(
    Format(
        "structurespecificdata",
        "application/vnd.sdmx.structurespecificdata+xml; version=2.1",
        "xml",
        "StructureSpecificData",
        document=sdmx_data.structure_specific,
        schema=TEXT,
    ),
    SDMX_DATA,
)
register(
    Format(
        "sdmx-json",
        "application/vnd.sdmx.data+json; version=1.0.0",
        "json",
        "SDMX-JSON 1.0",
        document=sdmx_json.sdmx_json,
        params=("jsondata", "sdmx-json"),
        accepts=("application/json",),
    ),
    SDMX_DATA,
)
register(
    Format(
        "sdmx-csv",
        "application/vnd.sdmx.data+csv; version=1.0.0",
        "csv",
        "SDMX-CSV 1.0",
        document=sdmx_data.sdmx_csv,
        params=("csv", "csvfile", "sdmx-csv"),
        accepts=("text/csv",),
        schema=TEXT,
    ),
    SDMX_DATA,
)
register(
    Format(
        "sdmx-structure",
        "application/vnd.sdmx.structure+xml; version=2.1",
        "xml",
        "SDMX-ML 2.1 structure",
        document=sdmx_structure.structure_message,
        accepts=_XML_RANGES,
        schema=TEXT,
    ),
    SDMX_STRUCTURE,
)

# ---- charts ------------------------------------------------------------------------------------------------------

register(Format("svg", "image/svg+xml", "svg", "SVG", document=charts.svg), CHARTS)
register(Format("png", "image/png", "png", "PNG", document=charts.png), CHARTS)


def encode(payload: Payload, fmt: Format[Payload], bom: bool = False) -> bytes:
    """A /v1 body: the whole document, or the rows alone for a table format (``bom``: CSV's Excel-ready form)."""
    if fmt.document is not None:
        return fmt.document(payload)
    assert fmt.table is not None  # a Format has one or the other
    return fmt.table(payload.table, payload.metadata, bom)
