"""Bulk Parquet downloads: a manifest (JSON and a Frictionless datapackage.json) and the immutable files of each
snapshot, served the way remote Parquet readers need (HEAD, Range, multipart ranges, strong ETags, 304)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Header, Request
from fastapi import Path as PathParam
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from service.api import schemas
from service.api.deps import SettingsDep, SnapshotDep
from service.api.docs import BULK_FILE, BULK_RESPONSES
from service.api.http import content_disposition, is_head, link
from service.config import Settings
from service.errors import Gone, not_found
from service.errors import RangeNotSatisfiable as Unsatisfiable
from service.formats import datapackage
from service.model.schema import CODE_PATTERN
from service.store import bulk
from service.store.lake import Lake, Manifest
from service.store.snapshot import Memo, Snapshot, Store

router = APIRouter(prefix="/v1/bulk", tags=["bulk"], responses=BULK_RESPONSES)
IMMUTABLE = "public, max-age=31536000, immutable"
PARQUET = "application/vnd.apache.parquet"
SNAPSHOT = re.compile(r"^\d{6}$")
ICEBERG: Memo[dict[str, Any] | None] = Memo("iceberg tables")
SnapshotParam = Annotated[
    str, PathParam(description="A snapshot id (000007) or 'latest'", max_length=16, examples=["latest"])
]


class ParquetFile(FileResponse):
    chunk_size = 1 << 20  # 1 MiB reads: fewer event-loop turns per byte

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_head(scope):  # routed as GET: headers only, the file is not read
            scope = {**scope, "method": "HEAD"}
        await super().__call__(scope, receive, send)


class WholeFile(ParquetFile):
    """The whole file whatever the Range header says: RFC 9110 lets a server ignore a malformed Range."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(k, v) for k, v in scope["headers"] if k not in (b"range", b"if-range")]
        await super().__call__({**scope, "headers": headers}, receive, send)


RangeHeader = Annotated[
    str | None,
    Header(
        alias="range",
        max_length=4096,
        description="Byte ranges (RFC 9110): bytes=0-99, bytes=-500, bytes=100-, or several; a malformed one is "
        "ignored (the whole file), one outside the file is 416",
    ),
]
IfRangeHeader = Annotated[
    str | None,
    Header(alias="if-range", max_length=200, description="Honour Range only if this ETag or date still matches"),
]


async def _files(store: Store, manifest: Manifest) -> dict[str, bulk.BulkFile]:
    lake = store.lake
    files = await anyio.to_thread.run_sync(bulk.lake_files, lake, manifest)
    whole = await anyio.to_thread.run_sync(bulk.whole_table, lake, manifest)
    return {"observations": whole, **files}


def _manifest(request: Request, snap: Snapshot, snapshot: str) -> Manifest:
    if snapshot == "latest":
        return snap.manifest
    if not SNAPSHOT.match(snapshot):
        raise not_found("snapshot", f"no snapshot {snapshot!r}: use an id from /v1/bulk or 'latest'")
    store: Store = request.app.state.store
    try:
        manifest = store.lake.manifest(int(snapshot))
    except FileNotFoundError:
        raise not_found("snapshot", f"no snapshot {snapshot!r}") from None
    kept = bool(manifest.files) or not any(manifest.counts.values())  # history a restore or migration brought
    if not kept or not all(store.lake.path(f).exists() for f in manifest.files):
        raise Gone(f"snapshot {snapshot} is past the retention period: download a newer one from /v1/bulk")
    return manifest


@router.get(
    "",
    name="bulk-manifest",
    summary="The current snapshot's downloadable Parquet files",
    responses={200: {"description": "The files, with digests and schemas", "model": schemas.BulkManifest}},
)
async def bulk_manifest(request: Request, snap: SnapshotDep) -> Response:
    files = await _files(request.app.state.store, snap.manifest)
    body: dict[str, Any] = {
        "snapshot": snap.id,
        "committed_at": snap.manifest.committed_at,
        "datapackage": link(request, "/v1/bulk/datapackage.json"),
        "files": [{**f.as_dict(snap.id), "url": link(request, f.path_of(snap.id))} for f in files.values()],
    }
    lake: Lake = request.app.state.store.lake
    tables = snap.recall(ICEBERG)  # the same snapshot as tables other engines read; catalog reads once per snapshot
    if tables is None:
        tables = snap.keep(ICEBERG, await anyio.to_thread.run_sync(lake.describe, snap.manifest))
    if tables is not None:
        body["iceberg"] = tables
    return Response(orjson.dumps(body), media_type="application/json", headers={"cache-control": "no-cache"})


