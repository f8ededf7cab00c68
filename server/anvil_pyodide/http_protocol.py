"""uvicorn's HTTP protocol (httptools) with limits on request heads: a time limit and a size limit.

uvicorn waits for a request's headers forever (a connection that sends half a request line holds a
file descriptor until the client goes) and httptools puts no bound on their size. Here a new
connection must start a request within ``header_timeout`` seconds (else it is closed without a word,
as an unused preconnect expects), a request's head (request line and headers) must be complete within
``header_timeout`` seconds of its first byte (else 408), and at most ``max_header_bytes`` (else 431).
Between requests on a keep-alive connection, uvicorn's keep-alive timeout applies.

Example:
    >>> protocol = limited_http_protocol(header_timeout=10, max_header_bytes=65536)
    >>> protocol.header_timeout, protocol.max_header_bytes, protocol.__name__
    (10, 65536, 'LimitedHttpProtocol')
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("anvil_pyodide.http")


def _answer(status: int, reason: str) -> bytes:
    body = reason.encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


class LimitedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that closes connections whose request head is too slow (408) or too big (431)."""

    header_timeout: float | None = 30.0
    max_header_bytes: int = 64 * 1024

    _head_timer: asyncio.TimerHandle | None = None
    _head_bytes = 0
    _head_started = False
    _refusal: tuple[int, str] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head(started=False)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head(started=True)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def _start_head(self, started: bool) -> None:
        self._stop_head_timer()
        self._head_bytes, self._head_started = 0, started
        if self.header_timeout:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_header_bytes and self._refusal is None:
            log.warning("request head from %s is over %d bytes; answered 431", self._peer(), self.max_header_bytes)
            self._refusal = (431, "Request Header Fields Too Large")
            raise ValueError("request head too large")  # stops the parser: uvicorn then calls send_400_response

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._close_with(*self._refusal)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if not self._head_started:  # a connection that never began a request
            self.transport.close()
            return
        log.info("request head from %s was not complete within %g s; answered 408", self._peer(), self.header_timeout)
        self._close_with(408, "Request Timeout")

    def _close_with(self, status: int, reason: str) -> None:
        self._stop_head_timer()
        self.transport.write(_answer(status, reason))
        self.transport.close()

    def _peer(self) -> str:
        return "%s:%d" % self.client if self.client else "?"


def limited_http_protocol(header_timeout: float | None, max_header_bytes: int) -> type[LimitedHttpProtocol]:
    """A protocol class for ``uvicorn.run(http=...)`` with these limits."""
    return type("LimitedHttpProtocol", (LimitedHttpProtocol,),
                {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes})
