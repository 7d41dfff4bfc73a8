"""HTTP caching for data GETs: pin one snapshot per request, a strong ETag from (snapshot, request), 304 on
If-None-Match, and a per-snapshot response cache so a repeated URL costs one dictionary lookup.

Pure ASGI middleware: a 304 or a cached answer never reaches FastAPI's routing or the thread pool.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.problems import of_error
from service.errors import BadParameter, CatalogUnavailable, NotFound, Problem, YardstickError
from service.store.snapshot import Memo, Snapshot, Store

MAX_CACHED_BODY = 1 << 20
CACHEABLE_PREFIX = ("/v1/", "/sdmx/")
UNCACHED_PREFIXES = ("/v1/bulk",)


MIN_SNAPSHOT = b"x-min-snapshot"
UNPINNED = ("/livez", "/readyz", "/metrics")


def at_least(scope: Scope) -> int:
    """The snapshot a client needs at least (``X-Min-Snapshot``, e.g. the one its write's 201 named): a replica that
    has not opened it yet does so before answering; one the catalog has not committed is a 404."""
    raw = dict(scope["headers"]).get(MIN_SNAPSHOT)
    if raw is None:
        return 0
    if not raw.isdigit() or len(raw) > 9:
        raise BadParameter(
            f"X-Min-Snapshot must be a snapshot id such as 000012, not {raw.decode('latin-1')[:40]!r}",
            [Problem("not a snapshot id", header="X-Min-Snapshot")],
        )
    return int(raw)


def etag_for(snapshot: str, scope: Scope) -> str:
    headers = dict(scope["headers"])
    key = b"\x00".join([scope["path"].encode(), scope.get("query_string", b""), headers.get(b"accept", b"")])
    return f'"{snapshot}-{hashlib.blake2b(key, digest_size=10).hexdigest()}"'


def matches(if_none_match: str, etag: str) -> bool:
    """An exact tag we issued (weak comparison, RFC 9110 13.1.2). ``*`` is left to the handler: it matches only
    a resource that exists, which takes answering the request to know."""
    return etag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]


class ResponseCache:
    """Complete 200 responses of one snapshot, least recently used out first, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()

    def get(self, etag: str) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        hit = self.items.get(etag)
        if hit is not None:
            self.items.move_to_end(etag)
        return hit

    def put(self, etag: str, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if len(body) > min(MAX_CACHED_BODY, self.max_bytes) or etag in self.items:
            return
        self.items[etag] = (headers, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            _, (_, old) = self.items.popitem(last=False)
            self.size -= len(old)


class SnapshotCaching:
    """ETag, 304 and the response cache for GET/HEAD under /v1/ and /sdmx/."""

    def __init__(
        self,
        app: ASGIApp,
        store: Store,
        max_age: int,
        max_bytes: int,
        fast: Callable[[Snapshot, str, str], bytes | None] | None = None,
    ) -> None:
        self.app = app
        self.fast = fast  # answers the commonest requests without FastAPI (see api.series.fast_series)
        self.store = store
        self.cache_control = f"public, max-age={max_age}".encode()
        self.max_bytes = max_bytes

    def _pin(self, scope: Scope) -> Snapshot:
        """The snapshot this request reads from start to end: the newest, and at least the one it asks for."""
        needed = at_least(scope)
        snap = self.store.snapshot(needed)
        if snap.manifest.id < needed:
            if self.store.catalog_down_since is not None:
                raise CatalogUnavailable(
                    f"snapshot {needed:06d} cannot be looked up: the catalog database does not answer",
                    extra={"headers": {"retry-after": "5"}},
                )
            raise NotFound(f"no snapshot {needed:06d} has been committed (the newest is {snap.id})")
        return snap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in UNPINNED:  # they answer (and say why) while no snapshot can be opened
            await self.app(scope, receive, send)
            return
        try:
            snap = self._pin(scope)
        except YardstickError as exc:
            await of_error(exc, scope["path"])(scope, receive, send)
            return
        scope.setdefault("state", {})["snapshot"] = snap
        if not _cacheable(scope):
            await self.app(scope, receive, send)
            return
        etag = etag_for(snap.id, scope)
        fixed = [
            (b"etag", etag.encode()),
            (b"cache-control", self.cache_control),
            (b"vary", b"Accept, Origin"),
            (b"x-snapshot", snap.id.encode()),
        ]
        inm = dict(scope["headers"]).get(b"if-none-match")
        any_tag = inm is not None and "*" in [t.strip() for t in inm.decode("latin-1").split(",")]
        if inm is not None and matches(inm.decode("latin-1"), etag):
            await _not_modified(send, fixed)
            return
        cache = _responses(snap, self.max_bytes)
        hit = cache.get(etag) or self._fast(scope, snap, cache, etag, fixed)
        if hit is not None:
            await (_not_modified(send, fixed) if any_tag else _send(send, *hit, scope["method"] == "HEAD"))
            return
        store = scope["method"] == "GET" and self.max_bytes > 0
        await self.app(scope, receive, _Capture(send, fixed, cache, etag, store, any_tag))

    def _fast(
        self, scope: Scope, snap: Snapshot, cache: ResponseCache, etag: str, fixed: list[tuple[bytes, bytes]]
    ) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """A JSON series answered without the router (kept in the cache), if the fast path knows the request."""
        if self.fast is None or not _wants_json(scope):
            return None
        fast = self.fast(snap, scope["path"], scope.get("query_string", b"").decode("latin-1"))
        if fast is None:
            return None
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(fast)).encode()), *fixed]
        cache.put(etag, headers, fast)
        return headers, fast


