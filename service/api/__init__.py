"""create_app(settings) → FastAPI: routers, middleware, the error handler, and the lifespan that opens the store."""

from __future__ import annotations

import gc
import inspect
import json
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import anyio
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from service import __version__, events
from service.api import (
    bulk,
    catalog,
    charts,
    compare,
    docs_ui,
    extract,
    ops,
    pages,
    problems,
    sdmx,
    series,
    telemetry,
    writes,
)
from service.api.access import GUARDED, Gate
from service.api.caching import SnapshotCaching
from service.api.http import Cors, HeadAsGet, known_parameters
from service.config import Settings
from service.errors import CatalogUnavailable, StorageUnavailable
from service.formats import prepared
from service.ingest.seed import ensure_seed, seed_notice
from service.store.lake import Lake
from service.store.snapshot import Store

log = logging.getLogger("yardstick")
DESCRIPTION = """Regional economic indicators as time series: every revision kept (vintages), comparisons of a
region with its province and nation, rankings among siblings, in JSON, CSV, Parquet and Arrow.
Errors are RFC 9457 problem documents."""


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Seed an empty lake, repair what other engines would read wrong, open the current snapshot, preload it.
    A catalog or object store that does not answer leaves the replica up, degraded, retrying (see Store), and the
    seeding and repair are tried again until they happen (once: under the writer lock, only into an empty lake)."""
    settings: Settings = app.state.settings
    store: Store = app.state.store
    stop_listening = events.subscribe(app.state.metrics.on_event)
    prepared = _try_prepare(app, settings, store.lake)
    store.try_open()  # the (possibly just seeded) current snapshot
    _start_line(app, store)
    stop = threading.Event()
    if not store.ready:
        threading.Thread(target=store.keep_trying, args=(stop,), name="reopen", daemon=True).start()
    elif settings.preload:  # series, compare and rankings answer from memory from the first request
        await anyio.to_thread.run_sync(store.snapshot().preload)
    if not prepared:
        threading.Thread(target=_keep_preparing, args=(app, settings, store, stop), name="seed", daemon=True).start()
    try:
        yield
    finally:
        stop.set()
        stop_listening()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call] # its live gauges go; its counters stay in the sums


def _try_prepare(app: FastAPI, settings: Settings, lake: Lake) -> bool:
    """``_prepare``, an outage logged instead of raised (False: to be tried again)."""
    try:
        _prepare(app, settings, lake)
        return True
    except (CatalogUnavailable, StorageUnavailable, OSError) as exc:
        log.warning("not seeded or repaired yet: %s", exc)
        return False


def _keep_preparing(app: FastAPI, settings: Settings, store: Store, stop: threading.Event) -> None:
    """Seed and repair once the catalog and the object store answer (waits 0.5 s, doubling up to 5 s); the
    snapshot a seed commits is served at the store's next check."""
    wait = 0.5
    while not stop.wait(wait):
        try:
            if _try_prepare(app, settings, store.lake):
                return
        except Exception:  # not an outage (a newer catalog, a broken seed file): said once, not retried
            log.exception("not seeded or repaired")
            return
        wait = min(wait * 2, 5.0)


def _prepare(app: FastAPI, settings: Settings, lake: Lake) -> None:
    if settings.load_seed:
        notice = seed_notice(lake, settings.seed_dir)
        if notice is not None and notice not in app.state.notices:
            log.warning(notice)
            app.state.notices.append(notice)
        ensure_seed(lake, settings.seed_dir)
    for repaired in lake.repair():  # other engines read what the log committed
        log.warning("repaired at start: %s", repaired)


def _start_line(app: FastAPI, store: Store) -> None:
    for part, (_, error) in store.down.items():  # an outage met before anyone listened
        app.state.metrics.on_event("degraded", {"part": part, "error": error})
    snap = store.snapshot() if store.ready else None
    fields = {
        "event": "start",
        "replica": app.state.replica,
        **store.lake.where(),
        "snapshot": snap.id if snap is not None else None,
        "ready": store.ready,
    }
    log.info(
        "serving snapshot %s from catalog %s and warehouse %s",
        fields["snapshot"],
        fields["catalog"],
        fields["warehouse"],
        extra={"fields": fields},
    )


