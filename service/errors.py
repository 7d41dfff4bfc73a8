"""The one exception hierarchy: each class carries its HTTP status and RFC 9457 problem type."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Problem:
    """One located problem: a parameter, or a file's row and column."""

    detail: str
    parameter: str | None = None
    header: str | None = None
    file: str | None = None
    row: int | None = None
    column: str | None = None
    allowed: list[str] | None = None
    sheet: str | None = None  # a workbook's sheet, where the file is one (row and column are then the sheet's)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class YardstickError(Exception):
    """Base error. ``status`` and ``type`` are on the class; ``problems`` locate what was wrong."""

    detail: str
    problems: list[Problem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    status: ClassVar[int] = 500
    type: ClassVar[str] = "about:blank"
    title: ClassVar[str] = "Internal error"

    def __str__(self) -> str:
        lines = [self.detail] + [_locate(p) for p in self.problems[:50]]
        total = max(len(self.problems), int(self.extra.get("total", 0)))
        if total > 50:
            lines.append(f"... and {total - 50} more")
        return "\n".join(lines)


def _locate(p: Problem) -> str:
    where = ", ".join(
        f"{k} {v}"
        for k, v in (
            ("file", p.file),
            ("sheet", p.sheet),
            ("row", p.row),
            ("column", p.column),
            ("parameter", p.parameter),
        )
        if v is not None
    )
    return f"  {where}: {p.detail}" if where else f"  {p.detail}"


class BadParameter(YardstickError):
    status = 400
    type = "/problems/bad-parameter"
    title = "Bad parameter"


class NotFound(YardstickError):
    status = 404
    type = "/problems/not-found"
    title = "Not found"


class NotAcceptable(YardstickError):
    status = 406
    type = "/problems/not-acceptable"
    title = "Not acceptable"


class Conflict(YardstickError):
    status = 409
    type = "/problems/conflict"
    title = "Conflicting revision"


class InvalidData(YardstickError):
    status = 422
    type = "/problems/invalid-data"
    title = "Invalid data"


class CatalogUnavailable(YardstickError):
    status = 503
    type = "/problems/catalog-unavailable"
    title = "The catalog database does not answer"


class StorageUnavailable(YardstickError):
    status = 503
    type = "/problems/storage-unavailable"
    title = "The object store does not answer"


class Busy(YardstickError):
    status = 503
    type = "/problems/busy"
    title = "Another writer holds the lock"


def bad_parameter(parameter: str, detail: str, allowed: list[str] | None = None) -> BadParameter:
    """A 400 naming the parameter (and the allowed values, where there is a list)."""
    return BadParameter(detail, [Problem(detail, parameter=parameter, allowed=allowed)])


def not_found(parameter: str, detail: str) -> NotFound:
    return NotFound(detail, [Problem(detail, parameter=parameter)])


class Gone(YardstickError):
    status = 410
    type = "/problems/gone"
    title = "No longer available"


class RangeNotSatisfiable(YardstickError):
    status = 416
    type = "/problems/range-not-satisfiable"
    title = "Range not satisfiable"


class Unauthorized(YardstickError):
    status = 401
    type = "/problems/unauthorized"
    title = "A valid API key is required"


class Forbidden(YardstickError):
    status = 403
    type = "/problems/forbidden"
    title = "The API key lacks the scope"


class RequestTimeout(YardstickError):
    status = 408
    type = "/problems/request-timeout"
    title = "The body arrived too slowly"


class PayloadTooLarge(YardstickError):
    status = 413
    type = "/problems/payload-too-large"
    title = "Body too large"


class UnsupportedMediaType(YardstickError):
    status = 415
    type = "/problems/unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(YardstickError):
    status = 429
    type = "/problems/too-many-requests"
    title = "Too many requests"


class InsufficientStorage(YardstickError):
    status = 507
    type = "/problems/insufficient-storage"
    title = "Insufficient storage"


def full_disk(exc: BaseException) -> InsufficientStorage | None:
    """The 507 for an OS error that says the disk (or a quota) is full, else None."""
    if not isinstance(exc, OSError) or exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return None
    return InsufficientStorage(
        "the server's disk is full: nothing was stored; try again when space is freed",
        extra={"headers": {"retry-after": "60"}},
    )


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """A full disk while writing becomes a 507 that says so; other OS errors pass unchanged."""
    try:
        yield
    except OSError as exc:
        found = full_disk(exc)
        if found is None:
            raise
        raise found from exc
