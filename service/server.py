"""The HTTP protocol `yardstick serve` runs: uvicorn's httptools protocol with limits on the request head.

- The request line and headers together may take at most ``YARDSTICK_MAX_HEADER_KB`` (431 beyond): counted as the
  bytes arrive, so a huge header is refused before it is held in memory. Only the head is counted: a read that holds
  the end of the head and the start of the body counts up to the blank line, and each request of a pipelined
  connection is counted on its own (the parser's URL and header callbacks), so a large upload is never taken for a
  large header.
- They must arrive within ``YARDSTICK_HEADER_TIMEOUT_SECONDS`` of the connection opening or of the request's first
  byte (408), so a slow client cannot hold a connection open by dribbling a header. Between requests, an idle
  keep-alive connection is uvicorn's to close (``YARDSTICK_KEEP_ALIVE_SECONDS``).
- A request the parser cannot read gets a problem document, not uvicorn's plain text.

Bodies have their own limits (size and stall) in the write routes.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.config import Settings

LINGER_SECONDS = 2.0


@functools.cache
def _limits() -> tuple[int, float]:
    """(bytes, seconds) from the environment of this worker process (uvicorn builds the protocol, not us)."""
    settings = Settings()
    return settings.max_header_kb * 1024, settings.header_timeout_seconds


def problem_bytes(status: int, reason: str, title: str, detail: str) -> bytes:
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": ""}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


HEAD_END = b"\r\n\r\n"


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a request whose head is over the limit."""


class Protocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head, self.head_seconds = _limits()
        self.head_bytes = 0  # bytes of the current request's head received so far (raw, as they arrive)
        self.parsed_bytes = 0  # the same, as the parser reports them (URL and headers of this request)
        self.tail = b""  # the last bytes of the previous read: a blank line may straddle two reads
        self.head_too_large = False
        self.refusal_pending = False  # a 431 waits for the answers to earlier pipelined requests
        self.reading_head = True  # waiting for (part of) a request line and headers
        self.head_timer: asyncio.TimerHandle | None = None
        self.refused = False  # answered and half-closed: what still arrives is read and dropped until we close

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        if self.reading_head:
            self.head_bytes += self._head_part(data)
            if self.head_bytes > self.max_head:
                self._refuse_head()
                return
            self._arm()
        self.tail = (self.tail + data)[-3:]
        super().data_received(data)

    def _head_part(self, data: bytes) -> int:
        """How many bytes of ``data`` belong to the head being read: up to the blank line that ends it, if the read
        holds it (the rest is the body, which has limits of its own)."""
        end = (self.tail + data).find(HEAD_END)
        return len(data) if end < 0 else max(0, end + len(HEAD_END) - len(self.tail))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.parsed_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # "name: value\r\n"
        super().on_header(name, value)

    def _count(self, n: int) -> None:
        self.parsed_bytes += n
        if self.parsed_bytes > self.max_head:
            self.head_too_large = True
            raise _HeadTooLarge  # the parser stops; uvicorn answers through send_400_response, which says 431

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.reading_head, self.head_bytes = True, 0  # a next request may follow on this connection

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.refusal_pending and not self.pipeline and not self.transport.is_closing():
            self.refusal_pending = False
            self._disarm_keep_alive()
            self._refuse_head()

    def _disarm_keep_alive(self) -> None:
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None

    def send_400_response(self, msg: str) -> None:
        if self.head_too_large:
            self._refuse_head()
            return
        detail = (
            "the request could not be parsed as HTTP/1.1; characters outside ASCII in the URL must be "
            "percent-encoded (curl: -G --data-urlencode 'q=衡阳')"
        )
        self._refuse(400, "Bad Request", detail)

    def _refuse_head(self) -> None:
        busy = self.cycle is not None and not self.cycle.response_complete
        if busy or self.pipeline:  # earlier requests of this connection are answered first, in order
            self.refusal_pending = True
            self.flow.pause_reading()
            return
        self._refuse(
            431, "Request Header Fields Too Large", f"the request line and headers exceed {self.max_head // 1024} KiB"
        )

    def _arm(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _too_slow(self) -> None:
        self.head_timer = None
        if not self.reading_head or self.transport.is_closing():
            return
        if self.head_bytes == 0:  # an idle connection: close it quietly
            self.transport.close()
            return
        self._refuse(408, "Request Timeout", f"the request headers took longer than {self.head_seconds:g} s")

    def _refuse(self, status: int, reason: str, detail: str) -> None:
        """Answer, then close gently: half-close after the answer and drop what still arrives for a moment, so
        the client reads the answer instead of a reset (closing with unread data would send a TCP RST)."""
        self._disarm()
        if self.transport.is_closing() or self.refused:
            return
        self.refused = True
        self.transport.write(problem_bytes(status, reason, reason, detail))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
