"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), from assets that ship with the
``fastapi-offline`` package: nothing is fetched from a CDN, so the pages work offline and under a strict CSP."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from service.errors import not_found

router = APIRouter(include_in_schema=False)
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'"
)
HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}

SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Yardstick API</title>
<link rel="icon" href="docs/assets/favicon.png"><link rel="stylesheet" href="docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec="openapi.json"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script><script src="static/docs-init.js"></script></body></html>
"""
REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Yardstick API</title>
<link rel="icon" href="docs/assets/favicon.png"></head>
<body><redoc spec-url="openapi.json"></redoc><script src="docs/assets/redoc.standalone.js"></script></body></html>
"""


def _page(body: str) -> Response:
    return Response(body, media_type="text/html; charset=utf-8", headers={**HEADERS, "cache-control": "no-cache"})


@router.get("/docs")
def swagger_ui() -> Response:
    return _page(SWAGGER)


@router.get("/redoc")
def redoc() -> Response:
    return _page(REDOC)


@router.get("/docs/assets/{name}")
def asset(name: Annotated[str, Path(max_length=64)]) -> Response:
    if name not in ASSETS:
        raise not_found("name", f"no documentation asset {name!r}")
    body = (files("fastapi_offline") / "static" / name).read_bytes()
    return Response(body, media_type=ASSETS[name], headers={**HEADERS, "cache-control": "public, max-age=86400"})
