"""Columns of any Arrow type (Parquet keeps its types) → what validation reads: text, numbers or dates.

A type that converts without guessing is converted: whole numbers, decimals and half floats into numbers; numbers
into text for code and label columns (a region code stored as 430400); dates and timestamps into dates (a timestamp
with a time zone gives its local date); dictionaries into their values; binary into text when it is UTF-8. Any other
type is refused in plain words, naming the column and the type: "column 'value' is a list of numbers; expected a
number". Whole numbers beyond ±2^53 (where doubles stop being exact; -2^63 is a common missing-value marker) are
refused row by row.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from service.errors import Problem
from service.ingest.readers import RawTable
from service.model.schema import TABLES

MAX_EXACT = 2**53
EXPECTED = {"text": "text", "number": "a number", "date": "a date"}
TARGET = {"text": pa.string(), "number": pa.float64(), "date": pa.date32()}


def coerce(raw: RawTable) -> tuple[RawTable, list[Problem]]:
    """The table with every column as validation reads it (text, float64, date32), or the problems that prevent it."""
    table = raw.table
    if all(pa.types.is_string(t) for t in table.schema.types):
        return raw, []  # CSV and JSON Lines: text throughout
    problems: list[Problem] = []
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        converted, found = _column(raw, name, column, _role(raw.kind, name))
        columns.append(converted)
        problems.extend(found)
    if problems:
        return raw, problems
    return replace(raw, table=pa.table(columns, names=table.column_names)), []


def _role(kind: str, column: str) -> str:
    schema = TABLES[kind]
    typ = schema.field(column).type if column in schema.names else pa.string()
    return "number" if pa.types.is_floating(typ) else "date" if pa.types.is_date(typ) else "text"


def _column(raw: RawTable, name: str, column: pa.ChunkedArray, role: str) -> tuple[pa.Array, list[Problem]]:
    typ = column.type
    if pa.types.is_dictionary(typ):
        column, typ = column.cast(typ.value_type), typ.value_type
    values = column.combine_chunks()
    if pa.types.is_null(typ):
        return pa.nulls(len(values), TARGET[role]), []
    if _is_text(typ):
        return values.cast(pa.string()), []
    if _is_binary(typ):
        return _utf8(raw, name, values, role)
    if role == "number" and _is_numeric(typ):
        return _number(raw, name, values)
    if role == "text" and _is_numeric(typ):
        return values.cast(pa.string()), []
    if role == "date" and (pa.types.is_date(typ) or pa.types.is_timestamp(typ)):
        return values.cast(pa.date32()), []
    problem = Problem(f"column '{name}' is {describe(typ)}; expected {EXPECTED[role]}", file=raw.name, column=name)
    return pa.nulls(len(values), TARGET[role]), [problem]


def _is_numeric(typ: pa.DataType) -> bool:
    return bool(pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ))


def _is_text(typ: pa.DataType) -> bool:
    return bool(pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ))


def _is_binary(typ: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(typ)
        or pa.types.is_large_binary(typ)
        or pa.types.is_fixed_size_binary(typ)
        or pa.types.is_binary_view(typ)
    )


def _utf8(raw: RawTable, name: str, values: pa.Array, role: str) -> tuple[pa.Array, list[Problem]]:
    """Binary cells as text; those that are not UTF-8 are refused, row by row (decoded once per distinct value)."""
    enc = pc.dictionary_encode(values.cast(pa.large_binary()))
    texts: list[str | None] = []
    for value in enc.dictionary.to_pylist():
        try:
            texts.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(None)
    bad_codes = np.array([t is None for t in texts], dtype=bool)
    indices = np.asarray(enc.indices.fill_null(-1))
    bad = (indices >= 0) & bad_codes[np.maximum(indices, 0)] if len(texts) else np.zeros(len(values), dtype=bool)
    problems = [
        Problem(
            f"column '{name}' is binary data, and this cell is not UTF-8 text; expected {EXPECTED[role]}",
            file=raw.name,
            row=raw.first_row + int(i),
            column=name,
        )
        for i in np.flatnonzero(bad)[:1000]
    ]
    return pa.array(texts, pa.string()).take(enc.indices), problems


def _number(raw: RawTable, name: str, values: pa.Array) -> tuple[pa.Array, list[Problem]]:
    typ = values.type
    if pa.types.is_decimal(typ):  # through its text, so that 7.1 stays 7.1 (not 7.1000000000000005)
        return values.cast(pa.string()).cast(pa.float64()), []
    if not (pa.types.is_int64(typ) or pa.types.is_uint64(typ)):
        return values.cast(pa.float64()), []
    over = pc.greater(values, pa.scalar(MAX_EXACT, typ))
    if pa.types.is_int64(typ):
        over = pc.or_(over, pc.less(values, pa.scalar(-MAX_EXACT, typ)))
    rows = np.flatnonzero(np.asarray(over.fill_null(False)))
    problems = [
        Problem(
            f"{values[int(i)].as_py()} is beyond ±2^53, where numbers stop being exact "
            "(a missing-value marker? leave the cell empty)",
            file=raw.name,
            row=raw.first_row + int(i),
            column=name,
        )
        for i in rows[:1000]
    ]
    return values.cast(pa.float64(), safe=False), problems


def describe(typ: pa.DataType, plural: bool = False) -> str:
    """An Arrow type in plain words: "a list of numbers", "a record with fields x, y", "a date and time"."""
    if pa.types.is_dictionary(typ):
        return describe(typ.value_type, plural)
    if _is_list(typ):
        return f"{'lists' if plural else 'a list'} of {describe(typ.value_type, True)}"
    if pa.types.is_struct(typ):
        fields = ", ".join(typ.field(i).name for i in range(typ.num_fields))
        return f"{'records' if plural else 'a record'} with fields {fields}"
    if pa.types.is_map(typ):
        return f"{'maps' if plural else 'a map'} from {describe(typ.key_type, True)} to {describe(typ.item_type, True)}"
    for test, one, many in _WORDS:
        if test(typ):
            return many if plural else one
    return f"of type {typ}"


def _is_list(typ: pa.DataType) -> bool:
    return bool(
        pa.types.is_list(typ)
        or pa.types.is_large_list(typ)
        or pa.types.is_fixed_size_list(typ)
        or pa.types.is_list_view(typ)
        or pa.types.is_large_list_view(typ)
    )


_WORDS = (
    (pa.types.is_boolean, "true/false", "true/false values"),
    (pa.types.is_integer, "a whole number", "whole numbers"),
    (pa.types.is_floating, "a number", "numbers"),
    (pa.types.is_decimal, "a decimal number", "decimal numbers"),
    (_is_text, "text", "texts"),
    (_is_binary, "binary data", "binary values"),
    (pa.types.is_date, "a date", "dates"),
    (pa.types.is_timestamp, "a date and time", "dates and times"),
    (pa.types.is_time, "a time of day", "times of day"),
    (pa.types.is_duration, "a duration", "durations"),
    (pa.types.is_interval, "a calendar interval", "calendar intervals"),
    (pa.types.is_null, "empty", "empty values"),
    (pa.types.is_union, "a union of types", "unions of types"),
)
