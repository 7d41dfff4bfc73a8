"""Log lines: uvicorn's text (the default) or one JSON object a line (``YARDSTICK_LOG_FORMAT=json``).

A JSON line holds ``time``, ``level``, ``logger``, ``message``, the request id of the request being answered (if
any: a context variable, so a line written in a worker thread carries it too) and the fields the caller passed as
``extra={"fields": {...}}`` (the request line's route, status and duration; an event's snapshot or error).
"""

from __future__ import annotations

import contextvars
import logging
from datetime import UTC, datetime
from typing import Any

import orjson

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            out["request_id"] = rid
        out.update(getattr(record, "fields", {}))
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def config(log_format: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and ours: uvicorn's own formatters for text, JSON for json."""
    from uvicorn.config import LOGGING_CONFIG

    out: dict[str, Any] = {
        **LOGGING_CONFIG,
        "formatters": dict(LOGGING_CONFIG["formatters"]),
        "handlers": dict(LOGGING_CONFIG["handlers"]),
        "loggers": dict(LOGGING_CONFIG["loggers"]),
    }
    out["handlers"]["yardstick"] = {
        "formatter": "default",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    out["loggers"]["yardstick"] = {"handlers": ["yardstick"], "level": "INFO", "propagate": False}
    out["loggers"]["yardstick.request"] = {"level": "INFO" if log_format == "json" else "WARNING"}
    if log_format == "json":
        json_formatter = {"()": "service.logs.JsonFormatter"}
        out["formatters"] = {"default": json_formatter, "access": json_formatter}
    return out
