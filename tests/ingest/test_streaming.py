"""Large Parquet files are ingested batch by batch (validated per batch, spilled per indicator, merged indicator by
indicator): the result must be exactly what the in-memory path gives, problems located by the file's own row
numbers across batches, and nothing stored when anything is wrong."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.generate import write_inputs
from service.errors import InvalidData
from service.ingest import load
from service.ingest.load import ingest_paths
from service.store.lake import Lake
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
        lake = Lake.open(seeded_copy(tmp_path / name))
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
    lake = Lake.open(seeded_copy(tmp_path / "lake"))
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
    lake = Lake.open(seeded_copy(tmp_path / "lake"))
    ingest_paths(lake, files[:1])
    with pytest.raises(InvalidData) as caught:
        ingest_paths(lake, files[1:], stream_bytes=0)
    assert sorted(p.row for p in caught.value.problems) == [6, 1201]
    assert {p.detail for p in caught.value.problems} == {"duplicate key within the file"}
    assert lake.manifest().counts["observations"] == 55
