"""What an operator watches: Prometheus metrics, one log line per request and per event, and the request's
identity (``X-Request-Id``, ``X-Yardstick-Replica``) on every answer.

Metrics are per process, and summed over a server's workers when ``yardstick serve`` runs several: it points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder, every worker writes its values there, and ``/metrics`` (whichever
worker answers) reads them all (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import workers
from service.api.problems import unexpected
from service.logs import request_id
from service.store.snapshot import Store

log = logging.getLogger("yardstick.request")
events_log = logging.getLogger("yardstick.event")
SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
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
    "/livez",
    "/readyz",
    "/metrics",
    "/docs",
    "/openapi.json",
)
SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5)
COMMIT_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class Metrics:
    """The service's metrics, in a registry of their own (each app of a test process has its own)."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter("yardstick_requests", "HTTP requests", ["route", "status"], registry=r)
        self.latency = Histogram("yardstick_request_seconds", "Time to answer", ["route"], registry=r, buckets=SECONDS)
        self.bytes = Counter("yardstick_response_bytes", "Body bytes sent", ["route"], registry=r)
        self.refused = Counter("yardstick_refused", "Answers 401 (keys) and 429 (rate limits)", ["status"], registry=r)
        self.snapshot_age = Gauge(
            "yardstick_snapshot_age_seconds", "Age of the snapshot served", registry=r, multiprocess_mode="livemax"
        )
        self.lag = Gauge(
            "yardstick_snapshot_lag_seconds",
            "Seconds since the newest commit seen was made, while an older snapshot is still served (0: current)",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.up = Gauge(
            "yardstick_up",
            "1 while the part answers (catalog, warehouse)",
            ["part"],
            registry=r,
            multiprocess_mode="livemin",
        )
        self.frames = Gauge(
            "yardstick_frames",
            "Indicators' frames in memory: count, bytes, budget, loads, evictions",
            ["what"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.commits = Counter("yardstick_commits", "Snapshots committed by this replica", registry=r)
        self.commit_seconds = Histogram(
            "yardstick_commit_seconds", "A commit's time, writer lock held", registry=r, buckets=COMMIT_SECONDS
        )
        self.commit_rows = Counter("yardstick_commit_rows", "Rows in the files commits added", registry=r)
        self.commit_bytes = Counter("yardstick_commit_bytes", "Bytes of the files commits added", registry=r)
        self.lock_wait = Histogram(
            "yardstick_writer_lock_wait_seconds", "Wait for the one-writer lock", registry=r, buckets=COMMIT_SECONDS
        )
        self.errors = Counter(
            "yardstick_store_errors", "Catalog database or object store not answering", ["part"], registry=r
        )
        self.downloads = Counter(
            "yardstick_downloads", "Warehouse files downloaded into this replica's cache", registry=r
        )
        self.download_bytes = Counter("yardstick_download_bytes", "Bytes downloaded into the cache", registry=r)
        for part in ("catalog", "warehouse"):
            self.up.labels(part).set(1)
        self.refreshes = Counter("yardstick_refreshes", "Newer snapshots opened", registry=r)
        self.replays = Counter("yardstick_idempotency_replays", "Uploads answered from an earlier answer", registry=r)
        self.children: dict[tuple[str, int], tuple[Any, Any, Any]] = {}

    def of(self, route: str, status: int) -> tuple[Any, Any, Any]:
        """The request counter, latency histogram and bytes counter of a route and status (looked up once)."""
        found = self.children.get((route, status))
        if found is None:
            found = self.children[(route, status)] = (
                self.requests.labels(route, str(status)),
                self.latency.labels(route),
                self.bytes.labels(route),
            )
        return found

    def observe(self, store: Store, probe: dict[str, str | None]) -> None:
        """The gauges read at a scrape: frames in memory, the snapshot's age, the refresh lag, what answers."""
        for part, error in probe.items():
            self.up.labels(part).set(0 if error is not None or part in store.down else 1)
        cache = store.frames
        for what, value in (
            ("count", len(cache)),
            ("bytes", cache.bytes),
            ("budget_bytes", cache.budget),
            ("loads", cache.loads),
            ("evictions", cache.evictions),
        ):
            self.frames.labels(what).set(value)
        self.lag.set(store.lag_seconds())
        committed_at = store.snapshot().manifest.committed_at if store.ready else ""
        if committed_at:
            self.snapshot_age.set(time.time() - datetime.fromisoformat(committed_at).timestamp())

    def on_event(self, event: str, fields: dict[str, Any]) -> None:
        """An event of the store: counted, and logged as one line."""
        if event == "commit":
            self.commits.inc()
            self.commit_seconds.observe(fields["seconds"])
            self.commit_rows.inc(fields["rows"])
            self.commit_bytes.inc(fields["bytes"])
        elif event == "writer_lock":
            self.lock_wait.observe(fields["seconds"])
            return  # every commit waits (mostly 0 s): a metric, not a log line
        elif event in ("catalog_error", "warehouse_error"):
            self.errors.labels(event.removesuffix("_error")).inc()
        elif event == "download":
            self.downloads.inc()
            self.download_bytes.inc(fields["bytes"])
            return
        elif event == "refresh":
            self.refreshes.inc()
            self.lag.set(0)
        elif event in ("degraded", "recovered"):
            self.up.labels(fields["part"]).set(1 if event == "recovered" else 0)
        level = logging.WARNING if event in ("degraded", "catalog_error", "warehouse_error") else logging.INFO
        events_log.log(level, event, extra={"fields": {"event": event, **fields}})


def render(metrics: Metrics) -> bytes:
    """The metrics of every worker of this server (multiprocess mode), or of this process."""
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers.forget_dead(Path(folder))  # a worker killed outright no longer counts in the live gauges
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(metrics.registry)


def route_of(path: str) -> str:
    return next((k for k in KNOWN if path == k or path.startswith(k + "/")), "other")


class _Ids:
    """Fresh request ids: 32 hex digits, a random half per process and a counter (one ``os.urandom`` per process,
    not per request; unique across workers and replicas as a uuid4 is)."""

    def __init__(self) -> None:
        self.pid = -1

    def __call__(self) -> str:
        if self.pid != os.getpid():  # a forked worker draws its own half
            self.pid, self.prefix, self.counter = os.getpid(), uuid.uuid4().hex[:16], itertools.count()
        return f"{self.prefix}{next(self.counter):016x}"


new_id = _Ids()


def incoming_id(scope: Scope) -> str:
    """The client's X-Request-Id if it is sane (printable, short), else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            raw = value.decode("latin-1").strip()
            return raw if SANE_ID.fullmatch(raw) else new_id()
    return new_id()


class RequestMiddleware:
    """Outermost: a request id and the replica's name on every answer; metrics and one log line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, replica: str) -> None:
        self.app, self.metrics = app, metrics
        self.replica = replica.encode("latin-1", "replace")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(scope)
        token = request_id.set(rid)
        start = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "bytes": 0, "snapshot": None, "started": False}
        ident = [(b"x-request-id", rid.encode()), (b"x-yardstick-replica", self.replica)]

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"], seen["started"] = message["status"], True
                headers = list(message.get("headers", []))
                seen["snapshot"] = next((v.decode() for k, v in headers if k == b"x-snapshot"), None)
                seen["replayed"] = any(k == b"idempotency-replayed" for k, _ in headers)
                message = {**message, "headers": headers + ident}
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        except Exception as exc:
            if seen["started"]:  # the answer has begun: nothing else can be sent
                raise
            await unexpected(exc, scope["path"])(scope, receive, wrapped)  # one log line, with the request id
        finally:
            self._record(scope, seen, time.perf_counter() - start)
            request_id.reset(token)

    def _record(self, scope: Scope, seen: dict[str, Any], seconds: float) -> None:
        route, status = route_of(scope["path"]), seen["status"]
        m = self.metrics
        requests, latency, sent = m.of(route, status)
        requests.inc()
        latency.observe(seconds)
        sent.inc(seen["bytes"])
        if status in (401, 429):
            m.refused.labels(str(status)).inc()
        if seen.get("replayed"):
            m.replays.inc()
        if log.isEnabledFor(logging.INFO):
            log.info("request", extra={"fields": _line(scope, seen, seconds)})


def _line(scope: Scope, seen: dict[str, Any], seconds: float) -> dict[str, Any]:
    state = scope.get("state", {})
    route = scope.get("route")
    snap = state.get("snapshot")
    key = state.get("key")
    return {
        "method": scope["method"],
        "route": getattr(route, "path", None) or route_of(scope["path"]),
        "status": seen["status"],
        "duration_ms": round(seconds * 1000, 3),
        "bytes": seen["bytes"],
        "snapshot": seen["snapshot"] or (snap.id if snap is not None else None),
        "key": key.id if key is not None else None,
    }