def _cacheable(scope: Scope) -> bool:
    path: str = scope["path"]
    return (
        scope["method"] in ("GET", "HEAD")
        and path.startswith(CACHEABLE_PREFIX)
        and not path.startswith(UNCACHED_PREFIXES)
    )


async def _not_modified(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _send(send: Send, headers: list[tuple[bytes, bytes]], body: bytes, head: bool) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def _wants_json(scope: Scope) -> bool:
    accept = dict(scope["headers"]).get(b"accept", b"")
    return accept in (b"", b"*/*", b"application/json")


RESPONSES: Memo[ResponseCache] = Memo("responses")


def _responses(snap: Snapshot, max_bytes: int) -> ResponseCache:
    return snap.memo(RESPONSES, lambda: ResponseCache(max_bytes))


class _Capture:
    """Adds the caching headers to a 200 and keeps a copy of small complete bodies."""

    def __init__(
        self,
        send: Send,
        fixed: list[tuple[bytes, bytes]],
        cache: ResponseCache,
        etag: str,
        store: bool,
        any_tag: bool = False,
    ) -> None:
        self.send, self.fixed, self.cache, self.etag, self.store = send, fixed, cache, etag, store
        self.any_tag = any_tag  # If-None-Match: * — a 200 becomes a 304 (the resource exists)
        self.silent = False
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.parts: list[bytes] = []
        self.size = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if message["status"] == 200 and self.any_tag:
                self.store, self.silent = False, True
                await _not_modified(self.send, self.fixed)
                return
            message = self._start(message)
        elif self.silent:
            return
        elif message["type"] == "http.response.body" and self.store and self.headers is not None:
            self._keep(message)
        await self.send(message)

    def _start(self, message: Message) -> Message:
        """A 200 gets the caching headers (files, such as exports, keep their own validators); others are not kept."""
        own_tag = any(name == b"etag" for name, _ in message.get("headers", []))
        if message["status"] != 200 or own_tag:
            self.store = False
            return message
        replaced = {name for name, _ in self.fixed}
        self.headers = [h for h in message.get("headers", []) if h[0] not in replaced] + self.fixed
        return {**message, "headers": self.headers}

    def _keep(self, message: Message) -> None:
        """Copy a body part; a complete small body goes into the cache."""
        assert self.headers is not None
        self.parts.append(message.get("body", b""))
        self.size += len(self.parts[-1])
        if self.size > MAX_CACHED_BODY:
            self.store = False
        elif not message.get("more_body", False):
            self.cache.put(self.etag, self.headers, b"".join(self.parts))
