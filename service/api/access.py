"""Who may do what: API keys (Bearer or X-API-Key), scopes, and per-client / per-key rate limits.

Rate limits are token buckets per worker process (each uvicorn worker counts its own share), answered with 429,
Retry-After and RateLimit-* headers; a limited request never gets partial data.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.deps import SettingsDep
from service.api.problems import problem
from service.errors import Forbidden, Unauthorized
from service.store.keys import Key, KeyStore
from service.store.keys import Scope as KeyScope


def presented_key(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return headers.get("x-api-key")


def _check(request: Request, scope: KeyScope) -> Key:
    keys: KeyStore = request.app.state.keys
    presented = presented_key(dict(request.headers))
    if not presented:
        raise Unauthorized(
            f"this needs an API key with scope {scope}: send 'Authorization: Bearer <key>'",
            extra={"headers": {"www-authenticate": 'Bearer realm="yardstick"'}},
        )
    key = keys.check(presented)
    if key is None:
        raise Unauthorized(
            "the API key is unknown or revoked",
            extra={"headers": {"www-authenticate": 'Bearer realm="yardstick", error="invalid_token"'}},
        )
    if not key.allows(scope):
        raise Forbidden(f"the key {key.name!r} has scope {key.scope}; this needs {scope}")
    return key


async def writer(request: Request) -> Key:
    return _check(request, "write")


async def reader(request: Request, settings: SettingsDep) -> None:
    if settings.read_requires_key:
        _check(request, "read")


WriterDep = Annotated[Key, Depends(writer)]
ReadAccess = Depends(reader)


class Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens, self.stamp = tokens, stamp


class RateLimits:
    """Token buckets keyed by API key (when one is presented) or client address."""

    def __init__(self, app: ASGIApp, per_client: int, per_key: int, max_buckets: int = 100_000) -> None:
        self.app, self.per_client, self.per_key, self.max_buckets = app, per_client, per_key, max_buckets
        self.buckets: dict[str, Bucket] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        key = presented_key(headers)
        who, limit = (
            (f"key:{key[:24]}", self.per_key) if key else (f"ip:{(scope.get('client') or ('?',))[0]}", self.per_client)
        )
        if limit <= 0:
            await self.app(scope, receive, send)
            return
        remaining, reset = self._take(who, limit)
        rate_headers = [
            (b"ratelimit-limit", str(limit).encode()),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(reset).encode()),
            (b"ratelimit-policy", f"{limit};w=60".encode()),
        ]
        if remaining < 0:
            response = problem(
                429,
                "Too many requests",
                f"more than {limit} requests a minute: retry after {reset} s",
                scope["path"],
                "/problems/too-many-requests",
                headers={"retry-after": str(reset), **{k.decode(): v.decode() for k, v in rate_headers}},
            )
            await response(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *rate_headers]}
            await send(message)

        await self.app(scope, receive, with_headers)

    def _take(self, who: str, limit: int) -> tuple[int, int]:
        """Spend one token; returns (tokens left, seconds until one is back); negative left means refused."""
        now = time.monotonic()
        rate = limit / 60.0
        bucket = self.buckets.get(who)
        if bucket is None:
            if len(self.buckets) >= self.max_buckets:
                self.buckets.clear()  # bounded memory: forget everyone rather than grow without end
            bucket = self.buckets[who] = Bucket(float(limit), now)
        bucket.tokens = min(float(limit), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens < 1:
            return -1, max(1, math.ceil((1 - bucket.tokens) / rate))
        bucket.tokens -= 1
        return int(bucket.tokens), max(0, math.ceil((limit - bucket.tokens) / rate))
