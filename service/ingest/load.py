"""One ingest = one commit: decode, validate against the catalogs, merge with the current snapshot, commit.

All or nothing: any bad row in any file rejects the whole ingest with every problem located, and nothing is
written. Re-ingesting an identical observation is a no-op; the same (indicator, region, period, published) with
another value is a conflict; a new ``published`` for an existing period is a revision (a new vintage).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from service.errors import InvalidData, Problem, storage_errors
from service.ingest import readers
from service.ingest.labels import IndicatorInfo
from service.ingest.melt import prepare
from service.ingest.names import Names
from service.ingest.refusals import check_conflicts as _check_conflicts
from service.ingest.refusals import check_duplicates as _check_duplicates
from service.ingest.refusals import observations_only, refuse_given
from service.ingest.refusals import refuse as _refuse
from service.ingest.validate import Catalog, validate
from service.model.schema import KEYS, OBSERVATIONS
from service.store.frames import runs
from service.store.lake import Lake, Writer
from service.store.statements import run, statement

CATALOG_ORDER = ("regions", "indicators", "sources", "observations")
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class IngestResult:
    """What an ingest did (or, with dry_run, would do)."""

    snapshot: str | None
    files: list[dict[str, object]] = field(default_factory=list)
    added: int = 0
    unchanged: int = 0
    revised: int = 0
    catalog_rows: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    skipped: bool = False
    committed: bool = False


# An observation file larger than this once decoded (rows from a Parquet footer or CSV line breaks; uncompressed
# bytes from the footer, or the size of text) is read, validated and merged batch by batch, whatever its size on disk.
STREAM_ROWS = 1_000_000
STREAM_BYTES = 64 * 1024 * 1024
STREAM_BATCH = 1_000_000
MAX_PARTS = 8  # files per indicator before an append rewrites them as one


def ingest_paths(
    lake: Lake, paths: list[Path], stream_rows: int | None = None, stream_bytes: int | None = None, **kwargs: Any
) -> IngestResult:
    """Ingest files from disk (see ``ingest``). Parquet and CSV files of more than ``stream_rows`` rows or
    ``stream_bytes`` decoded bytes (default STREAM_ROWS, STREAM_BYTES) are streamed: memory then grows with the
    largest indicator, not with the file."""
    files: list[tuple[str, bytes]] = []
    streamed: list[Path] = []
    for p in paths:
        try:
            if _large(readers.measure(p), stream_rows, stream_bytes, kwargs.get("kind")):
                streamed.append(p)
            else:
                files.append((p.name, p.read_bytes()))
        except OSError as exc:
            raise InvalidData(f"cannot read {p}", [Problem(exc.strerror or str(exc), file=str(p))]) from exc
    return ingest(lake, files, streamed=streamed, **kwargs)


def ingest_body(lake: Lake, name: str, data: bytes, **kwargs: Any) -> IngestResult:
    """Ingest one uploaded body (see ``ingest``): a large one (as ``ingest_paths`` decides) is written to a
    temporary file in the data folder and streamed like a file from disk, so that an upload which compresses well
    does not expand in memory."""
    if not _large(readers.measure(data), None, None, kwargs.get("kind")):
        return ingest(lake, [(name, data)], **kwargs)
    with tempfile.TemporaryDirectory(prefix="upload-", dir=lake.root) as folder:
        path = Path(folder) / name
        with storage_errors():
            path.write_bytes(data)
        return ingest(lake, [], streamed=[path], **kwargs)


def _large(size: readers.Size | None, rows: int | None, uncompressed: int | None, kind: str | None) -> bool:
    """Whether a file is streamed: observations larger than either bound once decoded."""
    if size is None or (kind or size.kind) != "observations":
        return False
    return size.rows > (STREAM_ROWS if rows is None else rows) or size.uncompressed > (
        STREAM_BYTES if uncompressed is None else uncompressed
    )


def ingest(
    lake: Lake,
    files: list[tuple[str, bytes]],
    *,
    author: str = "cli",
    dry_run: bool = False,
    today: date | None = None,
    kind: str | None = None,
    kinds: dict[str, str] | None = None,
    only_if_empty: bool = False,
    progress: Progress = _quiet,
    streamed: list[Path] | None = None,
    given: dict[str, str] | None = None,
) -> IngestResult:
    """Validate ``files`` (name, bytes) and the observation files ``streamed`` (read batch by batch) as one batch
    and commit them as one snapshot. Each file holds ``kinds[name]``, else ``kind``, else what its columns say;
    ``given``: a workbook's sheet, and values for every row (readers.read)."""
    raws, problems, details = [], [], []
    for i, (name, data) in enumerate(files):
        progress("read", i, len(files))
        try:
            raws.append(readers.read(name, data, (kinds or {}).get(name, kind), given))
        except InvalidData as exc:
            details.append(exc.detail)
            problems.extend(exc.problems or [Problem(exc.detail, file=name)])
    if problems:
        raise InvalidData(f"nothing was stored: {'; '.join(details)}", problems)
    refuse_given(streamed or [], given or {})
    if not raws and not streamed:
        raise InvalidData("nothing to ingest", [Problem("no files given")])
    raws.sort(key=lambda r: CATALOG_ORDER.index(r.kind))
    with lake.writer(wait_seconds=120 if only_if_empty else 30) as writer:
        if only_if_empty and writer.base.id != 0:
            return IngestResult(writer.base.label, skipped=True)
        writer.dry_run = dry_run
        writer.progress = progress
        return _apply(writer, raws, author, dry_run, today or date.today(), streamed or [])


