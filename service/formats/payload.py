"""What a /v1 handler hands to the encoders: rows as Arrow (or as Python objects, made Arrow when a format asks),
and the JSON document they sit in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from service.query.rows import Rows

Labels = dict[str, dict[str, dict[str, Any]]]  # dimension -> code -> the catalog entry (name, name_en, unit...)


def _no_labels() -> Labels:
    return {}


@dataclass
class Payload:
    data: pa.Table | Rows
    document: dict[str, Any] = field(default_factory=dict)
    rows_key: str | None = "data"  # where the rows go in the JSON document; None: the document is complete
    name: str = "data"  # of the file (Content-Disposition)
    metadata: dict[str, str] = field(default_factory=dict)  # Parquet and Arrow schema metadata
    labels: Callable[[], Labels] = _no_labels  # names and units of the codes the rows hold, looked up when asked

    @property
    def table(self) -> pa.Table:
        """The rows as Arrow (made once from Python rows, the first time a format asks)."""
        if isinstance(self.data, Rows):
            self.data = self.data.table()
        return self.data

    @property
    def records(self) -> list[dict[str, Any]] | None:
        """The rows as Python objects when they were made so (JSON writes them as they are), else None."""
        return self.data.rows if isinstance(self.data, Rows) else None
