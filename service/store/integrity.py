"""`yardstick check`: every file of the current snapshot exists and matches its recorded size and sha256, and every
table's current Iceberg snapshot is the one the commit log pins (what other engines read is what was committed)."""

from __future__ import annotations

import hashlib

from service.store.lake import Lake


def check(lake: Lake) -> list[str]:
    problems = lake.drift()
    for entry in lake.manifest().files:
        path = lake.path(entry)
        if not path.exists():
            problems.append(f"{entry.path}: missing")
            continue
        if path.stat().st_size != entry.bytes:
            problems.append(f"{entry.path}: {path.stat().st_size} bytes, manifest says {entry.bytes}")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry.sha256:
            problems.append(f"{entry.path}: sha256 differs from the manifest")
    return problems
