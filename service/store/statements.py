"""The one place SQL runs: statements are files in sql/, parameters are always bound ($name), never formatted."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import duckdb
import pyarrow as pa

from service.errors import BadParameter


@cache
def statement(name: str) -> str:
    return (files("service.store") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def names() -> list[str]:
    return sorted(
        p.name.removesuffix(".sql") for p in (files("service.store") / "sql").iterdir() if p.name.endswith(".sql")
    )


def run(cursor: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pa.Table:
    """Execute sql/<name>.sql with bound parameters and return an Arrow table."""
    try:
        return cursor.execute(statement(name), params).to_arrow_table()
    except duckdb.ConversionException as exc:  # a parameter that does not convert (e.g. an out-of-range date)
        raise BadParameter(f"a parameter could not be used: {exc}") from exc


def scalar(cursor: duckdb.DuckDBPyConnection, name: str, **params: Any) -> Any:
    row = cursor.execute(statement(name), params).fetchone()
    return None if row is None else row[0]
