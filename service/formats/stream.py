"""The pump of every streamer: record batches in, bytes out, batch by batch; nothing is held whole. Each format's
streamer (service/formats/csv.py, arrow.py) names its writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import pyarrow as pa


class BatchWriter(Protocol):
    def write_batch(self, batch: pa.RecordBatch) -> None: ...

    def write_table(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


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


def with_metadata(schema: pa.Schema, metadata: Mapping[str, str]) -> pa.Schema:
    return schema.with_metadata({**(schema.metadata or {}), **metadata})


def pump(
    reader: pa.RecordBatchReader,
    metadata: Mapping[str, str],
    open_writer: Callable[[Any, pa.Schema], BatchWriter],
    prefix: bytes = b"",
    transform: Callable[[pa.RecordBatch], pa.RecordBatch] | None = None,
    empty: bool = False,
) -> Iterator[bytes]:
    """Write each non-empty batch with the writer ``open_writer(file, schema)`` makes, yielding the bytes written so
    far after each; ``prefix`` comes first (a BOM), ``transform`` changes each batch, ``empty`` writes an empty table
    when no batch had a row (a Parquet file needs one)."""
    schema = with_metadata(reader.schema, metadata)
    sink = _Sink()
    if prefix:
        sink.write(prefix)
    writer = open_writer(pa.PythonFile(sink, mode="w"), schema)
    wrote = False
    for batch in reader:
        if batch.num_rows:
            batch = batch.replace_schema_metadata(schema.metadata)
            writer.write_batch(transform(batch) if transform is not None else batch)
            wrote = True
            yield sink.drain()
    if not wrote and empty:
        writer.write_table(schema.empty_table())
    writer.close()
    yield sink.drain()
