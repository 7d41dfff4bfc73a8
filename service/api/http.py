"""HTTP semantics shared by every route: HEAD wherever GET is, the Allow header of a 405, CORS split between reads
and writes, and unknown query parameters refused by name."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote_plus, urlencode

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import bad_parameter

EXPOSED = ["ETag", "X-Snapshot", "Content-Disposition", "Content-Range", "Accept-Ranges", "Retry-After"]
TOLERATED: frozenset[str] = frozenset()  # query parameters every route accepts without declaring them (none)


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> str:
    """The methods some route answers on this path (for the Allow header of a 405), HEAD wherever GET is."""
    methods = [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    if "GET" in methods:
        methods.insert(1, "HEAD")
    return ", ".join(methods)


def is_head(scope: Scope) -> bool:
    """True for a HEAD request (routed as GET by ``HeadAsGet``)."""
    return bool(scope.get("state", {}).get("head"))


class HeadAsGet:
    """HEAD wherever GET is (RFC 9110: GET's headers without the body): routed as GET, the body dropped.

    Handlers that would do real work for the body (files, streamed exports) look at ``is_head`` and skip it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        ended = False

        async def no_body(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.body":
                if ended:
                    return
                ended, message = True, {**message, "body": b"", "more_body": False}
            await send(message)

        state = {**scope.get("state", {}), "head": True}
        await self.app({**scope, "method": "GET", "state": state}, receive, no_body)


class Cors:
    """CORS for reads (GET, HEAD) from ``read_origins`` and for writes (POST) from ``write_origins`` only.

    A preflight asks for one method: it is answered by the policy of that method."""

    def __init__(self, app: ASGIApp, read_origins: list[str], write_origins: list[str]) -> None:
        self.app = app
        common: dict[str, Any] = {"allow_headers": ["*"], "expose_headers": EXPOSED, "max_age": 3600}
        self.reads = CORSMiddleware(app, allow_origins=read_origins, allow_methods=["GET", "HEAD"], **common)
        self.writes = CORSMiddleware(app, allow_origins=write_origins, allow_methods=["POST"], **common)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.reads(scope, receive, send)
            return
        method = scope["method"]
        if method != "OPTIONS" and not _has_origin(scope):  # not a browser's cross-origin call: nothing to add
            await self.app(scope, receive, send)
            return
        if method == "OPTIONS":
            method = dict(scope["headers"]).get(b"access-control-request-method", b"GET").decode("latin-1")
        policy = self.reads if method.upper() in ("GET", "HEAD", "OPTIONS") else self.writes
        await policy(scope, receive, _cors_answers(scope, send, method))


def _has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope["headers"])


def _cors_answers(scope: Scope, send: Send, method: str) -> Send:
    """What CORS adds to an answer, in our terms: ``Vary`` naming each header once (the caching layer and the CORS
    policy both add ``Origin``), and a refused preflight as a problem document that says what was refused."""
    refused = False

    async def out(message: Message) -> None:
        nonlocal refused
        if message["type"] == "http.response.start":
            refused = scope["method"] == "OPTIONS" and message["status"] == 400
            if refused:
                await _refused_preflight(scope, send, method)
                return
            message = {**message, "headers": _one_vary(list(message.get("headers", [])))}
        elif refused:
            return
        await send(message)

    return out


async def _refused_preflight(scope: Scope, send: Send, method: str) -> None:
    from service.api.problems import problem  # problems imports this module

    origin = dict(scope["headers"]).get(b"origin", b"").decode("latin-1")
    detail = (
        f"a browser page at {origin or 'an unnamed origin'} may not send {method.upper()} requests here "
        "(YARDSTICK_CORS_ORIGINS for reads, YARDSTICK_CORS_WRITE_ORIGINS for writes)"
    )
    response = problem(400, "Cross-origin request refused", detail, scope["path"], "/problems/cors-refused")
    response.headers["vary"] = "Origin"
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _one_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    varies = [v for k, v in headers if k.lower() == b"vary"]
    if len(varies) < 2 and not any(b"," in v for v in varies):
        return headers
    seen: dict[bytes, bytes] = {}
    for value in varies:
        for token in value.split(b","):
            if token.strip():
                seen.setdefault(token.strip().lower(), token.strip())
    return [(k, v) for k, v in headers if k.lower() != b"vary"] + [(b"vary", b", ".join(seen.values()))]


def simple_query(query: str) -> dict[str, str] | None:
    """A query string of distinct, plainly written names (``a=1&b=x%20y``) as a dictionary of decoded values, or
    None for anything else (a repeated or encoded name, a part without ``=``): the fast lanes' parser, leaving
    every other query to FastAPI's."""
    if not query:
        return {}
    out: dict[str, str] = {}
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if not eq or not name.isidentifier() or name in out:
            return None
        out[name] = unquote_plus(value) if "%" in value or "+" in value else value
    return out


async def known_parameters(request: Request) -> None:
    """Refuse query parameters the route does not declare (a typo must not silently answer the full series)."""
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    allowed = _declared(route) if isinstance(route, APIRoute) else None
    if allowed is None:
        return
    for name in request.query_params:
        if name not in allowed:
            raise bad_parameter(
                name,
                f"unknown parameter {name!r}: this endpoint takes {', '.join(sorted(allowed)) or 'no parameters'}",
                sorted(allowed),
            )


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared(route: APIRoute) -> frozenset[str]:
    cached: frozenset[str] | None = getattr(route, "_yardstick_params", None)
    if cached is None:
        cached = frozenset(_query_names(route.dependant)) | TOLERATED
        route._yardstick_params = cached  # type: ignore[attr-defined]
    return cached


def link(request: Request, path: str, query: dict[str, Any] | None = None) -> str:
    """A link to ``path`` of this service: absolute under ``YARDSTICK_PUBLIC_URL``, else relative to the host.

    Never built from the request's Host or forwarded headers: a cached answer must not carry a client's choice."""
    base: str | None = request.app.state.settings.public_url
    target = path + (f"?{urlencode(query, doseq=True)}" if query else "")
    return base.rstrip("/") + target if base else target


def next_page(request: Request, **changes: Any) -> str:
    """The same request with some query parameters changed (paging)."""
    query: dict[str, Any] = {k: request.query_params.getlist(k) for k in request.query_params}
    query.update({k: [str(v)] for k, v in changes.items()})
    return link(request, request.url.path, query)


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: a plain ASCII ``filename`` (anything else replaced) and the exact name as ``filename*``."""
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