def _apply(
    writer: Writer, raws: list[readers.RawTable], author: str, dry_run: bool, today: date, streamed: list[Path]
) -> IngestResult:
    lake, base = writer.lake, writer.base
    tables = {t: lake.read_table(base, t) for t in CATALOG_ORDER[:3]}
    catalog = _catalog(tables)
    problems: list[Problem] = []
    total = 0
    refused = catalog.refused
    incoming: dict[str, list[tuple[readers.RawTable, pa.Table]]] = {t: [] for t in CATALOG_ORDER}
    result = IngestResult(None, dry_run=dry_run)
    for i, raw in enumerate(raws):
        writer.progress("validate", i, len(raws))
        raw = prepare(raw, catalog.names)
        table, found, count = validate(raw, catalog, today)
        problems.extend(found)
        total += count
        result.files.append(_file_entry(raw))
        _take(raw, table, tables, incoming, refused)
        catalog = _catalog(tables)
        catalog.refused = refused
    _refuse(problems, total)
    changed = _put_catalogs(writer, tables, incoming, result)
    if streamed:
        _merge_streamed(writer, streamed, incoming["observations"], catalog, today, result)
    elif incoming["observations"]:
        _merge_observations(writer, incoming["observations"], result)
    changed = changed or result.added + result.revised > 0
    if not changed:
        result.snapshot = base.label if base.id else None
    elif not dry_run:
        manifest = writer.commit(
            author,
            ", ".join(r.name for r in raws),
            {"added": result.added, "unchanged": result.unchanged, "revised": result.revised},
        )
        result.snapshot = manifest.label
        result.committed = True
    return result


def _take(
    raw: readers.RawTable,
    table: pa.Table | None,
    tables: dict[str, pa.Table],
    incoming: dict[str, list[tuple[readers.RawTable, pa.Table]]],
    refused: dict[str, set[str]],
) -> None:
    """A valid file's rows into ``incoming`` (a catalog's into ``tables`` too); a refused catalog's codes into
    ``refused`` (the root cause is reported; rows that name its codes are not, again)."""
    if table is not None:
        incoming[raw.kind].append((raw, table))
        if raw.kind != "observations":
            tables[raw.kind] = _upsert(tables[raw.kind], table, KEYS[raw.kind][0])
    elif raw.kind != "observations":
        column = KEYS[raw.kind][0]
        if column in raw.table.column_names:
            refused[raw.kind].update(str(c).strip() for c in raw.table.column(column).to_pylist() if c)