@router.get(
    "/datapackage.json",
    name="bulk-datapackage",
    summary="The same files as a Frictionless Data Package",
    responses={200: {"description": "A Data Package descriptor", "model": schemas.DataPackage}},
)
async def bulk_datapackage(request: Request, snap: SnapshotDep, settings: SettingsDep) -> Response:
    files = await _files(request.app.state.store, snap.manifest)

    def path(
        f: bulk.BulkFile,
    ) -> str:  # relative to this descriptor (Frictionless), or absolute under YARDSTICK_PUBLIC_URL
        return (
            link(request, f.path_of(snap.id)) if settings.public_url else f.path_of(snap.id).removeprefix("/v1/bulk/")
        )

    resources = (datapackage.resource(f.as_dict(snap.id), path(f)) for f in files.values())
    body = datapackage.descriptor(snap.id, snap.manifest.committed_at, resources)
    return Response(body, media_type="application/json", headers={"cache-control": "no-cache"})


@router.get(
    "/{snapshot}/observations/{indicator}.parquet",
    name="bulk-indicator",
    summary="One indicator's observations of a snapshot",
    responses=BULK_FILE,
    response_class=Response,
)
async def bulk_indicator(
    request: Request,
    snap: SnapshotDep,
    snapshot: SnapshotParam,
    indicator: Annotated[str, PathParam(description="Indicator code", max_length=64, pattern=CODE_PATTERN)],
    range_: RangeHeader = None,
    if_range: IfRangeHeader = None,
) -> Response:
    return await _serve(request, snap, snapshot, f"observations/{indicator}")


@router.get(
    "/{snapshot}/{name}.parquet",
    name="bulk-file",
    summary="A table of a snapshot: observations (the whole table), regions, indicators or sources",
    responses=BULK_FILE,
    response_class=Response,
)
async def bulk_file(
    request: Request,
    snap: SnapshotDep,
    snapshot: SnapshotParam,
    name: Annotated[
        str, PathParam(description="observations, regions, indicators or sources", max_length=64, pattern="^[a-z]+$")
    ],
    range_: RangeHeader = None,
    if_range: IfRangeHeader = None,
) -> Response:
    return await _serve(request, snap, snapshot, name)


async def _serve(request: Request, snap: Snapshot, snapshot: str, name: str) -> Response:
    manifest = _manifest(request, snap, snapshot)
    if snapshot == "latest":
        target = f"/v1/bulk/{manifest.label}/{name}.parquet"
        return RedirectResponse(target, status_code=302, headers={"cache-control": "no-cache"})
    store: Store = request.app.state.store
    entry: bulk.BulkFile | None
    if name == "observations":
        entry = await anyio.to_thread.run_sync(bulk.whole_table, store.lake, manifest)
    else:
        entry = await anyio.to_thread.run_sync(bulk.lake_file, store.lake, manifest, name)
    if entry is None:
        raise not_found("name", f"snapshot {manifest.label} has no file {name!r}: see /v1/bulk")
    return _file_response(request, entry, manifest.label)


def _file_response(request: Request, entry: bulk.BulkFile, snapshot: str) -> Response:
    stat = entry.path.stat()
    etag = f'"{entry.sha256[:32]}"'
    last_modified = formatdate(stat.st_mtime, usegmt=True)
    headers = {
        "etag": etag,
        "cache-control": IMMUTABLE,
        "last-modified": last_modified,
        "x-snapshot": snapshot,
        "accept-ranges": "bytes",
        "content-disposition": content_disposition("attachment", f"{snapshot}-{entry.name.replace('/', '-')}.parquet"),
    }
    if _not_modified(request, etag, stat.st_mtime):
        return Response(status_code=304, headers=headers)
    kind = ParquetFile if _range_usable(request, etag, last_modified, stat.st_size) else WholeFile
    return kind(entry.path, media_type=PARQUET, headers=headers, stat_result=stat)


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return "*" in inm or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return int(mtime) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def _range_usable(request: Request, etag: str, last_modified: str, size: int) -> bool:
    """False for a Range to ignore (malformed, another unit, a stale If-Range); 416 for one outside the file."""
    rng = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if rng is None or (if_range is not None and if_range not in (etag, last_modified)):
        return rng is None
    try:
        FileResponse._parse_range_header(rng, size)
    except MalformedRangeHeader:
        return False
    except RangeNotSatisfiable:
        raise Unsatisfiable(
            f"the range {rng!r} lies outside the file's {size} bytes",
            extra={"headers": {"content-range": f"bytes */{size}"}},
        ) from None
    return True


def export_file(request: Request, snap: Snapshot, query: object, write: Callable[[Path], int]) -> Response:
    """A filtered export as a file (built once per snapshot and normalised query, whatever the URL's spelling),
    served like a bulk file so that remote readers get HEAD and Range. Kept in the cache directory, outside the
    lake, bounded in bytes (least recently used out first)."""
    settings: Settings = request.app.state.settings
    key = hashlib.blake2b(orjson.dumps(query, default=str), digest_size=16).hexdigest()
    root = settings.cache_path() / "exports"
    folder = root / snap.id
    budget = int(settings.export_cache_mb * 1024 * 1024)
    evict = partial(bulk.evict, root, budget, keep=folder / f"{key}.parquet")  # only when a file was added
    entry = bulk.built_once(folder, key, "observations", write, evict)
    return _file_response(request, entry, snap.id)
