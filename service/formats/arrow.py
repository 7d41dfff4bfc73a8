"""Parquet and Arrow IPC stream bodies: the same columns and types as the JSON rows, with key-value metadata.

Parquet exports get one row group per batch (with statistics), so a filtered export is cheap to read back."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from service.formats.stream import pump, with_metadata


def _with_metadata(table: pa.Table, metadata: Mapping[str, str]) -> pa.Table:
    meta = {**(table.schema.metadata or {}), **{k.encode(): v.encode() for k, v in metadata.items()}}
    return table.replace_schema_metadata(meta)


def encode_parquet(table: pa.Table, metadata: Mapping[str, str], bom: bool = False) -> bytes:
    buf = io.BytesIO()
    pq.write_table(
        _with_metadata(table, metadata), buf, compression="zstd", row_group_size=64 * 1024, write_statistics=True
    )
    return buf.getvalue()


def encode_ipc(table: pa.Table, metadata: Mapping[str, str], bom: bool = False) -> bytes:
    table = _with_metadata(table, metadata)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _parquet_writer(sink: Any, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(sink, schema, compression="zstd", write_statistics=True)


def stream_parquet(reader: pa.RecordBatchReader, metadata: Mapping[str, str], bom: bool = False) -> Iterator[bytes]:
    return pump(reader, metadata, _parquet_writer, empty=True)


def stream_ipc(reader: pa.RecordBatchReader, metadata: Mapping[str, str], bom: bool = False) -> Iterator[bytes]:
    return pump(reader, metadata, ipc.new_stream)


def write_parquet(reader: pa.RecordBatchReader, path: Path, metadata: Mapping[str, str]) -> int:
    """Write a record-batch stream to a Parquet file, one row group per batch; returns the row count."""
    schema = with_metadata(reader.schema, metadata)
    rows = 0
    with _parquet_writer(path, schema) as writer:
        for batch in reader:
            if batch.num_rows:
                writer.write_batch(batch.replace_schema_metadata(schema.metadata))
                rows += batch.num_rows
        if rows == 0:
            writer.write_table(schema.empty_table())
    return rows