# FastAPI's own OpenTelemetry hooks (newer releases) ask the global providers on every request; the service's
# metrics, request ids and logs are its own (service/api/telemetry.py), so they are off where FastAPI has them.
_NO_NATIVE_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(settings: Settings, lake: Lake | None = None) -> FastAPI:
    """The service over the store the settings name (or over ``lake``: any implementation of the interface)."""
    app = FastAPI(
        title="Yardstick",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # served from packaged assets (service.api.docs_ui), never a CDN
        redoc_url=None,
        dependencies=[Depends(known_parameters)],
        **_NO_NATIVE_TELEMETRY,
    )
    store = Store(settings, lake, prepared.fragments)  # frames carry each latest row's JSON and CSV
    app.state.settings = settings
    app.state.store = store
    app.state.metrics = telemetry.Metrics()
    app.state.readiness = ops.Readiness(store)
    app.state.replica = settings.replica_name or socket.gethostname()
    app.state.notices = []  # things an operator must know, also shown in /healthz
    app.state.keys = store.lake.keys
    for module in (catalog, series, compare, charts, bulk, writes, extract, ops, pages, docs_ui, sdmx):
        app.include_router(module.router)
    app.include_router(writes.audit)
    problems.install(app)
    _middleware(app, settings, store)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _middleware(app: FastAPI, settings: Settings, store: Store) -> None:
    """Innermost first: each add_middleware wraps what was added before it."""
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        SnapshotCaching,
        store=store,
        max_age=60,
        max_bytes=int(settings.cache_mb * 1024 * 1024),
        fast=_fast_lane,
    )
    app.add_middleware(
        Gate,
        keys=store.lake.keys,
        read_requires_key=settings.read_requires_key,
        per_client=settings.rate_limit_per_minute,
        per_key=settings.key_rate_limit_per_minute,
    )
    app.add_middleware(Cors, read_origins=settings.cors_origins, write_origins=settings.cors_write_origins)
    app.add_middleware(telemetry.RequestMiddleware, metrics=app.state.metrics, replica=app.state.replica)


def _fast_lane(snap: Any, path: str, query: str) -> bytes | None:
    """The commonest JSON reads answered without FastAPI's parameter solving (each lane: the handler's bytes)."""
    if path.startswith("/v1/series/") or path == "/v1/observations":
        return series.fast_series(snap, path, query)
    if path.startswith("/v1/compare/"):
        return compare.fast_compare(snap, path, query)
    if path.startswith("/v1/rankings/"):
        return compare.fast_rankings(snap, path, query)
    return None


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document without its default 422 responses: parameter errors here are 400 problem documents."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for route, path in spec["paths"].items():
            for op in path.values():
                if op.get("responses", {}).get("422", {}).get("description") == "Validation Error":
                    op["responses"].pop("422")  # FastAPI's default; ours are documented where they happen
                for status, response in _common_responses(route).items():
                    op["responses"].setdefault(status, response)
        for name in ("HTTPValidationError", "ValidationError"):
            spec.get("components", {}).get("schemas", {}).pop(name, None)
        _examples(spec)
        app.openapi_schema = spec
    return app.openapi_schema


def _examples(spec: dict[str, Any]) -> None:
    """Each JSON answer's example: a real answer over the seed data (service/api/examples.json, written by
    ``python -m tests.contract.examples`` and checked against the app by tests/contract/test_schemas.py)."""
    found = json.loads(resources.files("service.api").joinpath("examples.json").read_text(encoding="utf-8"))
    for path in spec["paths"].values():
        for op in path.values():
            for status, by_media in found.get(op["operationId"], {}).items():
                content = op["responses"].get(status, {}).get("content", {})
                for media, example in by_media.items():
                    if media in content:
                        content[media]["example"] = example


def _common_responses(route: str) -> dict[str, Any]:
    """Answers any operation may give before its handler runs: the gate's on data paths, the server's on all."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
    out = {"431": {"description": "The request line and headers exceed YARDSTICK_MAX_HEADER_KB", "content": problem}}
    if route.startswith(GUARDED):
        out["401"] = {"description": "An unknown or revoked API key, or none where one is required", "content": problem}
        out["429"] = {"description": "Rate limit: see Retry-After and the RateLimit-* headers", "content": problem}
    return out


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings from the environment. What importing and building the app made lives as
    long as the worker, so it is frozen out of the cycle collector's reach: a full collection then walks only what
    requests create (it walked every module object before, a pause of up to 80 ms under load)."""
    app = create_app(Settings())
    gc.freeze()
    return app


def openapi_document() -> dict[str, Any]:
    return create_app(Settings(load_seed=False, data_dir=_scratch())).openapi()


def _scratch() -> Any:
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="yardstick-openapi-"))
