"""Writes over HTTP: POST a CSV, JSON Lines, Parquet or Excel (.xlsx, .xls) body of observations, regions, indicators
or sources, all or nothing, as one commit; the audit trail at /v1/snapshots."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Header, Path, Query, Request
from starlette.responses import Response

from service.api import schemas
from service.api.access import WriterDep
from service.api.deps import SettingsDep
from service.api.docs import AUDIT_RESPONSES, BATCH_BODY, UPLOAD_BODY, WRITE_RESPONSES
from service.errors import (
    InvalidData,
    PayloadTooLarge,
    Problem,
    RequestTimeout,
    UnsupportedMediaType,
    YardstickError,
    not_found,
)
from service.ingest.batch import batch_files, kind_of
from service.ingest.load import IngestResult, ingest, ingest_body
from service.store.lake import Lake
from service.store.records import Idempotency, Outcome
from service.store.snapshot import Store

router = APIRouter(prefix="/v1", tags=["writes"])
audit = APIRouter(prefix="/v1", tags=["writes"], responses=AUDIT_RESPONSES)

SUFFIXES = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "application/jsonlines": "jsonl",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": "xlsm",
    "application/vnd.ms-excel": "xls",
    "application/octet-stream": "bin",
}
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="Makes a retried upload safe")]
Sheet = Annotated[
    str | None,
    Query(max_length=100, description="A workbook's sheet, by name or number (from 1); default: the first visible"),
]
_WIDE = "for every row: a wide sheet's layout lacks it, or the file has no such column"
Period = Annotated[
    str | None, Query(max_length=40, description=f"The period ({_WIDE})", examples=["2022年1-9月", "2022-Q3"])
]
Region = Annotated[
    str | None, Query(max_length=64, description=f"The region, a code or a name ({_WIDE})", examples=["430400"])
]
Indicator = Annotated[str | None, Query(max_length=100, description=f"The indicator, a code or a name ({_WIDE})")]
Published = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description=f"The vintage date, YYYY-MM-DD ({_WIDE})"),
]


async def read_body(request: Request, max_bytes: int, timeout: float) -> bytes:
    """The request body, refused with 413 as soon as it is known to be too large, 408 if it stalls."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"the body declares {declared} bytes; at most {max_bytes} are accepted")
    parts, size = [], 0
    stream = request.stream().__aiter__()
    while True:
        try:
            with anyio.fail_after(timeout):
                chunk = await stream.__anext__()
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise RequestTimeout(f"no part of the body arrived for {timeout:g} s") from None
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _name(request: Request, kind: str) -> str:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in SUFFIXES:
        raise UnsupportedMediaType(
            f"cannot read {media}: send text/csv, application/x-ndjson, application/vnd.apache.parquet, or an Excel "
            "workbook (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/vnd.ms-excel)"
        )
    return f"{kind}.{SUFFIXES.get(media, 'bin')}"


