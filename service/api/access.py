"""Who may do what, decided before anything else answers: API keys (Bearer or X-API-Key), scopes, rate limits.

``Gate`` is the one place access is decided, as ASGI middleware outside the response cache, the 304 shortcut and
the fast lane, so no cached answer reaches a client the gate would refuse:
- a presented key that is unknown, malformed or revoked is a 401 on every guarded path (never a fresh bucket);
- with ``read_requires_key``, a read without a key is a 401, and every answer is rewritten ``private`` and varies
  on ``Authorization`` and ``X-API-Key`` (shared caches must not hand one client's answer to another);
- then one token is spent from the bucket of the key (by key id) or of the client address. The address is the
  socket's peer; ``X-Forwarded-For`` counts only when the server trusts the proxy (``YARDSTICK_TRUSTED_PROXIES``,
  applied by the server before the app sees the request).

Scopes are checked where they matter: ``WriterDep`` on the write routes. Buckets are per worker process.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.problems import for_reader, of_error, problem
from service.errors import Forbidden, TooManyRequests, Unauthorized, YardstickError
from service.store.records import Key, KeyStore

GUARDED = ("/v1/", "/embed/", "/sdmx/")  # data; the explorer shell, docs, /healthz and /metrics carry none
KEYED_TOO = ("/metrics",)  # guarded as well when reads need a key: what is asked, how often, is not public then
FAILED_KEYS_PER_MINUTE = 30  # unknown or revoked keys one address may present (429 beyond, before any look-up;
# off, like the per-address limit, with YARDSTICK_RATE_LIMIT_PER_MINUTE=0)
CHALLENGE = 'Bearer realm="yardstick"'


def presented_key(headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    return key or None


def _unauthorized(path: str, detail: str, error: str | None = None) -> Response:
    challenge = CHALLENGE + (f', error="{error}"' if error else "")
    return problem(
        401,
        Unauthorized.title,
        detail,
        path,
        Unauthorized.type,
        headers={"www-authenticate": challenge, "cache-control": "no-store"},
    )


async def writer(request: Request) -> Key:
    """The key of a write request: the gate has already refused unknown and revoked ones."""
    key: Key | None = request.scope.get("state", {}).get("key")
    if key is None:
        raise Unauthorized(
            "this needs an API key with scope write: send 'Authorization: Bearer <key>'",
            extra={"headers": {"www-authenticate": CHALLENGE}},
        )
    if not key.allows("write"):
        raise Forbidden(f"the key {key.name!r} has scope {key.scope}; this needs write")
    return key


WriterDep = Annotated[Key, Depends(writer)]


class Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens, self.stamp = tokens, stamp


class RateLimiter:
    """Token buckets by name, bounded in number."""

    def __init__(self, max_buckets: int = 100_000) -> None:
        self.max_buckets = max_buckets
        self.buckets: dict[str, Bucket] = {}

    def peek(self, who: str, limit: int) -> float:
        """The tokens ``who`` has now, without spending one."""
        bucket = self.buckets.get(who)
        if bucket is None:
            return float(limit)
        return min(float(limit), bucket.tokens + (time.monotonic() - bucket.stamp) * limit / 60.0)

    def take(self, who: str, limit: int) -> tuple[int, int]:
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


class Gate:
    """Authentication and rate limits for the guarded paths; see the module's docstring."""

    def __init__(self, app: ASGIApp, keys: KeyStore, read_requires_key: bool, per_client: int, per_key: int) -> None:
        self.app, self.keys, self.keyed = app, keys, read_requires_key
        self.per_client, self.per_key = per_client, per_key
        self.limiter = RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        guarded = path.startswith(GUARDED) or (self.keyed and path in KEYED_TOO)
        if scope["type"] != "http" or not guarded:
            await self.app(scope, receive, send)
            return
        key, refusal = self._admit(scope, path)
        extra: list[tuple[bytes, bytes]] = []
        if refusal is None:
            scope.setdefault("state", {})["key"] = key
            refusal, extra = self._limit(scope, key, path)
        if refusal is not None:  # under /embed/, a page a reader can read in the iframe (status, headers kept)
            await for_reader(Request(scope), refusal)(scope, receive, send)
            return
        await self.app(scope, receive, self._out(send, extra) if extra or self.keyed else send)

    def _admit(self, scope: Scope, path: str) -> tuple[Key | None, Response | None]:
        """The key presented (None: none), or the refusal: unknown key, too many of them, a read without a key
        where reads need one, a catalog database that does not answer."""
        presented = presented_key(dict(scope["headers"]))
        try:
            key = self._check(scope, presented) if presented else None
        except YardstickError as exc:  # the catalog database does not answer (503), or too many bad keys (429)
            return None, of_error(exc, path)
        if presented and key is None:
            return None, _unauthorized(path, "the API key is unknown or revoked", "invalid_token")
        if key is None and self.keyed and scope["method"] in ("GET", "HEAD"):
            return None, _unauthorized(
                path, "reads need an API key with scope read: send 'Authorization: Bearer <key>'"
            )
        return key, None

    def _limit(self, scope: Scope, key: Key | None, path: str) -> tuple[Response | None, list[tuple[bytes, bytes]]]:
        """The rate limit of the key (or of the address without one): its headers, and a 429 once spent."""
        who, limit = (f"key:{key.id}", self.per_key) if key else (f"ip:{_client(scope)}", self.per_client)
        if limit <= 0:
            return None, []
        remaining, reset = self.limiter.take(who, limit)
        extra = [
            (b"ratelimit-limit", str(limit).encode()),
            (b"ratelimit-remaining", str(max(remaining, 0)).encode()),
            (b"ratelimit-reset", str(reset).encode()),
            (b"ratelimit-policy", f"{limit};w=60".encode()),
        ]
        if remaining >= 0:
            return None, extra
        detail = f"more than {limit} requests a minute: retry after {reset} s"
        headers = {"retry-after": str(reset), **{k.decode(): v.decode() for k, v in extra}}
        return problem(429, TooManyRequests.title, detail, path, TooManyRequests.type, headers=headers), extra

    def _out(self, send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
        """``send`` with the rate-limit headers added (and responses made private where reads need a key)."""
        keyed = self.keyed

        async def out(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if keyed:
                    headers = _private(headers)
                message = {**message, "headers": headers + extra}
            await send(message)

        return out

    def _check(self, scope: Scope, presented: str) -> Key | None:
        """The key presented, if known. An address that presented too many unknown keys is refused before the
        look-up: guessing keys costs the guesser time, not the catalog database."""
        bad = f"bad-key:{_client(scope)}"
        if self.per_client and self.limiter.peek(bad, FAILED_KEYS_PER_MINUTE) < 1:
            reset = self.limiter.take(bad, FAILED_KEYS_PER_MINUTE)[1]
            raise TooManyRequests(
                f"more than {FAILED_KEYS_PER_MINUTE} unknown API keys a minute from here; retry after {reset} s",
                extra={"headers": {"retry-after": str(reset)}},
            )
        key = self.keys.check(presented)
        if key is None:
            self.limiter.take(bad, FAILED_KEYS_PER_MINUTE)
        return key


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


def _private(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A keyed answer: never stored by a shared cache, and varying on the credentials."""
    out = []
    vary = b"Authorization, X-API-Key"
    for name, value in headers:
        if name == b"cache-control":
            value = value.replace(b"public", b"private")
        elif name == b"vary":
            vary = value + b", " + vary
            continue
        out.append((name, value))
    out.append((b"vary", vary))
    return out
