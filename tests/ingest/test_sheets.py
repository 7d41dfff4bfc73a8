"""Workbooks (.xlsx, .xls) through `yardstick ingest` as a child process and through ingest(): long sheets with
Chinese column names, wide sheets (地区 × 指标, 指标 × 时期, 地区 × 时期) melted into rows with names resolved to
codes, null marks, every problem of a file in one answer (with its sheet, row and column), and the templates."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service.errors import InvalidData
from service.ingest import readers
from service.ingest.load import ingest
from service.store.stores import lake_at
from tests import sheets
from tests.helpers import csv_bytes, fingerprint, obs


def yardstick(lake: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", "--data-dir", str(lake), *args], capture_output=True, text=True, timeout=180
    )


def stored(lake_dir: Path, published: str) -> set[tuple[object, ...]]:
    """(indicator, region, period, value, status) of the lake's rows of one vintage."""
    lake = lake_at(lake_dir)
    rows = lake.read_table(lake.manifest(), "observations").to_pylist()
    day = date.fromisoformat(published)
    return {(r["indicator"], r["region"], r["period"], r["value"], r["status"]) for r in rows if r["published"] == day}


def test_a_long_sheet_with_chinese_columns_through_the_command_line(lake_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "一季度.xlsx"
    path.write_bytes(sheets.xlsx(sheets.LONG_ROWS, sheets.LONG_MERGES))
    r = yardstick(lake_dir, "ingest", str(path))
    assert r.returncode == 0, r.stderr
    assert '"added": 3' in r.stdout and '"sheet": "数据"' in r.stdout
    assert stored(lake_dir, "2025-04-18") == sheets.LONG_STORED


def test_an_xls_workbook_and_a_sheet_chosen_by_name(lake_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(sheets.xls(sheets.LONG_ROWS, sheets.LONG_MERGES, sheet="长表"))
    result = ingest(lake_at(lake_dir), [(path.name, path.read_bytes())], given={"sheet": "长表"})
    assert result.added == 3 and result.files[0]["encoding"] == "xls"
    assert stored(lake_dir, "2025-04-18") == sheets.LONG_STORED
    second = sheets.xlsx(sheets.LONG_ROWS, sheets.LONG_MERGES, sheet="长表", before="说明")
    with pytest.raises(InvalidData) as caught:  # the first sheet holds one note: not a table
        ingest(lake_at(lake_dir), [("two.xlsx", second)], dry_run=True)
    result = ingest(lake_at(lake_dir), [("two.xlsx", second)], dry_run=True, given={"sheet": "2"})
    assert result.unchanged == 3
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("two.xlsx", second)], given={"sheet": "数据"})
    assert "no sheet named '数据': the workbook has 说明, 长表" in str(caught.value)


def test_a_wide_sheet_of_regions_by_indicators_with_chinese_names(lake_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "县市区.xlsx"
    path.write_bytes(sheets.xlsx(sheets.WIDE_ROWS, sheets.WIDE_MERGES))
    r = yardstick(lake_dir, "ingest", str(path))
    assert r.returncode == 0, r.stderr
    # eight figures: twelve cells less four null marks (…, —, -, /); period from the title, vintage from the note
    assert {(i, g, v) for i, g, p, v, s in stored(lake_dir, "2023-07-25")} == sheets.WIDE_STORED
    assert {p for _, _, p, _, _ in stored(lake_dir, "2023-07-25")} == {"2023-Q2"}


def test_a_wide_sheet_of_indicators_by_periods_takes_region_and_year_from_its_title(
    lake_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "指标.xlsx"
    path.write_bytes(sheets.xlsx(sheets.BY_PERIOD_ROWS, sheets.BY_PERIOD_MERGES))
    r = yardstick(lake_dir, "ingest", "--published", "2023-10-30", str(path))
    assert r.returncode == 0, r.stderr
    rows = stored(lake_dir, "2023-10-30")
    assert {(i, p, v) for i, _, p, v, _ in rows} == sheets.BY_PERIOD_STORED
    assert {g for _, g, _, _, _ in rows} == {"430400"}


def test_a_wide_sheet_of_regions_by_periods_for_a_given_indicator(lake_dir: Path) -> None:
    data = sheets.xlsx(sheets.BY_REGION_PERIOD_ROWS)
    given = {"indicator": "工业投资增速", "published": "2023-07-20"}
    result = ingest(lake_at(lake_dir), [("periods.xlsx", data)], given=given)
    assert result.added == 4
    assert {(g, p, v) for _, g, p, v, _ in stored(lake_dir, "2023-07-20")} == {
        ("430400", "2023-Q1", 9.5),
        ("430400", "2023-Q2", 9.9),
        ("430424", "2023-Q1", 8.0),
        ("430424", "2023-Q2", 8.8),
    }


def test_every_problem_of_a_sheet_in_one_answer(lake_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(sheets.xlsx(sheets.BAD_ROWS))
    before = fingerprint(lake_dir)
    r = yardstick(lake_dir, "ingest", str(path))
    assert r.returncode == 2
    said = [line.strip() for line in r.stderr.splitlines()]
    for row, column, words in sheets.BAD_PROBLEMS:
        where = f"file bad.xlsx, sheet 数据, row {row}, column {column}: "
        assert any(line.startswith(where) and words in line for line in said), (row, column, r.stderr)
    assert f"{len(sheets.BAD_PROBLEMS)} problem(s), the first at file bad.xlsx, sheet 数据, row 2" in r.stderr
    assert fingerprint(lake_dir) == before


def test_an_unknown_name_in_a_wide_sheet_is_reported_once_at_its_cell(lake_dir: Path) -> None:
    rows = [list(r) for r in sheets.WIDE_ROWS]
    rows[6][0] = "耒杨市"  # for 耒阳市
    rows[2][3] = "技改投资增长"  # for 技改投资增速
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("wide.xlsx", sheets.xlsx(rows, sheets.WIDE_MERGES))])
    found = {(p.sheet, p.row, p.column, p.detail) for p in caught.value.problems}
    assert found == {
        ("数据", 7, "A", "unknown region '耒杨市' (did you mean 430481 耒阳市?)"),
        (
            "数据",
            3,
            "D",
            "unknown indicator '技改投资增长' (did you mean investment.tech_upgrade.growth 技改投资增速?)",
        ),
    }


def test_missing_columns_are_named_with_the_rows_problems(lake_dir: Path) -> None:
    header = ["indicator", "region", "period", "value"]
    data = csv_bytes([[sheets.VA, "430400", "2023-Q1", "x"], [sheets.VA, "430400", "2023-Q5", "1"]], header)
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("short.csv", data)])
    found = [(p.row, p.column, p.detail) for p in caught.value.problems]
    assert found[0] == (
        1,
        "published",
        "required column 'published' is missing (the header has indicator, region, period, value)",
    )
    assert (2, "value", "'x' is not a number") in found
    assert any(row == 3 and column == "period" and "2023-Q5" in detail for row, column, detail in found)


