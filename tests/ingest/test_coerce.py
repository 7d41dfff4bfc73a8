"""Parquet column types: what converts is stored as the user meant it (7.1 stays 7.1, a Shanghai timestamp keeps its
local date, a numeric region code is the code), what does not is refused by column and type, and cells that cannot
be converted are located by row, in memory and streamed alike."""

from __future__ import annotations

import decimal
import io
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service.errors import InvalidData
from service.ingest.coerce import describe
from service.ingest.load import ingest, ingest_paths
from service.store.lake import Lake
from service.store.stores import lake_at
from tests.helpers import fingerprint

VA = "industry.value_added.growth"


def parquet(**columns: pa.Array) -> bytes:
    n = len(next(iter(columns.values())))
    table = {
        "indicator": pa.array([VA] * n),
        "region": pa.array(["110101", "110102", "110105"][:n]),
        "period": pa.array(["2022-Q3"] * n),
        "value": pa.array([7.1] * n),
        "published": pa.array([date(2022, 10, 31)] * n),
        **columns,
    }
    buf = io.BytesIO()
    pq.write_table(pa.table(table), buf)
    return buf.getvalue()


def stored(lake: Lake) -> list[dict[str, object]]:
    rows = lake.read_table(lake.manifest(), "observations").to_pylist()
    return sorted((r for r in rows if r["region"].startswith("1101")), key=lambda r: r["region"])


def test_convertible_types_are_stored_as_meant(lake_dir: Path) -> None:
    lake = lake_at(lake_dir)
    body = parquet(
        region=pa.array([110101, 110102], pa.int64()),
        value=pa.array([decimal.Decimal("7.1"), decimal.Decimal("-0.3")], pa.decimal128(38, 10)),
        published=pa.array([datetime(2022, 10, 31, 1, 0)] * 2, pa.timestamp("ms", tz="Asia/Shanghai")),
        quote=pa.array(["衡阳".encode(), None], pa.binary()),
        status=pa.array(["A", "P"]).dictionary_encode(),
    )
    assert ingest(lake, [("typed.parquet", body)]).added == 2
    rows = stored(lake)
    assert [(r["region"], r["value"], r["status"], r["quote"]) for r in rows] == [
        ("110101", 7.1, "A", "衡阳"),
        ("110102", -0.3, "P", None),
    ]
    assert {r["published"] for r in rows} == {date(2022, 10, 31)}  # 01:00 in Shanghai is still the 31st there


@pytest.mark.parametrize("stream_rows", [1 << 40, 0])  # in memory, and streamed
def test_cells_that_cannot_convert_are_located(lake_dir: Path, tmp_path: Path, stream_rows: int) -> None:
    path = tmp_path / "cells.parquet"
    path.write_bytes(
        parquet(
            value=pa.array([1, 2**62, -(2**63)], pa.int64()),
            quote=pa.array([b"ok", b"ok", b"\xff\xfe"], pa.binary()),
        )
    )
    before = fingerprint(lake_dir)
    with pytest.raises(InvalidData) as caught:
        ingest_paths(lake_at(lake_dir), [path], stream_rows=stream_rows)
    found = [(p.row, p.column, p.detail) for p in caught.value.problems]
    assert found == [
        (2, "value", "4611686018427387904 is beyond ±2^53, where numbers stop being exact "
         "(a missing-value marker? leave the cell empty)"),
        (3, "value", "-9223372036854775808 is beyond ±2^53, where numbers stop being exact "
         "(a missing-value marker? leave the cell empty)"),
        (3, "quote", "column 'quote' is binary data, and this cell is not UTF-8 text; expected text"),
    ]  # fmt: skip
    assert fingerprint(lake_dir) == before


@pytest.mark.parametrize("stream_rows", [1 << 40, 0])
def test_a_nested_column_is_refused_by_name_and_type(lake_dir: Path, tmp_path: Path, stream_rows: int) -> None:
    path = tmp_path / "nested.parquet"
    path.write_bytes(parquet(value=pa.array([[1.0], [2.0, 3.0]]), period=pa.array([{"y": 2022}, {"y": 2023}])))
    with pytest.raises(InvalidData) as caught:
        ingest_paths(lake_at(lake_dir), [path], stream_rows=stream_rows)
    assert [(p.file, p.column, p.detail) for p in caught.value.problems] == [
        ("nested.parquet", "period", "column 'period' is a record with fields y; expected text"),
        ("nested.parquet", "value", "column 'value' is a list of numbers; expected a number"),
    ]


@pytest.mark.parametrize(
    ("typ", "words"),
    [
        (pa.list_(pa.float64()), "a list of numbers"),
        (pa.large_list(pa.string()), "a list of texts"),
        (pa.map_(pa.string(), pa.list_(pa.int8())), "a map from texts to lists of whole numbers"),
        (pa.struct([("a", pa.int8()), ("b", pa.date32())]), "a record with fields a, b"),
        (pa.dictionary(pa.int32(), pa.bool_()), "true/false"),
        (pa.timestamp("s", tz="UTC"), "a date and time"),
        (pa.month_day_nano_interval(), "a calendar interval"),
    ],
)
def test_types_in_plain_words(typ: pa.DataType, words: str) -> None:
    assert describe(typ) == words
