"""Streaming encoders for exports: record batches in, bytes out, batch by batch; nothing is held whole.

Parquet gets one row group per batch (with statistics), so a filtered export is cheap to read back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from service.formats import MediaType
from service.formats.csv import BOM, defuse


class _Sink:
    """A write-only file that hands its bytes over whenever asked."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def stream(
    reader: pa.RecordBatchReader, media: MediaType, metadata: dict[str, str], bom: bool = False
) -> Iterator[bytes]:
    schema = reader.schema.with_metadata({**(reader.schema.metadata or {}), **metadata})
    sink = _Sink()
    if media is MediaType.PARQUET:
        writer: pq.ParquetWriter | pacsv.CSVWriter | ipc.RecordBatchStreamWriter = pq.ParquetWriter(
            pa.PythonFile(sink, mode="w"), schema, compression="zstd", write_statistics=True
        )
    elif media is MediaType.CSV:
        if bom:
            sink.write(BOM)
        writer = pacsv.CSVWriter(
            pa.PythonFile(sink, mode="w"), schema, write_options=pacsv.WriteOptions(quoting_style="needed")
        )
    else:
        writer = ipc.new_stream(pa.PythonFile(sink, mode="w"), schema)
    wrote = False
    excel = bom and media is MediaType.CSV
    for batch in reader:
        if batch.num_rows:
            batch = batch.replace_schema_metadata(schema.metadata)
            writer.write_batch(defuse(batch) if excel else batch)
            wrote = True
            yield sink.drain()
    if not wrote and media is MediaType.PARQUET:
        writer.write_table(schema.empty_table())
    writer.close()
    yield sink.drain()


def write_parquet(reader: pa.RecordBatchReader, path: Path, metadata: dict[str, str]) -> int:
    """Write a record-batch stream to a Parquet file, one row group per batch; returns the row count."""
    schema = reader.schema.with_metadata({**(reader.schema.metadata or {}), **metadata})
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd", write_statistics=True) as writer:
        for batch in reader:
            if batch.num_rows:
                writer.write_batch(batch.replace_schema_metadata(schema.metadata))
                rows += batch.num_rows
        if rows == 0:
            writer.write_table(schema.empty_table())
    return rows