def test_the_total_is_told_beyond_the_problems_listed(lake_dir: Path) -> None:
    rows = [obs(sheets.VA, "430400", f"{1000 + i}-Q1", "bad") for i in range(1500)]
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("many.csv", csv_bytes(rows))])
    assert len(caught.value.problems) == 1000 and caught.value.extra["total"] == 1500
    assert caught.value.detail.startswith("1500 problem(s) (1000 listed), the first at file many.csv, row 2")


def test_null_marks_in_a_long_file_are_empty_values(lake_dir: Path) -> None:
    rows = [obs(sheets.VA, "430400", f"2023-Q{q}", mark, "2023-10-30", "P") for q, mark in enumerate("—…-/", 1)]
    ingest(lake_at(lake_dir), [("nulls.csv", csv_bytes(rows))])
    assert {(p, v) for _, _, p, v, _ in stored(lake_dir, "2023-10-30")} == {(f"2023-Q{q}", None) for q in range(1, 5)}
    with pytest.raises(InvalidData) as caught:  # a null mark without a status, like an empty cell
        ingest(lake_at(lake_dir), [("n.csv", csv_bytes([obs(sheets.VA, "430400", "2024-Q1", "—")]))])
    assert [p.detail for p in caught.value.problems] == ["an empty value needs an explicit status"]


