"""Parquet uploads of every column type, to a live server with a real client: a type that converts without guessing
is accepted, any other is a 422 problem document naming the column and the type in plain words, and nothing is
ever a 5xx. Each of the six columns that matter gets every variant."""

from __future__ import annotations

import decimal
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.generate import county_codes
from service.store.stores import lake_at
from tests.helpers import seeded_copy
from tests.live import live_server

VA = "industry.value_added.growth"
GOOD: dict[str, object] = {
    "indicator": VA,
    "region": "110101",
    "period": "2022-Q3",
    "value": 7.1,
    "status": "A",
    "published": date(2022, 10, 31),
}
COLUMNS = list(GOOD)
TEXT = ["indicator", "region", "period", "status"]
ACCEPT = "accept"
Build = Callable[[str], pa.Array]


def _text(column: str) -> str:
    value = GOOD[column]
    return value.isoformat() if isinstance(value, date) else str(value)


def _dictionary(column: str) -> pa.Array:
    return pa.array([GOOD[column]]).dictionary_encode()


def _whole(number: int, typ: pa.DataType) -> Build:
    return lambda column: pa.array([number], typ)


# variant: (build the one cell from the column's name, what each column expects: "accept" or words of the detail)
VARIANTS: dict[str, tuple[Build, dict[str, str]]] = {
    "struct": (lambda c: pa.array([{"x": 1.0}]), dict.fromkeys(COLUMNS, "is a record with fields x")),
    "list": (lambda c: pa.array([[1.0]]), dict.fromkeys(COLUMNS, "is a list of numbers")),
    "large_list": (
        lambda c: pa.array([[_text(c)]], pa.large_list(pa.string())),
        dict.fromkeys(COLUMNS, "is a list of texts"),
    ),
    "fixed_size_list": (
        lambda c: pa.array([[1, 2]], pa.list_(pa.int32(), 2)),
        dict.fromkeys(COLUMNS, "is a list of whole numbers"),
    ),
    "map": (
        lambda c: pa.array([[("k", 1.0)]], pa.map_(pa.string(), pa.float64())),
        dict.fromkeys(COLUMNS, "is a map from texts to numbers"),
    ),
    "nested_null": (lambda c: pa.array([[None]], pa.list_(pa.null())), dict.fromkeys(COLUMNS, "list of empty values")),
    "dictionary": (_dictionary, dict.fromkeys(COLUMNS, ACCEPT)),
    "binary_utf8": (lambda c: pa.array([_text(c).encode()], pa.binary()), dict.fromkeys(COLUMNS, ACCEPT)),
    "binary_not_utf8": (
        lambda c: pa.array([b"\xff\xfe"], pa.binary()),
        dict.fromkeys(COLUMNS, "is binary data, and this cell is not UTF-8 text"),
    ),
    "large_binary_not_utf8": (
        lambda c: pa.array([b"\xc3\x28"], pa.large_binary()),
        dict.fromkeys(COLUMNS, "is binary data, and this cell is not UTF-8 text"),
    ),
    "large_string": (lambda c: pa.array([_text(c)], pa.large_string()), dict.fromkeys(COLUMNS, ACCEPT)),
    "int64_2^62": (
        _whole(2**62, pa.int64()),
        {
            "value": "beyond ±2^53",
            "indicator": "unknown indicator",
            "region": "unknown region",
            "period": "4611686018427387904",
            "status": "is not one of",
            "published": "is a whole number; expected a date",
        },
    ),
    "int64_min": (
        _whole(-(2**63), pa.int64()),
        {
            "value": "beyond ±2^53",
            "indicator": "unknown indicator",
            "region": "unknown region",
            "period": "-9223372036854775808",
            "status": "is not one of",
            "published": "is a whole number; expected a date",
        },
    ),
    "uint64_max": (
        _whole(2**64 - 1, pa.uint64()),
        {
            "value": "beyond ±2^53",
            "indicator": "unknown indicator",
            "region": "unknown region",
            "period": "18446744073709551615",
            "status": "is not one of",
            "published": "is a whole number; expected a date",
        },
    ),
    "int32": (  # a region code or a year stored as a number is that code or year
        lambda c: pa.array([{"region": 110101, "period": 2022}.get(c, 7)], pa.int32()),
        {
            "value": ACCEPT,
            "region": ACCEPT,
            "period": ACCEPT,
            "indicator": "unknown indicator",
            "status": "is not one of",
            "published": "is a whole number; expected a date",
        },
    ),
    "float16": (
        lambda c: pa.array([1.5], pa.float16()),
        {
            "value": ACCEPT,
            "indicator": "unknown indicator",
            "region": "unknown region",
            "period": "1.5",
            "status": "is not one of",
            "published": "is a number; expected a date",
        },
    ),
    "float64_nan": (
        lambda c: pa.array([float("nan")]),
        {
            "value": "NaN and infinity",
            "indicator": "unknown indicator",
            "region": "unknown region",
            "period": "nan",
            "status": "is not one of",
            "published": "is a number; expected a date",
        },
    ),
    "decimal128_38_10": (
        lambda c: pa.array([decimal.Decimal("7.1")], pa.decimal128(38, 10)),
        {
            "value": ACCEPT,
            "indicator": "unknown indicator",
            "region": "unknown region",
            "period": "7.1000000000",
            "status": "is not one of",
            "published": "is a decimal number; expected a date",
        },
    ),
    "decimal256_76": (
        lambda c: pa.array([decimal.Decimal("9" * 76)], pa.decimal256(76, 0)),
        {
            "value": ACCEPT,  # 1e76 is a double; absurd, but not a type error
            "indicator": "unknown indicator",
            "region": "unknown region",
            "period": "9999",
            "status": "is not one of",
            "published": "is a decimal number; expected a date",
        },
    ),
    "bool": (lambda c: pa.array([True]), dict.fromkeys(COLUMNS, "is true/false")),
    "null": (
        lambda c: pa.nulls(1),
        {  # an empty value with an explicit status is allowed; an empty status means A
            "value": ACCEPT,
            "status": ACCEPT,
            "indicator": "empty value in a required column",
            "region": "empty value in a required column",
            "period": "empty value in a required column",
            "published": "empty value in a required column",
        },
    ),
    "date32": (
        lambda c: pa.array([date(2022, 10, 31)], pa.date32()),
        {**dict.fromkeys(COLUMNS, "is a date; expected"), "published": ACCEPT},
    ),
    "date64": (
        lambda c: pa.array([date(2022, 10, 31)], pa.date64()),
        {**dict.fromkeys(COLUMNS, "is a date; expected"), "published": ACCEPT},
    ),
    "timestamp_tz": (
        lambda c: pa.array([datetime(2022, 10, 31, 1, 0)], pa.timestamp("ms", tz="Asia/Shanghai")),
        {**dict.fromkeys(COLUMNS, "is a date and time; expected"), "published": ACCEPT},
    ),
    "time64": (
        lambda c: pa.array([time(1, 2)], pa.time64("us")),
        dict.fromkeys(COLUMNS, "is a time of day; expected"),
    ),
    "duration": (
        lambda c: pa.array([timedelta(days=1)], pa.duration("s")),
        dict.fromkeys(COLUMNS, "is a duration; expected"),
    ),
}
REGIONS = iter(county_codes(400)[1:])  # 110101 is GOOD's; every case gets a region of its own


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    lake = seeded_copy(tmp_path_factory.mktemp("types") / "lake")
    key = lake_at(lake).keys.create("types", "write")[1]
    with live_server(lake, YARDSTICK_RATE_LIMIT_PER_MINUTE="0") as live:
        yield live.base, key


