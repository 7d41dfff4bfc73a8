"""The JSON answers as Pydantic models, for the OpenAPI document only: handlers encode straight to bytes (formats/),
so these models never validate an answer at run time; tests/contract checks real answers against them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Row = dict[str, Any]


class Open(BaseModel):
    """Members beyond the listed ones may appear (a transform's or an option's extra columns)."""

    model_config = ConfigDict(extra="allow")


class RegionRow(Open):
    code: str = Field(examples=["430400"])
    name: str = Field(examples=["衡阳市"])
    name_en: str | None = None
    level: str = Field(examples=["prefecture"])
    parent: str | None = None


class IndicatorRow(Open):
    code: str = Field(examples=["industry.value_added.growth"])
    name: str
    name_en: str | None = None
    unit: str
    kind: str
    frequency: str
    accumulation: str
    rank_of: str | None = None
    rank_among: str | None = None
    basis: str | None = None
    description: str | None = None
    topic: str | None = None
    licence: str | None = None


class UnitInfo(Open):
    code: str = Field(examples=["percent"])
    name: str
    name_en: str | None = None
    symbol: str | None = None
    multiplier: int = Field(description="Power of ten: 8 for 亿")


class SourceRow(Open):
    id: str
    title: str
    publisher: str | None = None
    author: str | None = None
    published: str | None = None
    url: str | None = None
    note: str | None = None


class Page(Open):
    snapshot: str = Field(description="The snapshot answered from", examples=["000001"])
    total: int
    limit: int
    offset: int
    next: str | None = Field(description="The next page's URL, null on the last")


class RegionsPage(Page):
    regions: list[RegionRow]


class RelatedRegion(RegionRow):
    relation: str = Field(description="ancestor or child")


class RegionDetail(RegionRow):
    snapshot: str
    ancestors: list[RelatedRegion]
    children: list[RelatedRegion]


class IndicatorsPage(Page):
    indicators: list[IndicatorRow]


class RegionWithData(Open):
    code: str
    name: str
    first_period: str | None
    last_period: str | None
    observations: int


class IndicatorDetail(IndicatorRow):
    snapshot: str
    first_period: str | None
    last_period: str | None
    regions: list[RegionWithData]


class UnitRow(UnitInfo):
    base: str | None = None
    decimals: int | None = None
    indicators: int = Field(description="How many indicators use it")


class UnitsList(Open):
    snapshot: str
    units: list[UnitRow]


class SourcesList(Open):
    snapshot: str
    sources: list[SourceRow]


class SourceDetail(SourceRow):
    snapshot: str


class SeriesRow(Open):
    indicator: str
    region: str
    first_period: str | None
    last_period: str | None
    observations: int
    last_published: str | None = None
    indicator_name: str | None = None
    region_name: str | None = None


class SeriesList(Page):
    series: list[SeriesRow]


class SearchRow(Open):
    type: str = Field(description="indicator, region or series")
    code: str
    name: str | None = None
    indicator: str | None = None
    region: str | None = None
    match: str
    score: float


class SearchAnswer(Page):
    q: str
    results: list[SearchRow]


class RegionRef(BaseModel):
    code: str = Field(examples=["430400"])
    name: str = Field(examples=["衡阳市"])


class RegionsWithData(BaseModel):
    count: int = Field(description="How many regions have a figure of the indicator")
    sample: list[RegionRef] = Field(description="The first few of them, by code")


class Hint(BaseModel):
    """Present only when an answer holds no figure: where the data is."""

    latest_period: str | None = Field(
        None, description="The latest period with data for this selection (one indicator)", examples=["2022-Q3"]
    )
    latest_periods: dict[str, str | None] | None = Field(
        None, description="Several indicators: the latest period with data of each"
    )
    regions_with_data: RegionsWithData | None = Field(
        None, description="The region has no figure of the indicator at all: the regions that have"
    )


class Observation(Open):
    period: str = Field(examples=["2022-Q3"])
    period_start: str | None = None
    period_end: str | None = None
    value: float | None = Field(examples=[8.4])
    status: str | None = Field(None, description="A official, P provisional, E estimated, D derived")
    published: str | None = Field(None, description="The vintage: when the figure was published")
    source: str | None = None
    quote: str | None = None
    note: str | None = None
    recorded_at: str | None = None


class Transform(Open):
    code: str = Field(examples=["lin"])
    name: str
    title: str
    unit: str


class SeriesAnswer(Open):
    snapshot: str
    indicator: IndicatorRow
    region: RegionRow
    units: Transform
    unit: UnitInfo
    count: int
    observations: list[Observation]
    hint: Hint | None = None


class LongObservation(Observation):
    indicator: str
    region: str


class WideRow(Open):
    """shape=wide: a period, and one member per column (a region's or an indicator's value)."""

    period: str


class ObservationsPage(Open):
    """A page of the long table, or with shape=wide the whole selection pivoted (shape, columns_are, columns)."""

    snapshot: str
    total: int | None = Field(None, description="Long: rows in the whole selection")
    count: int
    next: str | None = Field(None, description="Long: the next page's URL, null on the last")
    shape: str | None = Field(None, description="wide, when asked")
    columns_are: str | None = Field(None, description="Wide: region or indicator")
    columns: list[Row] | None = Field(None, description="Wide: what each value column is")
    observations: list[LongObservation | WideRow]
    hint: Hint | None = None


class Figure(Open):
    region: str
    name: str | None = None
    name_en: str | None = None
    level: str | None = None
    value: float | None
    status: str | None = None
    published: str | None = None
    source: str | None = None
    quote: str | None = None
    note: str | None = None
    missing: bool


class Against(Figure):
    gap_pp: float | None = Field(None, description="Rates: region minus ancestor, in percentage points")


class Rank(Open):
    rank: int | None
    of: int | None
    method: str = Field(description="computed or reported")


class ComparedPeriod(Figure):
    period: str
    against: list[Against]
    rank: Rank | None


class CompareAnswer(Open):
    snapshot: str
    indicator: IndicatorRow
    region: RegionRow
    unit: UnitInfo = Field(description="The unit of the figures shown (a transform's, with units=)")
    units: str = Field(description="The transform the figures are in (units=; lin: as published)")
    measure: str
    periods: list[ComparedPeriod] = Field(
        description="One period (period=, default the latest with data), or over time (start, end, last_n) every "
        "period the over-time chart draws: from the first to the last with a figure of the region or an ancestor, "
        "a period none has kept (missing), the last last_n of them"
    )
    hint: Hint | None = None


class Ranked(Figure):
    rank: int | None
    of: int
    percentile: float | None = None
    parent: str | None = None
    parent_name: str | None = None


class RankingsAnswer(Open):
    snapshot: str
    indicator: IndicatorRow
    unit: UnitInfo
    period: str
    order: str
    parent: Figure
    level: str | None
    scope: str
    ranked: int = Field(description="Regions with a figure")
    of: int = Field(description="Regions ranked among")
    limit: int | None
    missing: list[str] = Field(description="Regions without a figure for the period")
    measure: str
    rankings: list[Ranked]
    hint: Hint | None = None


class JsonStat(Open):
    """A JSON-stat 2.0 dataset."""

    version: str = Field(examples=["2.0"])
    class_: str = Field(alias="class", examples=["dataset"])
    id: list[str]
    size: list[int]
    dimension: dict[str, Any]
    value: list[float | None] | dict[str, float | None]


class BulkFile(Open):
    name: str
    rows: int
    bytes: int
    sha256: str
    snapshot: str
    media_type: str
    schema_: list[Row] = Field(alias="schema", description="The columns: name, type, nullable, description")
    url: str


class BulkManifest(Open):
    snapshot: str
    committed_at: str
    datapackage: str
    files: list[BulkFile]
    iceberg: dict[str, Any] | None = Field(None, description="The same snapshot as Apache Iceberg tables")


class DataPackage(Open):
    """A Frictionless Data Package descriptor."""

    profile: str
    name: str
    title: str
    version: str
    created: str
    resources: list[Row]


class WriteAnswer(Open):
    snapshot: str | None = Field(description="The new snapshot (201), or the current one (200)")
    added: int
    unchanged: int
    revised: int
    catalog_rows: int | dict[str, int] | None = None
    files: Any = None
    sha256: str = Field(description="Of the body as sent")


class Health(Open):
    status: str = Field(description="ok, or degraded (the catalog database or the warehouse does not answer)")
    snapshot: str
    committed_at: str
    counts: dict[str, int]
    notices: list[str]


class SnapshotSummary(Open):
    snapshot: str
    committed_at: str
    author: str | None
    message: str | None
    counts: dict[str, int]
    changes: dict[str, int]
    files: int
    retained: bool


class SnapshotsList(Open):
    snapshots: list[SnapshotSummary]


class SnapshotManifest(Open):
    id: int
    snapshot: str
    committed_at: str
    author: str | None
    message: str | None
    files: list[Row]
    counts: dict[str, int]
    changes: dict[str, int]


class SdmxJson(Open):
    """An SDMX-JSON 1.0 data message."""

    header: dict[str, Any]
    dataSets: list[Row]
    structure: dict[str, Any]