def _file_entry(raw: readers.RawTable) -> dict[str, object]:
    """What the answer says of a file read whole."""
    entry = {"file": raw.name, "kind": raw.kind, "rows": raw.table.num_rows, "encoding": raw.encoding}
    return entry | {"streamed": False} | ({"sheet": raw.origin.sheet} if raw.origin else {})


def _put_catalogs(
    writer: Writer,
    tables: dict[str, pa.Table],
    incoming: dict[str, list[tuple[readers.RawTable, pa.Table]]],
    result: IngestResult,
) -> bool:
    """Stage the catalogs that the ingest changed; True if any did."""
    changed = False
    for kind in CATALOG_ORDER[:3]:
        if incoming[kind]:
            result.catalog_rows[kind] = sum(t.num_rows for _, t in incoming[kind])
            key = KEYS[kind][0]
            if not tables[kind].sort_by(key).equals(writer.lake.read_table(writer.base, kind).sort_by(key)):
                writer.put(kind, tables[kind])
                changed = True
    return changed


def _catalog(tables: dict[str, pa.Table]) -> Catalog:
    regions = tables["regions"]
    ind = tables["indicators"]
    return Catalog(
        regions=dict(zip(regions.column("code").to_pylist(), regions.column("parent").to_pylist(), strict=True)),
        indicators={
            c: IndicatorInfo(f, a)
            for c, f, a in zip(
                ind.column("code").to_pylist(),
                ind.column("frequency").to_pylist(),
                ind.column("accumulation").to_pylist(),
                strict=True,
            )
        },
        sources=set(tables["sources"].column("id").to_pylist()),
        names=Names(regions, ind),
    )


def _upsert(old: pa.Table, new: pa.Table, key: str) -> pa.Table:
    keep = pc.invert(pc.is_in(old.column(key), new.column(key)))
    return pa.concat_tables([old.filter(keep), new.cast(old.schema)])


def _merge_observations(writer: Writer, batches: list[tuple[readers.RawTable, pa.Table]], result: IngestResult) -> None:
    """Add the new keys of each touched indicator to its stored rows; identical rows are no-ops, contradictions
    are conflicts."""
    stamp = pa.scalar(datetime.now(UTC), pa.timestamp("us", tz="UTC"))
    stamped = [_stamp(raw, table, stamp) for raw, table in batches]
    _merge(writer, pa.concat_tables(stamped), len(batches) > 1, result)


def _stamp(raw: readers.RawTable, table: pa.Table, stamp: pa.Scalar) -> pa.Table:
    """A validated table with its commit time, and the file and row each row came from (for problems)."""
    n = table.num_rows
    return (
        table.append_column("recorded_at", pa.repeat(stamp, n))
        .cast(OBSERVATIONS)
        .append_column("_file", pa.repeat(pa.scalar(raw.name), n))
        .append_column("_row", pa.array(_rows(raw, n)))
    )


def _rows(raw: readers.RawTable, n: int) -> np.ndarray:
    """Each row's number in its file (a sheet's row, for a workbook)."""
    return raw.origin.rows if raw.origin is not None else np.arange(raw.first_row, raw.first_row + n, dtype=np.int64)


def _merge(writer: Writer, new: pa.Table, several: bool, result: IngestResult, repeats: bool = False) -> None:
    """Merge stamped rows (``_file``, ``_row``) into their indicators' stored rows and stage the new files; with
    ``repeats``, first refuse keys repeated within one file (rows validated in separate batches)."""
    con = duckdb.connect()
    con.register("new_rows", new)
    if repeats:
        _check_duplicates(con)
    indicators = pc.unique(new.column("indicator")).to_pylist()
    old_files = [str(writer.lake.path(f)) for f in writer.base.of("observations") if f.indicator in set(indicators)]
    if old_files:
        con.execute(f"create view old_rows as select * from read_parquet({_sql_list(old_files)})")
    else:
        con.execute("create view old_rows as select * exclude (_file, _row) from new_rows where false")
    _check_conflicts(run(con, "merge_conflicts"))
    if several:
        _check_conflicts(run(con, "merge_batch_conflicts"))
    if old_files or several:
        con.execute(statement("merge_fresh"), {"dedupe": several})
        revised, fresh = con.execute(statement("merge_counts")).fetchone() or (0, 0)
    else:  # a first load of these indicators from one file: every row is fresh
        con.execute(statement("merge_fresh_all"))
        revised, fresh = 0, new.num_rows
    result.unchanged += new.num_rows - fresh
    result.revised += revised
    result.added += fresh - revised
    writer.progress("merge", 0, 1)
    rewrite = _rewrite(writer, run(con, "merge_fresh_counts"))
    merged = run(con, "merge_rows", rewrite=rewrite)  # sorted by indicator: each indicator is one contiguous run
    codes, starts, counts = runs(merged.column("indicator"))
    for n, (code, start, count) in enumerate(zip(codes, starts, counts, strict=True)):
        writer.progress("write", n, len(codes))
        writer.put("observations", merged.slice(start, count), indicator=code, append=code not in rewrite)


