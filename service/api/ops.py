"""Operations: /healthz (snapshot id and counts) and /metrics (Prometheus text)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api import schemas
from service.api.deps import SnapshotDep

router = APIRouter(tags=["operations"])

KNOWN = (
    "/v1/regions",
    "/v1/indicators",
    "/v1/sources",
    "/v1/series",
    "/v1/observations",
    "/v1/compare",
    "/v1/rankings",
    "/v1/search",
    "/v1/bulk",
    "/v1/snapshots",
    "/healthz",
    "/metrics",
    "/docs",
    "/openapi.json",
)


class Metrics:
    """Per-process metrics (each uvicorn worker reports its own)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("yardstick_requests", "HTTP requests", ["route", "status"], registry=self.registry)
        self.latency = Histogram(
            "yardstick_request_seconds",
            "Time to answer",
            ["route"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
        )
        self.bytes = Counter("yardstick_response_bytes", "Body bytes sent", ["route"], registry=self.registry)
        self.snapshot_age = Gauge(
            "yardstick_snapshot_age_seconds", "Age of the snapshot served", registry=self.registry
        )
        self.frames = Gauge(
            "yardstick_frames",
            "Indicators' frames in memory: count, bytes, budget, loads, evictions",
            ["what"],
            registry=self.registry,
        )


def route_of(path: str) -> str:
    return next((k for k in KNOWN if path == k or path.startswith(k + "/")), "other")


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        sent = 0

        async def wrapped(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            route = route_of(scope["path"])
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)
            self.metrics.bytes.labels(route).inc(sent)


@router.get(
    "/healthz",
    name="healthz",
    summary="Liveness, with the snapshot served",
    responses={
        200: {
            "description": "The service answers: the snapshot it serves, and what an operator must know",
            "model": schemas.Health,
        }
    },
)
def healthz(request: Request, snap: SnapshotDep) -> Response:
    down = request.app.state.store.catalog_down_since
    body = {
        "status": "ok" if down is None else "degraded",
        "snapshot": snap.id,
        "committed_at": snap.manifest.committed_at,
        "counts": snap.manifest.counts,
        "notices": [*request.app.state.notices, *_catalog_notice(down, snap.id)],
    }
    return Response(orjson.dumps(body), media_type="application/json", headers={"cache-control": "no-store"})


def _catalog_notice(down: float | None, snapshot: str) -> list[str]:
    """Still serving what it has when the catalog database is down: taking every replica out would serve nothing."""
    if down is None:
        return []
    since = datetime.fromtimestamp(down, UTC).isoformat(timespec="seconds")
    return [f"the catalog database does not answer since {since}: serving snapshot {snapshot}; writes get 503"]


@router.get(
    "/metrics",
    name="metrics",
    summary="Prometheus metrics of this worker",
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
    response_class=Response,
)
def metrics(request: Request, snap: SnapshotDep) -> Response:
    cache = snap.frame_cache
    for what, value in (
        ("count", len(cache)),
        ("bytes", cache.bytes),
        ("budget_bytes", cache.budget),
        ("loads", cache.loads),
        ("evictions", cache.evictions),
    ):
        request.app.state.metrics.frames.labels(what).set(value)
    body = render(request.app.state.metrics, snap.manifest.committed_at)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"})


def render(metrics: Metrics, committed_at: str) -> bytes:
    if committed_at:
        metrics.snapshot_age.set(time.time() - datetime.fromisoformat(committed_at).timestamp())
    return generate_latest(metrics.registry)