async def _upload(
    request: Request,
    kind: str,
    key_name: str,
    settings: SettingsDep,
    idempotency_key: str | None,
    given: dict[str, str | None],
) -> Response:
    body = await read_body(request, int(settings.max_body_mb * 1024 * 1024), settings.body_timeout_seconds)
    name = _name(request, kind)
    _check_charset(request, name, body)
    digest = hashlib.sha256(body).hexdigest()
    values = {k: v for k, v in given.items() if v}
    # the values given change what the body means: a retry under the same key must give the same ones
    claim = hashlib.sha256(body + orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest() if values else digest
    lake = request.app.state.store.lake
    commit = partial(ingest_body, lake, name, body, author=key_name, kind=kind, given=values)
    return await _commit(request, commit, claim, key_name, idempotency_key, digest)


async def _commit(
    request: Request,
    commit: Callable[[], IngestResult],
    digest: str,
    key_name: str,
    idempotency_key: str | None,
    body_sha256: str | None = None,
) -> Response:
    """Run one commit, once per Idempotency-Key (claimed before the work: the same key on two replicas at once runs
    once; a retry gets the first answer). ``digest`` identifies the request; ``body_sha256``, the body (default:
    the same)."""
    store: Store = request.app.state.store
    ident = Idempotency.ident(key_name, idempotency_key) if idempotency_key else None
    if ident is not None:
        seen = await anyio.to_thread.run_sync(store.lake.idempotency.claim, ident, digest)
        if seen is not None:
            return _replay(seen, idempotency_key, digest)
    try:
        result: IngestResult = await anyio.to_thread.run_sync(commit)
    except BaseException:
        if ident is not None:
            await anyio.to_thread.run_sync(store.lake.idempotency.release, ident)
        raise
    body_out = {
        "snapshot": result.snapshot,
        "added": result.added,
        "unchanged": result.unchanged,
        "revised": result.revised,
        "catalog_rows": result.catalog_rows,
        "files": result.files,
        "sha256": body_sha256 or digest,
    }
    status = 201 if result.committed else 200
    if ident is not None:
        await anyio.to_thread.run_sync(store.lake.idempotency.remember, ident, Outcome(digest, status, body_out))
    # the snapshot that holds the write: X-Min-Snapshot with it reads the write on any replica
    headers = {"x-snapshot": result.snapshot} if result.snapshot else None
    return Response(orjson.dumps(body_out), status_code=status, media_type="application/json", headers=headers)


@router.post(
    "/batch",
    name="batch-post",
    status_code=201,
    responses=WRITE_RESPONSES,
    summary="Upload sources, indicators, regions and observations together, as one commit",
    openapi_extra=BATCH_BODY,
)
async def post_batch(
    request: Request, key: WriterDep, settings: SettingsDep, idempotency_key: IdempotencyKey = None
) -> Response:
    """A JSON object whose members (sources, indicators, regions, observations) are lists of rows with the columns
    of `yardstick ingest`: all or nothing, one commit (a reviewed document: its source, new indicators and
    figures). 201 with the new snapshot, 200 when nothing changed."""
    body = await read_body(request, int(settings.max_body_mb * 1024 * 1024), settings.body_timeout_seconds)
    files = batch_files(body)
    kinds = {n: kind_of(n) for n, _ in files}
    commit = partial(ingest, request.app.state.store.lake, files, author=key.name, kinds=kinds)
    return await _commit(request, commit, hashlib.sha256(body).hexdigest(), key.name, idempotency_key)


def _check_charset(request: Request, name: str, body: bytes) -> None:
    """A declared charset is a promise: UTF-8 declared on a body that is not UTF-8 is refused, not guessed."""
    params = request.headers.get("content-type", "").lower().split(";")[1:]
    charset = next((p.split("=", 1)[1].strip().strip('"') for p in params if p.strip().startswith("charset=")), None)
    if charset in ("utf-8", "utf8"):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidData(
                f"{name}: the body is declared UTF-8 but byte {exc.start} is not UTF-8",
                [
                    Problem(
                        "declared charset=utf-8 does not match the body (GBK? drop the charset to have it detected)",
                        file=name,
                    )
                ],
            ) from None


def _replay(seen: Outcome, idempotency_key: str | None, digest: str) -> Response:
    """The answer an earlier upload with this Idempotency-Key got (on any replica), replayed."""
    if seen.sha256 != digest:
        raise IdempotencyMismatch(f"Idempotency-Key {idempotency_key!r} was used with a different body")
    snapshot = seen.response.get("snapshot")
    return Response(
        orjson.dumps(seen.response),
        status_code=seen.status,
        media_type="application/json",
        headers={"idempotency-replayed": "true", **({"x-snapshot": snapshot} if snapshot else {})},
    )


class IdempotencyMismatch(YardstickError):
    status = 422
    type = "/problems/idempotency-key-reused"
    title = "Idempotency-Key reused with another body"


def _post(kind: str) -> Any:
    async def handler(
        request: Request,
        key: WriterDep,
        settings: SettingsDep,
        idempotency_key: IdempotencyKey = None,
        sheet: Sheet = None,
    ) -> Response:
        return await _upload(request, kind, key.name, settings, idempotency_key, {"sheet": sheet})

    async def observations(
        request: Request,
        key: WriterDep,
        settings: SettingsDep,
        idempotency_key: IdempotencyKey = None,
        sheet: Sheet = None,
        period: Period = None,
        region: Region = None,
        indicator: Indicator = None,
        published: Published = None,
    ) -> Response:
        given = {"sheet": sheet, "period": period, "region": region, "indicator": indicator, "published": published}
        return await _upload(request, kind, key.name, settings, idempotency_key, given)

    chosen = observations if kind == "observations" else handler
    chosen.__name__ = f"post_{kind}"
    chosen.__doc__ = (
        f"Upload {kind} (CSV, JSON Lines, Parquet or an Excel workbook; the same columns as `yardstick ingest`"
        + (", or a wide sheet: docs/api.md" if kind == "observations" else "")
        + "): all or nothing, one commit. 201 with the new snapshot, 200 when nothing changed."
    )
    return chosen


for _kind in ("observations", "regions", "indicators", "sources"):
    router.add_api_route(
        f"/{_kind}",
        _post(_kind),
        methods=["POST"],
        name=f"{_kind}-post",
        status_code=201,
        responses=WRITE_RESPONSES,
        summary=f"Upload {_kind}",
        openapi_extra=UPLOAD_BODY,
    )


@audit.get(
    "/snapshots",
    name="snapshots-list",
    summary="Every commit: who, when, what (counts, file digests)",
    responses={200: {"description": "Every snapshot, newest first", "model": schemas.SnapshotsList}},
)
def snapshots_list(request: Request) -> Response:
    lake: Lake = request.app.state.store.lake
    retained = lake.retained()
    rows = [_summary(lake, sid, sid in retained) for sid in reversed(lake.snapshot_ids())]
    return Response(orjson.dumps({"snapshots": rows}), media_type="application/json")


@audit.get(
    "/snapshots/{snapshot}",
    name="snapshots-get",
    summary="One commit with its files and digests",
    responses={200: {"description": "The snapshot's manifest", "model": schemas.SnapshotManifest}},
)
def snapshots_get(
    request: Request,
    snapshot: Annotated[str, Path(pattern=r"^\d{1,6}$", description="Snapshot id", examples=["000001"])],
) -> Response:
    lake: Lake = request.app.state.store.lake
    if int(snapshot) not in lake.snapshot_ids():
        raise not_found("snapshot", f"no snapshot {snapshot}")
    m = lake.manifest(int(snapshot))
    return Response(m.to_json(), media_type="application/json")


def _summary(lake: Lake, sid: int, retained: bool) -> dict[str, Any]:
    m = lake.manifest(sid)
    return {
        "snapshot": m.label,
        "committed_at": m.committed_at,
        "author": m.author,
        "message": m.message,
        "counts": m.counts,
        "changes": m.changes,
        "files": len(m.files),
        "retained": retained,
    }
