"""CSV: UTF-8, RFC 4180 quoting, a header row; ``bom=true`` prefixes a BOM so Excel shows Chinese text."""

from __future__ import annotations

import io

import pyarrow.csv as pacsv

from service.formats import Payload

BOM = "\ufeff".encode()


def encode(payload: Payload, bom: bool = False) -> bytes:
    buf = io.BytesIO()
    if bom:
        buf.write(BOM)
    pacsv.write_csv(payload.table, buf, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    return buf.getvalue()
