"""Catalog entries as small frozen dataclasses: regions (a generic hierarchy), indicators, sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from service.model.period import Accumulation, Frequency
from service.model.schema import RATE_KINDS


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    name_en: str | None
    level: str
    parent: str | None


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    name_en: str | None
    unit: str
    kind: str
    frequency: Frequency
    accumulation: Accumulation
    rank_of: str | None
    rank_among: str | None
    basis: str | None
    description: str | None
    topic: str | None
    licence: str | None

    @property
    def is_rate(self) -> bool:
        """Rates compare in percentage points; levels by ratio and share."""
        return self.kind in RATE_KINDS or self.unit == "percent"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str | None
    author: str | None
    published: date | None
    url: str | None
    note: str | None


def as_dict(obj: Any) -> dict[str, Any]:
    """A catalog entry's fields as a dict, in order. Their fields are flat values, so a shallow copy is the same as
    ``dataclasses.asdict``, which deep-copies each one (a tenth of a series answer's time)."""
    return dict(obj.__dict__)
