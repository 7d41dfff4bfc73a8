"""The bulk files of a snapshot as a Frictionless Data Package descriptor (https://specs.frictionlessdata.io/)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson

FRICTIONLESS_TYPES = {
    "string": "string",
    "double": "number",
    "date32[day]": "date",
    "timestamp[us, tz=UTC]": "datetime",
}


def resource(file: dict[str, Any], path: str) -> dict[str, Any]:
    """One Parquet file (as the bulk manifest lists it) as a tabular resource at ``path``."""
    fields = [
        {"name": c["name"], "type": FRICTIONLESS_TYPES.get(c["type"], "any"), "description": c["description"]}
        for c in file["schema"]
    ]
    return {
        "name": re.sub(r"[^a-z0-9._-]", "-", file["name"].lower()),
        "path": path,
        "format": "parquet",
        "mediatype": file["media_type"],
        "bytes": file["bytes"],
        "hash": f"sha256:{file['sha256']}",
        "schema": {"fields": fields},
    }


def descriptor(snapshot: str, created: str, resources: Iterable[dict[str, Any]]) -> bytes:
    body = {
        "profile": "data-package",
        "name": f"yardstick-{snapshot}",
        "title": "Yardstick indicators",
        "version": snapshot,
        "created": created,
        "resources": list(resources),
    }
    return orjson.dumps(body)
