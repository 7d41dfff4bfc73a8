"""Large Parquet and CSV files are ingested batch by batch (validated per batch, spilled per indicator, merged
indicator by indicator): the result must be exactly what the in-memory path gives, problems located by the file's own
row numbers across batches, and nothing stored when anything is wrong. Whether a file is streamed depends on its rows
and decoded size (the Parquet footer, CSV line breaks), not its size on disk; uploads take the same path; and peak
memory stays under 2 GiB for ten million rows however well the file compresses."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from asgi_lifespan import LifespanManager

from bench.generate import write_inputs
from service.api import create_app
from service.config import Settings
from service.errors import InvalidData
from service.ingest import csvfile, load, readers
from service.ingest.load import ingest_paths
from service.store.lake import Lake
from service.store.stores import lake_at
from tests.helpers import fingerprint, seeded_copy

ORDER = [(k, "ascending") for k in ("indicator", "region", "period", "published")]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "STREAM_BATCH", 700)  # a few thousand rows become several batches


def observations(lake: Lake) -> pa.Table:
    return lake.read_table(lake.manifest(), "observations").drop_columns(["recorded_at"]).sort_by(ORDER)


def test_streaming_gives_what_the_in_memory_path_gives(small_batches: None, tmp_path: Path) -> None:
    files = write_inputs(tmp_path / "in", indicators=4, regions=30, months=40)  # 4,800 rows
    revision = tmp_path / "rev.parquet"
    table = pq.read_table(files[1]).slice(100, 1500)
    table = table.set_column(table.schema.get_field_index("value"), "value", pc_plus_one(table.column("value")))
    table = table.set_column(
        table.schema.get_field_index("published"), "published", pa.array([None] * table.num_rows, pa.date32())
    ).drop_columns(["published"])
    pq.write_table(table.append_column("published", pa.array(["2024-06-01"] * table.num_rows)), revision)
    results = {}
    for name, stream_bytes in (("memory", 1 << 40), ("stream", 0)):
        lake = lake_at(seeded_copy(tmp_path / name))
        first = ingest_paths(lake, files, stream_bytes=stream_bytes)
        second = ingest_paths(lake, [revision, files[1]], stream_bytes=stream_bytes)  # a revision and a repeat
        results[name] = (first, second, observations(lake))
    (m1, m2, mrows), (s1, s2, srows) = results["memory"], results["stream"]
    assert (s1.added, s1.unchanged, s1.revised) == (m1.added, m1.unchanged, m1.revised) == (4800, 0, 0)
    assert (s2.added, s2.unchanged, s2.revised) == (m2.added, m2.unchanged, m2.revised) == (0, 4800, 1500)
    assert srows.equals(mrows) and srows.num_rows == 55 + 4800 + 1500


def pc_plus_one(column: pa.ChunkedArray) -> pa.ChunkedArray:
    import pyarrow.compute as pc

    return pc.add(column, 1.0)


def test_a_bad_row_in_a_later_batch_is_located_and_nothing_is_stored(small_batches: None, tmp_path: Path) -> None:
    files = write_inputs(tmp_path / "in", indicators=2, regions=30, months=40)  # 2,400 rows: 4 batches
    table = pq.read_table(files[1])
    regions = table.column("region").to_pylist()
    regions[2000] = "999999"  # file row 2,001, in the third batch
    pq.write_table(table.set_column(1, "region", pa.array(regions)), files[1])
    lake = lake_at(seeded_copy(tmp_path / "lake"))
    ingest_paths(lake, files[:1])  # the indicators first
    before = fingerprint(lake.root)
    with pytest.raises(InvalidData) as caught:
        ingest_paths(lake, files[1:], stream_bytes=0)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2001, "region")]
    assert "unknown region '999999'" in caught.value.problems[0].detail
    assert fingerprint(lake.root) == before  # nothing stored, no spill left behind


def test_a_key_repeated_across_batches_is_refused(small_batches: None, tmp_path: Path) -> None:
    files = write_inputs(tmp_path / "in", indicators=1, regions=30, months=40)  # 1,200 rows: 2 batches
    table = pq.read_table(files[1])
    pq.write_table(pa.concat_tables([table, table.slice(5, 1)]), files[1])  # row 6 again as row 1,201
    lake = lake_at(seeded_copy(tmp_path / "lake"))
    ingest_paths(lake, files[:1])
    with pytest.raises(InvalidData) as caught:
        ingest_paths(lake, files[1:], stream_bytes=0)
    assert sorted(p.row for p in caught.value.problems) == [6, 1201]
    assert {p.detail for p in caught.value.problems} == {"duplicate key within the file"}
    assert lake.manifest().counts["observations"] == 55


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "BLOCK", 1 << 14)  # CSV parsed 16 KiB at a time: many blocks per batch


def test_a_file_is_streamed_by_its_rows_and_decoded_size_not_its_size_on_disk(tmp_path: Path) -> None:
    files = write_inputs(tmp_path / "in", indicators=2, regions=320, months=312)  # 199,680 rows
    size = files[1].stat().st_size
    measured = readers.measure(files[1])
    assert measured is not None and measured.rows == 199_680 and measured.kind == "observations"
    assert size < 1 << 20  # 200,000 rows in under 1 MB on disk
    assert size < measured.uncompressed
    for name, rows, decoded, streamed in (
        ("by-rows", 100_000, 1 << 40, True),  # more rows than the bound: streamed, however small the file
        ("by-decoded-size", 1 << 40, (size + measured.uncompressed) // 2, True),  # the footer's size, not the disk's
        ("in-memory", 1 << 40, 1 << 40, False),
    ):
        lake = lake_at(seeded_copy(tmp_path / name))
        result = ingest_paths(lake, files, stream_rows=rows, stream_bytes=decoded)
        entry = next(f for f in result.files if f["kind"] == "observations")
        assert (entry["streamed"], entry["rows"], result.added) == (streamed, 199_680, 199_680), name
        assert lake.manifest().counts["observations"] == 55 + 199_680


def gbk_copy(source: Path, target: Path) -> Path:
    """The CSV again in GB18030 with Chinese text in the quote column (and one quoted line break)."""
    with open(source, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0] + ["quote"]
    body = [[*r, f"衡阳{i}" if i != 7 else "多行\n引文"] for i, r in enumerate(rows[1:])]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *body])
    target.write_bytes(buf.getvalue().encode("gb18030"))
    return target


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_streamed_csv_gives_what_the_in_memory_path_gives(
    small_batches: None, small_blocks: None, tmp_path: Path, encoding: str
) -> None:
    files = write_inputs(tmp_path / "in", indicators=3, regions=30, months=40, fmt="csv")  # 3,600 rows
    if encoding == "gb18030":
        files[1] = gbk_copy(files[1], tmp_path / "in" / "gbk.csv")
    results = {}
    for name, stream_rows in (("memory", 1 << 40), ("stream", 0)):
        lake = lake_at(seeded_copy(tmp_path / name))
        result = ingest_paths(lake, files, stream_rows=stream_rows)
        results[name] = (result.files[1], result.added, observations(lake))
    (mfile, madded, mrows), (sfile, sadded, srows) = results["memory"], results["stream"]
    assert (mfile["streamed"], sfile["streamed"]) == (False, True)
    assert mfile["encoding"] == sfile["encoding"] == ("utf-8-sig" if encoding == "utf-8" else "gb18030")
    assert madded == sadded == 3600 and srows.equals(mrows)
    if encoding == "gb18030":
        quotes = set(srows.column("quote").to_pylist())
        assert {"衡阳0", "衡阳3599", "多行\n引文"} <= quotes


def test_problems_in_a_streamed_csv_keep_the_files_row_numbers(
    small_batches: None, small_blocks: None, tmp_path: Path
) -> None:
    files = write_inputs(tmp_path / "in", indicators=2, regions=30, months=40, fmt="csv")  # 2,400 rows
    lines = files[1].read_bytes().splitlines(keepends=True)
    lines[2001] = lines[2001].replace(b",A,", b",Z,")  # the file's row 2,002 (the header is row 1)
    kept, lines[2300] = lines[2300], b"synthetic.i001,110101\n"  # row 2,301: two fields
    files[1].write_bytes(b"".join(lines))
    lake = lake_at(seeded_copy(tmp_path / "lake"))
    ingest_paths(lake, files[:1])
    before = fingerprint(lake.root)
    with pytest.raises(InvalidData) as ragged:
        ingest_paths(lake, files[1:], stream_rows=0)
    assert [(p.row, p.detail) for p in ragged.value.problems] == [
        (2301, "row 2301 has 2 fields; the header has 7 (a missing or extra comma, or an unclosed quote?)")
    ]
    lines[2300] = kept
    files[1].write_bytes(b"".join(lines))
    with pytest.raises(InvalidData) as status:
        ingest_paths(lake, files[1:], stream_rows=0)
    assert [(p.row, p.column) for p in status.value.problems] == [(2002, "status")]
    assert fingerprint(lake.root) == before


@pytest.fixture
async def upload_api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str, Path]]:
    root = seeded_copy(tmp_path / "lake")
    key = lake_at(root).keys.create("bureau", "write")[1]
    app = create_app(Settings(data_dir=root, load_seed=False, refresh_seconds=0, rate_limit_per_minute=0))
    async with (
        LifespanManager(app) as m,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=m.app), base_url="http://t") as c,
    ):
        yield c, key, root


async def test_a_large_upload_takes_the_streaming_path(
    upload_api: tuple[httpx.AsyncClient, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, key, root = upload_api
    monkeypatch.setattr(load, "STREAM_ROWS", 1000)
    monkeypatch.setattr(load, "STREAM_BATCH", 700)
    files = write_inputs(tmp_path / "in", indicators=2, regions=30, months=40)  # 2,400 rows
    headers = {"authorization": f"Bearer {key}"}
    r = await api.post("/v1/indicators", content=files[0].read_bytes(), headers={**headers, "content-type": "text/csv"})
    assert r.status_code == 201
    parquet = {**headers, "content-type": "application/vnd.apache.parquet"}
    table = pq.read_table(files[1])
    regions = table.column("region").to_pylist()
    regions[1500] = "999999"  # row 1,501, in the third batch
    bad = io.BytesIO()
    pq.write_table(table.set_column(1, "region", pa.array(regions)), bad)
    before = fingerprint(root)
    r = await api.post("/v1/observations", content=bad.getvalue(), headers=parquet)
    assert r.status_code == 422 and [(e["row"], e["column"]) for e in r.json()["errors"]] == [(1501, "region")]
    assert fingerprint(root) == before
    r = await api.post("/v1/observations", content=files[1].read_bytes(), headers=parquet)
    assert r.status_code == 201, r.text
    assert r.json()["files"] == [
        {"file": "observations.parquet", "kind": "observations", "rows": 2400, "encoding": "parquet", "streamed": True}
    ]
    series = (await api.get("/v1/series/synthetic.i001/110101")).json()["observations"]
    assert len(series) == 40
    assert not [p.name for p in root.iterdir() if p.name.startswith(("upload-", "ingest-"))]  # nothing left behind


# Runs the command and writes its peak resident memory (KiB). A process forked from pytest starts with pytest's own
# peak (Linux keeps the larger of a process's peaks across fork and exec), so the ingest is forked from this small
# interpreter instead: its peak is then its own.
PEAK_OF = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def ingest_peak(lake: Path, files: list[Path], out: Path) -> tuple[dict[str, object], float]:
    """`yardstick ingest` in a process of its own: its JSON result and its peak resident memory in MiB."""
    peak = out.with_suffix(".peak")
    command = [sys.executable, "-m", "service", "--data-dir", str(lake), "ingest", *map(str, files)]
    with open(out, "w") as stdout:
        done = subprocess.run(
            [sys.executable, "-c", PEAK_OF, str(peak), *command], stdout=stdout, stderr=subprocess.PIPE, timeout=1800
        )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return json.loads(out.read_text()), int(peak.read_text()) / 1024


PEAK_MIB = 2048


@pytest.mark.slow
def test_ten_million_rows_of_a_20mb_parquet_file_in_under_2_gib(tmp_path: Path) -> None:
    files = write_inputs(tmp_path / "in", indicators=100, regions=320, months=312)  # 9,984,000 rows
    assert files[1].stat().st_size < 32 << 20  # compresses well: the old rule (64 MB on disk) read it whole
    result, peak = ingest_peak(seeded_copy(tmp_path / "lake"), files, tmp_path / "out.json")
    print(f"\n10M-row Parquet ({files[1].stat().st_size / 2**20:.0f} MB): peak RSS {peak:.0f} MiB")
    assert result["added"] == 9_984_000 and result["committed"] is True
    assert lake_at(tmp_path / "lake").manifest().counts["observations"] == 55 + 9_984_000
    assert peak < PEAK_MIB


@pytest.mark.slow
def test_three_million_rows_of_csv_in_under_2_gib(tmp_path: Path) -> None:
    files = write_inputs(tmp_path / "in", indicators=30, regions=320, months=312, fmt="csv")  # 2,995,200 rows
    result, peak = ingest_peak(seeded_copy(tmp_path / "lake"), files, tmp_path / "out.json")
    print(f"\n3M-row CSV ({files[1].stat().st_size / 2**20:.0f} MB): peak RSS {peak:.0f} MiB")
    assert result["added"] == 2_995_200
    assert [f["streamed"] for f in result["files"]] == [False, True]  # type: ignore[union-attr, index]
    assert lake_at(tmp_path / "lake").manifest().counts["observations"] == 55 + 2_995_200
    assert peak < PEAK_MIB
