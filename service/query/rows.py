"""Rows made in Python (a league table's, a comparison's) kept as they are until a format needs Arrow."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import pyarrow as pa


class Rows(NamedTuple):
    """Rows as Python objects, each row's keys in the schema's order: JSON writes them as they are (no round trip
    through Arrow); ``table()`` makes the Arrow table CSV, Parquet, Arrow, JSON-stat and Excel write."""

    rows: list[dict[str, Any]]
    schema: pa.Schema

    @classmethod
    def ordered(cls, rows: Iterable[dict[str, Any]], schema: pa.Schema) -> Rows:
        """Rows with each row's keys put in the schema's order (JSON's key order), those it lacks left out."""
        return cls([{name: row[name] for name in schema.names} for row in rows], schema)

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=self.schema)
