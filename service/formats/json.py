"""JSON: the payload's document with its rows as objects (dates ISO 8601, NaN as null, key order stable)."""

from __future__ import annotations

import orjson

from service.formats import Payload


def encode(payload: Payload, bom: bool = False) -> bytes:
    document = dict(payload.document)
    if payload.rows_key is not None:
        document[payload.rows_key] = payload.table.to_pylist()
    return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