def _rewrite(writer: Writer, fresh: pa.Table) -> list[str]:
    """The indicators whose files are rewritten whole (stored and fresh rows, one file); the others get their fresh
    rows as one more file, so a small append writes only what is new. An indicator is rewritten when the append is
    large beside what is stored (a quarter or more), or when it would have more than MAX_PARTS files: compaction."""
    out = []
    for code, rows in zip(fresh.column("indicator").to_pylist(), fresh.column("rows").to_pylist(), strict=True):
        part = writer.partition("observations", code)
        if len(part) >= MAX_PARTS or rows * 4 >= sum(f.rows for f in part):
            out.append(code)
    return out


def _merge_streamed(
    writer: Writer,
    streamed: list[Path],
    small: list[tuple[readers.RawTable, pa.Table]],
    catalog: Catalog,
    today: date,
    result: IngestResult,
) -> None:
    """Large files: validated batch by batch into one temporary file per indicator, then merged indicator by
    indicator (memory grows with the largest indicator, not with the input)."""
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=writer.lake.root) as spill:
        parts = _spill(writer, streamed, small, catalog, today, Path(spill), result)
        for n, part in enumerate(parts):
            writer.progress("merge", n, len(parts))
            new = pq.read_table(part)
            several = pc.count_distinct(new.column("_file")).as_py() > 1
            _merge(writer, new, several, result, repeats=True)


def _spill(
    writer: Writer,
    streamed: list[Path],
    small: list[tuple[readers.RawTable, pa.Table]],
    catalog: Catalog,
    today: date,
    folder: Path,
    result: IngestResult,
) -> list[Path]:
    """Validate the streamed files batch by batch (and take the small files' validated rows), stamped, into one
    Parquet file per indicator in ``folder``; every problem of every batch is reported before anything is merged.
    Returns the files, one per indicator."""
    stamp = pa.scalar(datetime.now(UTC), pa.timestamp("us", tz="UTC"))
    sinks: dict[str, pq.ParquetWriter] = {}

    def put(table: pa.Table) -> None:
        table = table.sort_by("indicator")
        for code, start, count in zip(*runs(table.column("indicator")), strict=True):
            if code not in sinks:
                name = hashlib.sha256(code.encode()).hexdigest()[:16]
                sinks[code] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema, compression="lz4")
            sinks[code].write_table(table.slice(start, count))

    problems: list[Problem] = []
    total = 0
    try:
        for raw, table in small:
            put(_stamp(raw, table, stamp))
        for path in streamed:
            source = observations_only(readers.stream(path, None, STREAM_BATCH), STREAM_ROWS)
            rows = 0
            for raw in source.tables:
                writer.progress("validate", raw.first_row - 1, source.rows)
                table, found, count = validate(prepare(raw, catalog.names), catalog, today)
                problems.extend(found[: max(0, 1000 - len(problems))])
                total += count
                if table is not None and not problems:
                    put(_stamp(raw, table, stamp))
                rows += raw.table.num_rows
            result.files.append(
                {"file": source.name, "kind": source.kind, "rows": rows, "encoding": source.encoding, "streamed": True}
            )
    finally:
        for sink in sinks.values():
            sink.close()
    _refuse(problems, total)
    return sorted(folder.glob("*.parquet"))


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
