"""Bulk Parquet downloads: a manifest (JSON and a Frictionless datapackage.json) and the immutable files of each
snapshot, served the way remote Parquet readers need (HEAD, Range, multipart ranges, strong ETags, 304)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from service.api.deps import SnapshotDep
from service.api.docs import BULK_RESPONSES
from service.errors import Gone, not_found
from service.errors import RangeNotSatisfiable as Unsatisfiable
from service.store import bulk
from service.store.lake import Manifest
from service.store.snapshot import Snapshot, Store

router = APIRouter(prefix="/v1/bulk", tags=["bulk"], responses=BULK_RESPONSES)
IMMUTABLE = "public, max-age=31536000, immutable"
SNAPSHOT = re.compile(r"^\d{6}$")
FRICTIONLESS_TYPES = {
    "string": "string",
    "double": "number",
    "date32[day]": "date",
    "timestamp[us, tz=UTC]": "datetime",
}

SnapshotParam = Annotated[
    str, PathParam(description="A snapshot id (000007) or 'latest'", max_length=16, examples=["latest"])
]


class ParquetFile(FileResponse):
    chunk_size = 1 << 20  # 1 MiB reads: fewer event-loop turns per byte


class _WithoutRange(Response):
    """Serve the whole file when the Range header is malformed (RFC 9110 lets a server ignore it)."""

    def __init__(self, inner: Response) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(k, v) for k, v in scope["headers"] if k != b"range"]
        await self.inner({**scope, "headers": headers}, receive, send)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _files(store: Store, manifest: Manifest) -> dict[str, bulk.BulkFile]:
    lake = store.lake
    files = bulk.lake_files(lake, manifest)
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
    if not all(store.lake.path(f).exists() for f in manifest.files):
        raise Gone(f"snapshot {snapshot} is past the retention period: download a newer one from /v1/bulk")
    return manifest


@router.get("", name="bulk-manifest", summary="The current snapshot's downloadable Parquet files")
async def bulk_manifest(request: Request, snap: SnapshotDep) -> Response:
    files = await _files(request.app.state.store, snap.manifest)
    body = {
        "snapshot": snap.id,
        "committed_at": snap.manifest.committed_at,
        "datapackage": f"{_base_url(request)}/v1/bulk/datapackage.json",
        "files": [f.as_dict(snap.id, _base_url(request)) for f in files.values()],
    }
    return Response(orjson.dumps(body), media_type="application/json", headers={"cache-control": "no-cache"})


@router.get("/datapackage.json", name="bulk-datapackage", summary="The same files as a Frictionless Data Package")
async def bulk_datapackage(request: Request, snap: SnapshotDep) -> Response:
    files = await _files(request.app.state.store, snap.manifest)
    resources = []
    for f in files.values():
        d = f.as_dict(snap.id, _base_url(request))
        resources.append(
            {
                "name": re.sub(r"[^a-z0-9._-]", "-", f.name.lower()),
                "path": d["url"],
                "format": "parquet",
                "mediatype": d["media_type"],
                "bytes": f.bytes,
                "hash": f"sha256:{f.sha256}",
                "schema": {
                    "fields": [
                        {
                            "name": c["name"],
                            "type": FRICTIONLESS_TYPES.get(c["type"], "any"),
                            "description": c["description"],
                        }
                        for c in d["schema"]
                    ]
                },
            }
        )
    body = {
        "profile": "data-package",
        "name": f"yardstick-{snap.id}",
        "title": "Yardstick indicators",
        "version": snap.id,
        "created": snap.manifest.committed_at,
        "resources": resources,
    }
    return Response(orjson.dumps(body), media_type="application/json", headers={"cache-control": "no-cache"})


@router.head("/{snapshot}/observations/{indicator}.parquet", name="bulk-indicator-head", include_in_schema=False)
@router.get(
    "/{snapshot}/observations/{indicator}.parquet",
    name="bulk-indicator",
    summary="One indicator's observations of a snapshot",
)
async def bulk_indicator(
    request: Request,
    snap: SnapshotDep,
    snapshot: SnapshotParam,
    indicator: Annotated[str, PathParam(description="Indicator code", max_length=200)],
) -> Response:
    return await _serve(request, snap, snapshot, f"observations/{indicator}")


@router.head("/{snapshot}/{name}.parquet", name="bulk-file-head", include_in_schema=False)
@router.get(
    "/{snapshot}/{name}.parquet",
    name="bulk-file",
    summary="A table of a snapshot: observations (the whole table), regions, indicators or sources",
)
async def bulk_file(
    request: Request,
    snap: SnapshotDep,
    snapshot: SnapshotParam,
    name: Annotated[str, PathParam(description="observations, regions, indicators or sources", max_length=64)],
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
        entry = bulk.lake_files(store.lake, manifest).get(name)
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
        "content-disposition": f'attachment; filename="{snapshot}-{entry.name.replace("/", "-")}.parquet"',
    }
    if _not_modified(request, etag, stat.st_mtime):
        return Response(status_code=304, headers=headers)
    response = ParquetFile(entry.path, media_type="application/vnd.apache.parquet", headers=headers, stat_result=stat)
    return _check_range(request, response, etag, last_modified, stat.st_size)


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


def _check_range(request: Request, response: Response, etag: str, last_modified: str, size: int) -> Response:
    rng = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if rng is None or (if_range is not None and if_range not in (etag, last_modified)):
        return response
    try:
        FileResponse._parse_range_header(rng, size)
    except MalformedRangeHeader:
        return _WithoutRange(response)
    except RangeNotSatisfiable:
        raise Unsatisfiable(
            f"the range {rng!r} lies outside the file's {size} bytes",
            extra={"headers": {"content-range": f"bytes */{size}"}},
        ) from None
    return response


def export_file(request: Request, snap: Snapshot, write: Callable[[Path], int]) -> Response:
    """A filtered export as a file of the snapshot (built once per distinct request), served like a bulk file so
    that remote readers get HEAD and Range."""
    store: Store = request.app.state.store
    key = hashlib.blake2b(f"{request.url.path}?{request.url.query}".encode(), digest_size=16).hexdigest()
    entry = bulk.built_once(store.lake.root / "exports" / snap.id, key, "observations", write)
    return _file_response(request, entry, snap.id)
