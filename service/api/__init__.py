"""create_app(settings) → FastAPI: routers, middleware, the error handler, and the lifespan that opens the store."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from service import __version__
from service.api import bulk, catalog, charts, compare, docs_ui, extract, ops, pages, problems, sdmx, series, writes
from service.api.access import GUARDED, Gate
from service.api.caching import SnapshotCaching
from service.api.http import Cors, HeadAsGet, known_parameters
from service.config import Settings
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
    """Seed an empty lake, repair what other engines would read wrong, open the current snapshot, preload it."""
    settings: Settings = app.state.settings
    lake: Lake = app.state.store.lake
    if settings.load_seed:
        notice = seed_notice(lake, settings.seed_dir)
        if notice is not None:
            log.warning(notice)
            app.state.notices.append(notice)
        ensure_seed(lake, settings.seed_dir)
    for repaired in lake.repair():  # other engines read what the log committed
        log.warning("repaired at start: %s", repaired)
    app.state.store.reopen()  # the (possibly just seeded) current snapshot
    if settings.preload:  # series, compare and rankings answer from memory from the first request
        await anyio.to_thread.run_sync(app.state.store.snapshot().preload)
    yield


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
    )
    store = Store(settings, lake, prepared.fragments)  # frames carry each latest row's JSON and CSV
    app.state.settings = settings
    app.state.store = store
    app.state.metrics = ops.Metrics()
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
        fast=series.fast_series,
    )
    app.add_middleware(
        Gate,
        keys=store.lake.keys,
        read_requires_key=settings.read_requires_key,
        per_client=settings.rate_limit_per_minute,
        per_key=settings.key_rate_limit_per_minute,
    )
    app.add_middleware(Cors, read_origins=settings.cors_origins, write_origins=settings.cors_write_origins)
    app.add_middleware(ops.MetricsMiddleware, metrics=app.state.metrics)


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
        app.openapi_schema = spec
    return app.openapi_schema


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
