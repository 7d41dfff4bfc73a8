"""Operations: /livez (the process answers), /readyz (what works: snapshot, catalog, warehouse), /healthz (the
snapshot served, with notices) and /metrics (Prometheus text, every worker of the server)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import Field
from starlette.responses import Response

from service.api import schemas
from service.api.telemetry import render
from service.errors import YardstickError
from service.store.snapshot import Snapshot, Store

router = APIRouter(tags=["operations"])


class Live(schemas.Open):
    status: str = Field(description="alive")


class Part(schemas.Open):
    name: str = Field(description="the catalog's URL without its password, or the warehouse's location")
    ok: bool
    error: str | None = None
    down_since: str | None = None


class Ready(schemas.Open):
    status: str = Field(description="ok (a 503 problem document says degraded in state)")
    state: str
    snapshot: str | None
    catalog: Part
    warehouse: Part
    reads: bool
    writes: bool


PROBE_SECONDS = 1.5  # a probe's answer is reused this long: a load balancer polling every replica costs little
NO_STORE = {"cache-control": "no-store"}


class Readiness:
    """What this replica can do now: a cheap probe of the catalog and the warehouse, cached a moment."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._at = -PROBE_SECONDS
        self._probe: dict[str, str | None] = {"catalog": None, "warehouse": None}

    def probe(self) -> dict[str, str | None]:
        with self._lock:
            if time.monotonic() - self._at >= PROBE_SECONDS:
                self._probe, self._at = self.store.lake.probe(), time.monotonic()
                for part, error in self._probe.items():
                    self.store.mark(part, error)
            return dict(self._probe)

    def state(self) -> dict[str, Any]:
        try:
            snap: Snapshot | None = self.store.snapshot()  # also retries a snapshot that could not open yet
        except YardstickError:
            snap = None
        found = self.probe()
        where = self.store.lake.where()
        parts = {part: _part(where[part], found[part], self.store.down.get(part)) for part in ("catalog", "warehouse")}
        ok = snap is not None and all(p["ok"] for p in parts.values())
        return {
            "status": "ok" if ok else "degraded",
            "state": "ok" if ok else "degraded",  # also in the 503 problem document, whose "status" is 503
            "snapshot": snap.id if snap is not None else None,
            **parts,
            "reads": snap is not None,
            "writes": ok,
        }


def _part(name: str, error: str | None, down: tuple[float, str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "ok": error is None}
    if error is not None:
        out["error"] = error
    if down is not None:
        out["down_since"] = datetime.fromtimestamp(down[0], UTC).isoformat(timespec="seconds")
    return out


@router.get(
    "/livez",
    name="livez",
    summary="The process answers (200 while it lives)",
    responses={200: {"description": "Alive, whatever else is down", "model": Live}},
)
def livez() -> Response:
    return Response(b'{"status":"alive"}', media_type="application/json", headers=NO_STORE)


@router.get(
    "/readyz",
    name="readyz",
    summary="Ready to serve: a snapshot open, the catalog and the warehouse answer (503 says what still works)",
    responses={
        200: {"description": "Ready: a snapshot open, the catalog and the warehouse answer", "model": Ready},
        503: {
            "description": "Degraded: a problem document that says what still works (reads, writes, each part)",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
        },
    },
)
def readyz(request: Request) -> Response:
    state = request.app.state.readiness.state()
    if state["status"] == "ok":
        return Response(orjson.dumps(state), media_type="application/json", headers=NO_STORE)
    down = [p for p in ("catalog", "warehouse") if not state[p]["ok"]] or ["snapshot"]
    problem = {
        **state,
        "type": "/problems/not-ready",
        "title": "Not ready",
        "status": 503,  # RFC 9457: the HTTP status; "state" says "degraded"
        "detail": f"{' and '.join(down)} not available: reads {'go on' if state['reads'] else 'wait'}, writes wait",
        "instance": "/readyz",
    }
    headers = {**NO_STORE, "retry-after": "5"}
    return Response(orjson.dumps(problem), 503, media_type="application/problem+json", headers=headers)


@router.get(
    "/healthz",
    name="healthz",
    summary="The snapshot served, with what an operator must know",
    responses={
        200: {
            "description": "Reads are served: the snapshot, what an operator must know (degraded: as /readyz)",
            "model": schemas.Health,
        }
    },
)
def healthz(request: Request) -> Response:
    """200 while reads are served (as before); ``status`` is ``degraded`` when /readyz would say 503."""
    state = request.app.state.readiness.state()
    snap: Snapshot = request.app.state.store.snapshot()  # none open yet: 503 (the store's own problem document)
    body = {
        "status": state["status"],
        "snapshot": snap.id,
        "committed_at": snap.manifest.committed_at,
        "counts": snap.manifest.counts,
        "notices": [*request.app.state.notices, *_notices(state, snap.id)],
    }
    return Response(orjson.dumps(body), media_type="application/json", headers=NO_STORE)


def _notices(state: dict[str, Any], snapshot: str) -> list[str]:
    """Still serving what it has when a part is down: taking every replica out would serve nothing."""
    out = []
    for part, what in (("catalog", "the catalog database"), ("warehouse", "the warehouse")):
        if not state[part]["ok"]:
            since = state[part].get("down_since", "now")
            out.append(f"{what} does not answer since {since}: serving snapshot {snapshot}; writes get 503")
    return out


@router.get(
    "/metrics",
    name="metrics",
    summary="Prometheus metrics of this server (every worker)",
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
    response_class=Response,
)
def metrics(request: Request) -> Response:
    request.app.state.metrics.observe(request.app.state.store, request.app.state.readiness.probe())
    return Response(render(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
