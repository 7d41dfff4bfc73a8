"""HTTP caching for data GETs: pin one snapshot per request, a strong ETag from (snapshot, request), 304 on
If-None-Match, and a per-snapshot response cache so a repeated URL costs one dictionary lookup.

Pure ASGI middleware: a 304 or a cached answer never reaches FastAPI's routing or the thread pool.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.store.snapshot import Snapshot, Store

MAX_CACHED_BODY = 1 << 20
CACHEABLE_PREFIX = "/v1/"
UNCACHED_PREFIXES = ("/v1/bulk",)


def etag_for(snapshot: str, scope: Scope) -> str:
    headers = dict(scope["headers"])
    key = b"\x00".join([scope["path"].encode(), scope.get("query_string", b""), headers.get(b"accept", b"")])
    return f'"{snapshot}-{hashlib.blake2b(key, digest_size=10).hexdigest()}"'


def matches(if_none_match: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


class SnapshotCaching:
    """ETag, 304 and the response cache for GET/HEAD under /v1/."""

    def __init__(self, app: ASGIApp, store: Store, max_age: int, entries: int) -> None:
        self.app = app
        self.store = store
        self.cache_control = f"public, max-age={max_age}".encode()
        self.entries = entries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        snap = self.store.snapshot()
        scope.setdefault("state", {})["snapshot"] = snap
        path: str = scope["path"]
        if (
            scope["method"] not in ("GET", "HEAD")
            or not path.startswith(CACHEABLE_PREFIX)
            or path.startswith(UNCACHED_PREFIXES)
        ):
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
        if inm is not None and matches(inm.decode("latin-1"), etag):
            await send({"type": "http.response.start", "status": 304, "headers": fixed})
            await send({"type": "http.response.body", "body": b""})
            return
        cache = _responses(snap, self.entries)
        hit = cache.get(etag)
        if hit is not None:
            cache.move_to_end(etag)
            headers, body = hit
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
            return
        await self.app(scope, receive, _Capture(send, fixed, cache, etag, self.entries, scope["method"] == "GET"))


def _responses(snap: Snapshot, entries: int) -> OrderedDict[str, Any]:
    cache = snap.cache.get("responses")
    if cache is None:
        cache = snap.cache["responses"] = OrderedDict()
    return cache


class _Capture:
    """Adds the caching headers to a 200 and keeps a copy of small complete bodies."""

    def __init__(
        self,
        send: Send,
        fixed: list[tuple[bytes, bytes]],
        cache: OrderedDict[str, Any],
        etag: str,
        entries: int,
        store: bool,
    ) -> None:
        self.send, self.fixed, self.cache, self.etag, self.entries = send, fixed, cache, etag, entries
        self.store = store and entries > 0
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.parts: list[bytes] = []
        self.size = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            own_tag = any(name == b"etag" for name, _ in message.get("headers", []))
            if message["status"] == 200 and not own_tag:  # files (exports) keep their own validators
                replaced = {name for name, _ in self.fixed}
                headers = [h for h in message.get("headers", []) if h[0] not in replaced]
                self.headers = headers + self.fixed
                message = {**message, "headers": self.headers}
            else:
                self.store = False
        elif message["type"] == "http.response.body" and self.store and self.headers is not None:
            self.parts.append(message.get("body", b""))
            self.size += len(self.parts[-1])
            if self.size > MAX_CACHED_BODY:
                self.store = False
            elif not message.get("more_body", False):
                self.cache[self.etag] = (self.headers, b"".join(self.parts))
                while len(self.cache) > self.entries:
                    self.cache.popitem(last=False)
        await self.send(message)