def parquet(column: str, cell: pa.Array, region: str) -> bytes:
    row = {c: pa.array([v]) for c, v in GOOD.items()}
    row["region"] = pa.array([region])
    row[column] = cell
    buf = io.BytesIO()
    pq.write_table(pa.table(row), buf)
    return buf.getvalue()


@pytest.mark.parametrize("column", COLUMNS)
def test_every_type_in_every_column_is_accepted_or_refused_by_name(server: tuple[str, str], column: str) -> None:
    base, key = server
    headers = {"authorization": f"Bearer {key}", "content-type": "application/vnd.apache.parquet"}
    assert len(VARIANTS) >= 20
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for variant, (build, expected) in VARIANTS.items():
            r = client.post("/v1/observations", content=parquet(column, build(column), next(REGIONS)))
            case = (column, variant, r.status_code, r.text[:400])
            assert r.status_code < 500, case
            if expected[column] == ACCEPT:
                assert r.status_code in (200, 201), case
                assert r.json()["added"] + r.json()["unchanged"] == 1, case
                continue
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", case
            errors = r.json()["errors"]
            assert errors and all(e["column"] == column and e["file"] == "observations.parquet" for e in errors), case
            assert any(expected[column] in e["detail"] for e in errors), case
            if "; expected" in expected[column]:  # a type refusal says what the column should hold
                assert errors[0]["detail"].startswith(f"column '{column}' is "), case
