"""The one error handler: every error becomes an RFC 9457 application/problem+json response (under /sdmx/, an
SDMX-ML error message with the same status)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from service.api.http import allowed_methods
from service.errors import YardstickError, full_disk
from service.formats.sdmx import ml as sdmx

PROBLEM = "application/problem+json"
SDMX = "/sdmx/"
log = logging.getLogger("yardstick")


def problem(
    status: int,
    title: str,
    detail: str,
    instance: str,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    total: int | None = None,
) -> Response:
    if instance.startswith(SDMX):  # SDMX clients read SDMX-ML error messages (same status, SDMX error code)
        where = "; ".join(f"{k} {v}" for e in (errors or [])[:1] for k, v in e.items() if k != "detail")
        return Response(
            sdmx.error_message(status, f"{title}: {detail}" + (f" ({where})" if where else "")),
            status_code=status,
            media_type=sdmx.ERROR_TYPE,
            headers=headers,
        )
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail, "instance": instance}
    if errors:
        body["errors"] = errors
    if total is not None:
        body["total"] = total
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


async def _yardstick(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, YardstickError)
    return of_error(exc, request.url.path)


def of_error(exc: YardstickError, instance: str) -> Response:
    """The problem document of one of our errors (also for middleware, outside the exception handlers)."""
    return problem(
        exc.status,
        exc.title,
        exc.detail,
        instance,
        exc.type,
        [p.as_dict() for p in exc.problems[:1000]] or None,
        exc.extra.get("headers"),
        exc.extra.get("total"),
    )


_LOCATION = {"query": "parameter", "path": "parameter", "header": "header", "body": "body"}


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        where = _LOCATION.get(loc[0], "parameter") if loc else "parameter"
        entry: dict[str, Any] = {"detail": e.get("msg", "invalid"), where: ".".join(loc[1:]) or loc[0]}
        if e.get("input") is not None and isinstance(e.get("input"), str | int | float):
            entry["value"] = e["input"]
        if e.get("type") in ("literal_error", "enum"):  # one of a list: say which
            entry["allowed"] = sorted(re.findall(r"'([^']*)'", str((e.get("ctx") or {}).get("expected", ""))))
        errors.append(entry)
    names = ", ".join(sorted({str(e.get("parameter") or e.get("header") or e.get("body")) for e in errors}))
    return problem(
        400, "Bad parameter", f"invalid value for {names}", request.url.path, "/problems/bad-parameter", errors
    )


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    detail = f"no such resource: {request.url.path}" if exc.status_code == 404 else str(exc.detail)
    headers = {k: v for k, v in (getattr(exc, "headers", None) or {}).items() if k.lower() != "allow"}
    if exc.status_code == 405:  # every method of the path, not only those of the first route that matched it
        allow = allowed_methods(request.app.routes, request.scope)
        headers["allow"] = allow
        detail = f"{request.method} is not allowed on {request.url.path}: use {allow}"
    return problem(exc.status_code, title, detail, request.url.path, headers=headers or None)


async def _unexpected(request: Request, exc: Exception) -> Response:
    return unexpected(exc, request.url.path)


def unexpected(exc: Exception, path: str) -> Response:
    """The answer to an error nothing else handled, logged once (one line, with the request id; see
    api.telemetry, which answers with it before the error reaches the server)."""
    storage = full_disk(exc)  # a write outside the store's own guard (a key or idempotency record)
    if storage is not None:
        log.error("disk full on %s: %s", path, exc)
        return of_error(storage, path)
    log.exception("unhandled error on %s", path, exc_info=exc)
    return problem(500, "Internal error", "the server failed to answer; the error was logged", path)


Handler = Callable[[Request, Exception], Awaitable[Response]]
EMBED = "/embed/"


def for_reader(request: Request, response: Response) -> Response:
    """The one place that decides "HTML for /embed/": under /embed/, a problem document becomes a readable page in
    the widget's style (an iframe shows it to a reader), status and headers kept; the API keeps its documents. Used
    by the exception handlers and by the access gate (401, 429), which answers before them."""
    if request.url.path.startswith(EMBED) and response.media_type == PROBLEM:
        from service.api.pages import error_page  # pages imports the API modules, which import this one

        return error_page(request, response)
    return response


def _embeddable(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        return for_reader(request, await handler(request, exc))

    return handle


def install(app: FastAPI) -> None:
    app.add_exception_handler(YardstickError, _embeddable(_yardstick))
    app.add_exception_handler(RequestValidationError, _embeddable(_validation))
    app.add_exception_handler(StarletteHTTPException, _embeddable(_http))
    app.add_exception_handler(Exception, _embeddable(_unexpected))
