"""The tables of the lake: one Arrow schema each, with column descriptions, and the allowed codes.

This module is the single source of column truth: ingest validates against it, the store writes it, the API and
the bulk files describe it.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import pyarrow as pa

Level = Literal["world", "continent", "nation", "province", "prefecture", "county", "zone", "other"]
Kind = Literal["level", "growth", "rank", "count", "share"]
LEVELS: Final = get_args(Level)
KINDS: Final = get_args(Kind)
FREQUENCIES: Final = ("A", "Q", "M")
ACCUMULATIONS: Final = ("period", "ytd")
BASES: Final = ("real", "nominal")
STATUSES: Final = ("A", "P", "E", "D")
STATUS_NAMES: Final = {"A": "official", "P": "provisional", "E": "estimated", "D": "derived"}
RATE_KINDS: Final = ("growth", "share")
CODE_PATTERN: Final = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"  # indicators: industry.value_added.growth
REGION_CODE_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"  # CN, 430400, 430400Z01, WLD (no dots: SDMX IDs)
SOURCE_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # hyrb-2022-q3-industry
# Longest text a cell may hold, in characters (docs/reliability.md); any other text column: DEFAULT_MAX_LENGTH.
MAX_LENGTH: Final = {
    "code": 64,
    "region": 64,
    "indicator": 64,
    "parent": 64,
    "rank_of": 64,
    "id": 64,
    "source": 64,
    "quote": 2000,
    "note": 2000,
    "description": 4000,
    "title": 500,
    "url": 2000,
    "licence": 500,
}
DEFAULT_MAX_LENGTH: Final = 200


def _f(name: str, typ: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, typ, nullable=nullable, metadata={"description": doc})


REGIONS: Final = pa.schema(
    [
        _f("code", pa.string(), "Region code: CN for China, GB/T 2260 six digits for its divisions", False),
        _f("name", pa.string(), "Name in Chinese", False),
        _f("name_en", pa.string(), "Name in English, where a source has one"),
        _f(
            "level",
            pa.string(),
            "nation, province, prefecture, county, zone, world, continent or other",
            False,
        ),
        _f("parent", pa.string(), "Code of the parent region; null at the root"),
    ]
)

INDICATORS: Final = pa.schema(
    [
        _f("code", pa.string(), "Stable lowercase code, dotted or underscored", False),
        _f("name", pa.string(), "Name in Chinese", False),
        _f("name_en", pa.string(), "Name in English"),
        _f("unit", pa.string(), "percent, 100m_cny (亿元), 10k_cny (万元), cny, count, rank, ...", False),
        _f("kind", pa.string(), "level, growth, rank, count or share", False),
        _f("frequency", pa.string(), "A, Q or M", False),
        _f("accumulation", pa.string(), "period (that period alone) or ytd (cumulative from January)", False),
        _f("rank_of", pa.string(), "For a rank indicator: the indicator it ranks"),
        _f("rank_among", pa.string(), "For a rank indicator: the regions ranked, e.g. siblings"),
        _f("basis", pa.string(), "For growth: real (comparable prices) or nominal"),
        _f("description", pa.string(), "What the figure measures"),
        _f("topic", pa.string(), "Topic for browsing, e.g. industry, investment, enterprises"),
        _f("licence", pa.string(), "Licence of the figures"),
    ]
)

SOURCES: Final = pa.schema(
    [
        _f("id", pa.string(), "Source id", False),
        _f("title", pa.string(), "Title of the publication", False),
        _f("publisher", pa.string(), "Publisher"),
        _f("author", pa.string(), "Author"),
        _f("published", pa.date32(), "Publication date"),
        _f("url", pa.string(), "Where it can be read"),
        _f("note", pa.string(), "Notes on the source"),
    ]
)

OBSERVATIONS: Final = pa.schema(
    [
        _f("indicator", pa.string(), "Indicator code", False),
        _f("region", pa.string(), "Region code", False),
        _f("period", pa.string(), "Canonical period label: 2022, 2022-Q3 or 2022-09", False),
        _f("period_start", pa.date32(), "First day the value covers (1 January for ytd)", False),
        _f("period_end", pa.date32(), "Last day the value covers", False),
        _f("value", pa.float64(), "The figure; null allowed with a status"),
        _f("status", pa.string(), "A official, P provisional, E estimated, D derived", False),
        _f("published", pa.date32(), "When the figure became known (the vintage)", False),
        _f("source", pa.string(), "Source id"),
        _f("quote", pa.string(), "The sentence the figure came from"),
        _f("note", pa.string(), "Notes, e.g. how a derived figure was computed"),
        _f("recorded_at", pa.timestamp("us", tz="UTC"), "When Yardstick committed the row", False),
    ]
)

TABLES: Final = {
    "regions": REGIONS,
    "indicators": INDICATORS,
    "sources": SOURCES,
    "observations": OBSERVATIONS,
}
KEYS: Final = {
    "regions": ("code",),
    "indicators": ("code",),
    "sources": ("id",),
    "observations": ("indicator", "region", "period", "published"),
}
# Columns a user supplies (the rest are derived on ingest).
INPUT_COLUMNS: Final = {
    "regions": [f.name for f in REGIONS],
    "indicators": [f.name for f in INDICATORS],
    "sources": [f.name for f in SOURCES],
    "observations": [
        "indicator",
        "region",
        "period",
        "value",
        "status",
        "published",
        "source",
        "quote",
        "note",
    ],
}
# Columns POST /v1/extract writes beside the ingest columns of an observation: read and dropped, so its rows can be
# posted as they are (the period label decides the dates, the indicator the unit).
ANNOTATIONS: Final = {
    "observations": (
        "indicator_name",
        "period_start",
        "period_end",
        "unit",
        "span",
        "confidence",
        "new_indicator",
    )
}
REQUIRED_COLUMNS: Final = {
    "regions": ["code", "name", "level"],
    "indicators": ["code", "name", "unit", "kind", "frequency"],
    "sources": ["id", "title"],
    "observations": ["indicator", "region", "period", "value", "published"],
}


def with_field_ids(schema: pa.Schema) -> pa.Schema:
    """The schema with Iceberg field ids (1, 2, ... in column order, as the Iceberg tables declare them) on every
    field: written into Parquet, they make each data file a native Iceberg file, read by id by every engine (Spark,
    Trino, Daft) with no name mapping."""
    fields = [
        f.with_metadata({**(f.metadata or {}), b"PARQUET:field_id": str(i).encode()}) for i, f in enumerate(schema, 1)
    ]
    return pa.schema(fields, metadata=schema.metadata)