@pytest.mark.parametrize("kind", ["regions", "indicators", "observations"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_template_ingests_cleanly(lake_dir: Path, tmp_path: Path, kind: str, fmt: str) -> None:
    path = tmp_path / f"{kind}.{fmt}"
    made = yardstick(lake_dir, "template", kind, "-o", str(path))
    assert made.returncode == 0 and path.stat().st_size > 50, made.stderr
    done = yardstick(lake_dir, "ingest", str(path))
    assert done.returncode == 0, done.stderr
    counts = '"added": 3' if kind == "observations" else f'"{kind}": 1'
    assert counts in done.stdout and '"snapshot": "000002"' in done.stdout
    again = yardstick(lake_dir, "ingest", str(path))  # the same rows again: nothing changes
    assert again.returncode == 0 and '"committed": false' in again.stdout, again.stdout


def test_damaged_workbooks_are_refused_and_never_end_the_process() -> None:
    """Bytes flipped at random in real workbooks: each is read or refused in words. Among these (seed 7) is an .xls
    that makes the parser abort the whole process asking for 197 GB: it is parsed in a child process, so only the
    child ends."""
    rnd = random.Random(7)
    bases = {"x.xls": sheets.xls(sheets.LONG_ROWS, sheets.LONG_MERGES), "x.xlsx": sheets.xlsx(sheets.WIDE_ROWS)}
    outcomes: dict[str, int] = {}
    for n in range(190):
        name = "x.xls" if n < 170 else "x.xlsx"
        damaged = bytearray(bases[name])
        for _ in range(rnd.randint(1, 20)):
            at = rnd.randrange(len(damaged))
            damaged[at] = rnd.randrange(256)
        try:
            readers.read(name, bytes(damaged), "observations")
            outcomes["read"] = outcomes.get("read", 0) + 1
        except InvalidData as exc:
            assert all(p.file == name for p in exc.problems), exc
            outcomes["refused"] = outcomes.get("refused", 0) + 1
    assert outcomes["refused"] > 20 and sum(outcomes.values()) == 190


def test_values_given_for_every_row_of_a_long_file(lake_dir: Path) -> None:
    header = ["indicator", "region", "period", "value"]
    data = csv_bytes([[sheets.VA, "衡阳市", "2024-Q1", "5.5"], [sheets.INV, "衡阳市", "2024-Q1", "6"]], header)
    result = ingest(lake_at(lake_dir), [("no-vintage.csv", data)], given={"published": "2024-04-19"})
    assert result.added == 2 and stored(lake_dir, "2024-04-19") == {
        (sheets.VA, "430400", "2024-Q1", 5.5, "A"),
        (sheets.INV, "430400", "2024-Q1", 6.0, "A"),
    }
    with pytest.raises(InvalidData) as caught:  # given as well as written: which one is meant?
        ingest(lake_at(lake_dir), [("both.csv", data)], given={"region": "430400"})
    assert next((p.parameter, p.detail) for p in caught.value.problems) == (
        "region",
        "region='430400' is given, and the file has a region column: give one or the other",
    )


def test_a_csv_template_on_standard_output() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "service", "template", "observations"], capture_output=True, timeout=120, check=True
    )
    lines = r.stdout.decode("utf-8-sig").splitlines()
    assert lines[0] == "indicator,region,period,value,status,published,source,quote,note" and len(lines) == 4


def test_a_sheet_whose_figures_are_text_is_refused_not_read_as_nothing(lake_dir: Path) -> None:
    rows: list[list[sheets.Cell]] = [["地区", "规上工业增加值增速"], ["衡阳市", "6.8%"], ["衡阳县", "7.1%"]]
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("percent.xlsx", sheets.xlsx(rows))], given={"period": "2023-Q2"})
    assert any(p.row == 1 and "no column of figures" in p.detail for p in caught.value.problems), caught.value


def test_merged_cells_a_two_row_header_and_an_indicator_named_once_for_two_rows(lake_dir: Path) -> None:
    wide: list[list[sheets.Cell]] = [
        [None, "规上工业增加值", "工业投资"],
        [None, "增速（%）", "增速（%）"],
        ["衡阳市", 6.8, 10.2],
        ["衡阳县", 7.1, 9.9],
    ]
    merges: tuple[sheets.Merge, ...] = ((0, 0, 1, 0, "地区"),)  # 地区 spans the header's two rows
    given = {"period": "2023年1-6月", "published": "2023-07-21"}
    assert ingest(lake_at(lake_dir), [("two.xlsx", sheets.xlsx(wide, merges))], given=given).added == 4
    assert {(i, g, v) for i, g, _, v, _ in stored(lake_dir, "2023-07-21")} == {
        (sheets.VA, "430400", 6.8),
        (sheets.INV, "430400", 10.2),
        (sheets.VA, "430421", 7.1),
        (sheets.INV, "430421", 9.9),
    }
    long: list[list[sheets.Cell]] = [
        ["指标", "地区", "时期", "数值", "发布日期"],
        [None, "衡阳市", "2023-Q3", 7.0, "2023-10-21"],
        [None, "衡阳县", "2023-Q3", 7.4, "2023-10-21"],
    ]
    merged: tuple[sheets.Merge, ...] = ((1, 0, 2, 0, "规上工业增加值增速"),)
    assert ingest(lake_at(lake_dir), [("long.xlsx", sheets.xlsx(long, merged))]).added == 2
    assert {(i, g) for i, g, _, _, _ in stored(lake_dir, "2023-10-21")} == {
        (sheets.VA, "430400"),
        (sheets.VA, "430421"),
    }


def test_a_typed_parquet_file_with_an_unknown_column_reports_it_with_its_rows(lake_dir: Path) -> None:
    table = pa.table(
        {
            "indicator": [sheets.VA, sheets.VA],
            "region": ["430400", "衡杨市"],
            "period": ["2024-Q1", "2024-Q1"],
            "value": pa.array([1.5, 2.5], pa.float64()),
            "published": pa.array([date(2024, 4, 19)] * 2, pa.date32()),
            "colour": ["red", "blue"],
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    with pytest.raises(InvalidData) as caught:
        ingest(lake_at(lake_dir), [("typed.parquet", buf.getvalue())])
    assert [(p.row, p.column) for p in caught.value.problems] == [(1, "colour"), (2, "region")]
    assert caught.value.problems[1].detail == "unknown region '衡杨市' (did you mean 430400 衡阳市?)"
