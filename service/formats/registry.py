"""The format registry: each output format once (its name, media type, extension and encoders), and the one
negotiation every endpoint uses.

An :class:`Offer` is a set of formats answered together: every /v1 endpoint, the /v1 series endpoints, SDMX data,
SDMX structures, charts. ``format=`` (or a chart's extension) names one of its formats and wins over ``Accept``;
otherwise the most preferred ``Accept`` range that one of its formats claims decides; no ``Accept`` is the offer's
first format; anything else is a 406 problem. A range no format of the offer claims is never mapped to some format.
The registrations themselves are in service/formats/__init__.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pyarrow as pa

from service.errors import NotAcceptable, Problem, bad_parameter

D = TypeVar("D")

TableEncoder = Callable[[pa.Table, Mapping[str, str], bool], bytes]  # rows, schema metadata, bom -> the body
Streamer = Callable[[pa.RecordBatchReader, Mapping[str, str], bool], Iterator[bytes]]  # batch by batch
FileWriter = Callable[[pa.RecordBatchReader, Path, Mapping[str, str]], int]  # writes a file, returns its rows

TEXT: Mapping[str, Any] = {"type": "string"}  # OpenAPI schemas of a body
BINARY: Mapping[str, Any] = {"type": "string", "format": "binary"}


@dataclass(frozen=True)
class Format(Generic[D]):
    """One output format. ``D`` is what its document encoder renders: a Payload for /v1, an SDMX message, a chart.

    A format has a document encoder (it needs the whole document: answered a page at a time) or a table encoder (the
    rows alone); a streamer if it can export any number of rows batch by batch; a file writer if an export is built
    once into a file and served with HEAD and Range (service/api/bulk.py)."""

    name: str  # unique in the registry
    media_type: str  # with its parameters, as sent in Content-Type (SDMX: "...; version=2.1")
    extension: str  # of the file name in Content-Disposition
    title: str  # in descriptions: "CSV", "JSON-stat 2.0"
    document: Callable[[D], bytes] | None = None
    table: TableEncoder | None = None
    stream: Streamer | None = None
    file: FileWriter | None = None  # the export cache holds Parquet files (service/store/bulk.py)
    params: tuple[str, ...] = ()  # the values of format= that name it (default: its name), the first documented
    accepts: tuple[str, ...] = ()  # Accept ranges that choose it besides its own media type (aliases, wildcards)
    charset: str | None = None  # added to Content-Type (CSV: utf-8)
    schema: Mapping[str, Any] | None = None  # OpenAPI schema of the body (None: none stated)
    named: bool = True  # a response carries a file name (Content-Disposition): not for the default JSON
    disposition: str = "inline"  # of that file name: "attachment" for what a browser cannot show (xlsx)
    max_rows: int | None = None  # answers a whole selection in one body, up to this many rows (a sheet's)

    def __post_init__(self) -> None:
        if (self.document is None) == (self.table is None):
            raise ValueError(f"format {self.name}: give a document encoder or a table encoder, not both or neither")

    @property
    def names(self) -> tuple[str, ...]:
        return self.params or (self.name,)

    def render(self, doc: D) -> bytes:
        """The body of a document format (a table format's rows go through service.formats.encode)."""
        if self.document is None:
            raise TypeError(f"format {self.name} encodes tables, not documents")
        return self.document(doc)

    @property
    def essence(self) -> str:
        """The media type without parameters, lowercase: what an Accept range is compared with."""
        return self.media_type.split(";")[0].strip().lower()

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset={self.charset}" if self.charset else self.media_type

    @property
    def ranges(self) -> tuple[str, ...]:
        return (self.essence, *self.accepts)


class Offer(Generic[D]):
    """Formats answered together, in order (the first is the default). ``unknown`` and ``unacceptable`` are the
    texts of the 400 and 406 problems (``{format}``, ``{accept}`` and ``{types}`` filled in)."""

    def __init__(self, name: str, unknown: str, unacceptable: str) -> None:
        self.name = name
        self.unknown = unknown
        self.unacceptable = unacceptable
        self.formats: list[Format[D]] = []
        self._by_param: dict[str, Format[D]] = {}
        self._by_range: dict[str, Format[D]] = {}

    def add(self, fmt: Format[D]) -> None:
        """Add a format; a format= name or an Accept range that two formats of one offer claim is an error."""
        for table, keys in ((self._by_param, fmt.names), (self._by_range, fmt.ranges)):
            for key in keys:
                if key in table:
                    raise ValueError(f"{self.name}: {fmt.name} and {table[key].name} both claim {key!r}")
                table[key] = fmt
        self.formats.append(fmt)

    @property
    def default(self) -> Format[D]:
        return self.formats[0]

    @property
    def names(self) -> tuple[str, ...]:
        """The documented format= value of each format, in order."""
        return tuple(f.names[0] for f in self.formats)

    @property
    def params(self) -> list[str]:
        """Every value of format= it accepts, sorted."""
        return sorted(self._by_param)

    def by_param(self, value: str) -> Format[D] | None:
        return self._by_param.get(value.lower())

    def by_range(self, media_range: str) -> Format[D] | None:
        return self._by_range.get(media_range)


_REGISTRY: dict[str, Format[Any]] = {}


def register(fmt: Format[D], *offers: Offer[D]) -> Format[D]:
    """Register a format once, in the offers that answer it (in each after those registered before)."""
    if fmt.name in _REGISTRY:
        raise ValueError(f"format {fmt.name!r} is registered twice")
    _REGISTRY[fmt.name] = fmt
    for offer in offers:
        offer.add(fmt)
    return fmt


def by_name(name: str) -> Format[Any]:
    return _REGISTRY[name]


def registered() -> list[Format[Any]]:
    return list(_REGISTRY.values())


def negotiate(fmt: str | None, accept: str | None, offer: Offer[D]) -> Format[D]:
    """The format to answer with: ``format`` first, then the Accept header's most preferred range that the offer
    serves, the offer's default without Accept; 400 for an unknown format, 406 when nothing acceptable is served."""
    if fmt is not None:
        found = offer.by_param(fmt)
        if found is None:
            raise bad_parameter("format", offer.unknown.format(format=fmt), offer.params)
        return found
    if not accept:
        return offer.default
    for kind in preferred(accept):
        chosen = offer.by_range(kind)
        if chosen is not None:
            return chosen
    types = [f.media_type for f in offer.formats]
    raise NotAcceptable(
        offer.unacceptable.format(accept=accept, types=", ".join(types)),
        [Problem("unsupported media type", parameter="Accept", allowed=types)],
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
    """Media ranges of an Accept header (parameters dropped, lowercase), most preferred first, q=0 dropped."""
    ranges = []
    for position, part in enumerate(accept.split(",")):
        kind, *params = (p.strip() for p in part.split(";"))
        q = _quality(params)
        if q > 0:
            ranges.append((-q, position, kind.lower()))
    return [kind for _, _, kind in sorted(ranges)]


def listing(words: Sequence[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return " or ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)
