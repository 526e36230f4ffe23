"""uvicorn's HTTP/1.1 protocol with a deadline on request headers.

uvicorn times out idle keep-alive connections, but not a connection that never completes its
request line and headers (a new connection that sends nothing, or a slowloris sending a header
every few seconds): each would hold a socket forever. Here every connection must deliver
complete headers within `header_timeout` seconds of connecting or of the first byte of each
further request, or it is closed. Bodies are bounded by the application's own deadline."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["GuardedHttpToolsProtocol"]

READ_BUFFER_HIGH = 64 * 1024


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    header_timeout = 10.0
    on_lost: Callable[[], None] | None = None  # set by the listener: frees the connection slot

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._guard = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _expired(self) -> None:
        self._guard = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # decrypted bytes held for a paused reader: 64 KiB, not asyncio's 256 KiB
        limits = getattr(transport, "set_read_buffer_limits", None)  # TLS transports have it
        if limits is not None:
            with contextlib.suppress(NotImplementedError, ValueError):
                limits(high=READ_BUFFER_HIGH)
        self._arm()

    def close_if_idle(self) -> bool:
        """Drop the connection if it is an idle keep-alive one (between requests, nothing
        sent), at once (no TLS close_notify to wait for); True when it was dropped."""
        if self.timeout_keep_alive_task is None or self.transport.is_closing():
            return False
        self.transport.abort()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        try:
            super().connection_lost(exc)
        finally:
            if self.on_lost is not None:
                self.on_lost()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._guard is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()


def with_header_timeout(seconds: float) -> type[GuardedHttpToolsProtocol]:
    """The protocol class with its own `header_timeout`."""
    return type("GuardedHttpTools", (GuardedHttpToolsProtocol,), {"header_timeout": seconds})
