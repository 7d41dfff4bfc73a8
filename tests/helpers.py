"""Test helpers: write input files, fingerprint a lake directory."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

OBS_HEADER = ["indicator", "region", "period", "value", "status", "published", "source", "quote", "note"]


def csv_bytes(rows: list[list[object]], header: list[str] = OBS_HEADER, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def obs(
    indicator: str, region: str, period: str, value: object, published: str = "2022-10-31", status: str = ""
) -> list[object]:
    return [indicator, region, period, value, status, published, "", "", ""]


def fingerprint(root: Path) -> dict[str, str]:
    """Every file of the lake (but the lock and staging) with its sha256: equal fingerprints = untouched lake."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel != "LOCK" and not rel.startswith("staging/"):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def seeded_copy(target: Path) -> Path:
    """A lake of its own with the shipped data, at ``target``. Not a copy of another lake's folder: Iceberg metadata
    holds absolute paths, so a copied folder's tables would still live in the original's."""
    from service.config import REPO_DATA
    from service.ingest.seed import ensure_seed
    from service.store.stores import lake_at

    ensure_seed(lake_at(target), REPO_DATA, reviewed=False)
    return target


PARTIAL = "test.partial"


def partly_ranked(target: Path) -> Path:
    """A seeded lake with one more indicator, ``test.partial`` (a growth rate), for 2022-Q3: 4 of Hunan's 14
    prefectures (Hengyang 8.4, second of the four), two Hubei cities and the nation; Hunan itself has no figure."""
    from service.ingest.load import ingest
    from service.store.stores import lake_at

    seeded_copy(target)
    header = ["code", "name", "name_en", "unit", "kind", "frequency", "accumulation", "basis", "topic"]
    indicator = [PARTIAL, "部分地区增速", "Growth, some regions", "percent", "growth", "Q", "ytd", "real", "test"]
    values = {"430100": 9.0, "430200": 8.0, "430400": 8.4, "430500": 7.0, "420100": 9.5, "420200": 6.0, "CN": 4.0}
    rows = [obs(PARTIAL, code, "2022-Q3", value) for code, value in values.items()]
    ingest(lake_at(target), [("indicators.csv", csv_bytes([indicator], header)), ("partial.csv", csv_bytes(rows))])
    return target
