"""Parquet and Arrow IPC stream bodies: the same columns and types as the JSON rows, with key-value metadata."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from service.formats import Payload


def _with_metadata(payload: Payload) -> pa.Table:
    meta = {**(payload.table.schema.metadata or {}), **{k.encode(): v.encode() for k, v in payload.metadata.items()}}
    return payload.table.replace_schema_metadata(meta)


def encode_parquet(payload: Payload, bom: bool = False) -> bytes:
    buf = io.BytesIO()
    pq.write_table(_with_metadata(payload), buf, compression="zstd", row_group_size=64 * 1024, write_statistics=True)
    return buf.getvalue()


def encode_ipc(payload: Payload, bom: bool = False) -> bytes:
    table = _with_metadata(payload)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()
