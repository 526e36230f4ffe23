"""uvicorn's HTTP/1.1 protocol with a deadline on request headers.

uvicorn times out idle keep-alive connections, but not a connection that never completes its
request line and headers (a new connection that sends nothing, or a slowloris sending a header
every few seconds): each would hold a socket forever. Here every connection must deliver
complete headers within `header_timeout` seconds of connecting or of the first byte of each
further request, or it is closed. Bodies are bounded by the application's own deadline."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["GuardedHttpToolsProtocol"]


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    header_timeout = 10.0

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
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

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
