"""Every refusal of a bad CSV (or Parquet) file says what is wrong in words about the file, with the row where there
is one, read whole or streamed; none carries Arrow's messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.errors import InvalidData
from service.ingest import csvfile, readers
from service.ingest.load import ingest, ingest_paths
from service.store.stores import lake_at
from tests.bad_files import ARROW_WORDS, BAD_FILES, HEADER, ROW
from tests.helpers import fingerprint


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_refused_in_words_about_the_file(name: str) -> None:
    bad = BAD_FILES[name]
    with pytest.raises(InvalidData) as caught:
        readers.read(name, bad.data)
    said = str(caught.value)
    assert not [w for w in ARROW_WORDS if w in said], said
    assert any(bad.words in p.detail and p.file == name for p in caught.value.problems), said
    if bad.row is not None:
        assert [p.row for p in caught.value.problems] == [bad.row], said


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "BLOCK", 1 << 16)  # rows over 64 KiB are too long


@pytest.mark.parametrize(
    ("rows", "words", "row"),
    [
        (ROW * 5000 + ROW[:-3] + b'"' + b"x" * 100_000 + b'",\n' + ROW, "row 5002 is longer than 64 KB", 5002),
        (ROW * 5000 + b'a,b,"c\n' + ROW * 5000, "a quoted field opens in row 5002 and is never closed", 5002),
        (ROW * 5000 + b'a,b,"c\n' + ROW * 10, "a quoted field opens in row 5002 and is never closed", 5002),
        (ROW * 5000 + ROW[:-2] + b'"c\n' + ROW * 10, "a quoted field opens in row 5002 and is never closed", 5002),
        (ROW * 3000 + b"a,b\n" + ROW * 4000 + b"c\n", "row 3002 has 2 fields; the header has 9", 3002),
    ],
    ids=[
        "long row",
        "unclosed quote, then a block",
        "unclosed quote near the end",
        "quote swallows the rest",
        "ragged",
    ],
)
def test_a_streamed_csv_is_refused_at_the_right_row(
    lake_dir: Path, tmp_path: Path, small_blocks: None, rows: bytes, words: str, row: int
) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(HEADER + rows)
    before = fingerprint(lake_dir)
    with pytest.raises(InvalidData) as caught:
        ingest_paths(lake_at(lake_dir), [path], stream_rows=0)
    said = str(caught.value)
    assert not [w for w in ARROW_WORDS if w in said], said
    assert caught.value.problems[0].row == row and words in caught.value.problems[0].detail, said
    assert fingerprint(lake_dir) == before


@pytest.mark.parametrize(
    ("name", "body", "column"),
    [
        ("regions.csv", "code,name,level,parent\n,无码区,county,430400\n430499,新区,county,430498\n", "parent"),
        ("regions.csv", "name,level,parent\n新区,county,430400\n", "code"),
        (
            "indicators.csv",
            "code,name,unit,kind,frequency,rank_of\n,无码,percent,growth,Q,\nx.rank,名次,rank,rank,Q,x.missing\n",
            "rank_of",
        ),
    ],
    ids=["a region row without a code", "no code column", "an indicator row without a code"],
)
def test_a_catalog_row_without_a_code_is_a_problem_not_a_crash(
    lake_dir: Path, name: str, body: str, column: str
) -> None:
    """A blank or absent code is reported, and the references of the other rows are still checked (the fuzzer found
    a 500 here: the codes of the file, blank ones among them, were sorted with the lake's)."""
    before = fingerprint(lake_dir)
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [(name, body.encode())], kind=name.removesuffix(".csv"))
    columns = {p.column for p in caught.value.problems}
    assert "code" in columns and column in columns, str(caught.value)
    assert fingerprint(lake_dir) == before
