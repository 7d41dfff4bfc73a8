"""Things that happen below the API (a commit, a refresh, a download, an outage), told to whoever listens.

The store emits; the API subscribes its metrics and its log (service/api/telemetry.py), so store/ knows nothing of
Prometheus or log formats. A listener that fails is ignored: telling never breaks the work it tells about.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Listen to every event from now on; returns the function that stops listening."""
    _listeners.append(listener)

    def stop() -> None:
        with contextlib.suppress(ValueError):
            _listeners.remove(listener)

    return stop


def emit(event: str, **fields: Any) -> None:
    for listener in tuple(_listeners):
        with contextlib.suppress(Exception):
            listener(event, fields)
