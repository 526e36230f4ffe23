"""The listening side of `podgate serve`: how many connections, and for how long before TLS.

uvicorn (through asyncio or uvloop) accepts every connection the kernel hands it and gives
each 60 s to finish its TLS handshake, so anyone who can reach the port can hold memory by
opening connections and sending nothing (about 50 KiB each). Here connections are accepted by
a loop of our own:

* at most `max_connections` are open at a time. At the cap, idle keep-alive connections are
  closed (an HTTP/1.1 client opens a new one when it needs it), and if none was idle the loop
  stops accepting: new connections wait in the kernel's accept queue (the listen backlog)
  until one closes. So the server's memory for connections is bounded whatever the clients do;
* a TLS handshake not finished within `handshake_timeout` seconds closes the connection (the
  API server finishes it in milliseconds), and so does a TLS shutdown (close_notify) the
  client does not answer within that time (asyncio's default waits 30 s, holding the slot);
* after the handshake, uvicorn's protocol serves the connection as before (header deadline,
  keep-alive timeout, graceful shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable
from typing import Any

import uvicorn

from podgate.webhook.protocol import GuardedHttpToolsProtocol

__all__ = ["ConnectionGate", "GatedServer"]


class ConnectionGate:
    """Accepts connections on `sock` into protocols made by `factory`, `max_connections` at a
    time. Closed like an asyncio Server (`close()`, `await wait_closed()`)."""

    def __init__(
        self,
        sock: socket.socket,
        factory: Callable[[], GuardedHttpToolsProtocol],
        ssl_context: ssl.SSLContext | None,
        *,
        max_connections: int,
        handshake_timeout: float,
        prune: Callable[[], int] | None = None,
    ) -> None:
        self.sock = sock
        self.prune = prune  # closes idle connections, returns how many
        self.factory = factory
        self.ssl_context = ssl_context
        self.max_connections = max_connections
        self.handshake_timeout = handshake_timeout
        self.active = 0
        self.accepted = 0
        self._freed: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._opening: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.sock.setblocking(False)
        self._task = asyncio.get_running_loop().create_task(self._accept())

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for task in list(self._opening):
            task.cancel()
        self.sock.close()

    async def wait_closed(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self.active >= self.max_connections and self.prune is not None:
                self.prune()
            while self.active >= self.max_connections:
                self._freed = loop.create_future()
                await self._freed
            try:
                conn, _ = await loop.sock_accept(self.sock)
            except OSError:  # e.g. EMFILE, or a connection reset before it was accepted
                await asyncio.sleep(0.05)
                continue
            self.active += 1
            self.accepted += 1
            task = loop.create_task(self._open(conn))
            self._opening.add(task)
            task.add_done_callback(self._opening.discard)

    def _release(self) -> None:
        self.active -= 1
        freed = self._freed
        if freed is not None and not freed.done():
            freed.set_result(None)
        self._freed = None

    async def _open(self, conn: socket.socket) -> None:
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._release()

        def protocol() -> asyncio.Protocol:
            made = self.factory()
            made.on_lost = release  # its connection_lost frees the slot
            return made

        loop = asyncio.get_running_loop()
        try:
            if self.ssl_context is None:
                await loop.connect_accepted_socket(protocol, conn)
            else:
                await loop.connect_accepted_socket(
                    protocol,
                    conn,
                    ssl=self.ssl_context,
                    ssl_handshake_timeout=self.handshake_timeout,
                    ssl_shutdown_timeout=self.handshake_timeout,
                )
        except asyncio.CancelledError:  # shutdown
            conn.close()
            release()
            raise
        except Exception:  # noqa: BLE001 - a failed or timed-out handshake, a reset
            conn.close()
            release()


class GatedServer(uvicorn.Server):
    """uvicorn's server with its connections accepted by a ConnectionGate on `sock`. Other
    arguments go to the next class (so it combines with other uvicorn.Server subclasses);
    `run()` takes no sockets."""

    def __init__(
        self,
        config: uvicorn.Config,
        *args: Any,
        sock: socket.socket,
        max_connections: int,
        handshake_timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, *args, **kwargs)
        self.sock = sock
        self.max_connections = max_connections
        self.handshake_timeout = handshake_timeout
        self.gate: ConnectionGate | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # uvicorn's state, without a listener of its own
        config = self.config

        protocol_class = config.http_protocol_class
        if not (
            isinstance(protocol_class, type)
            and issubclass(protocol_class, GuardedHttpToolsProtocol)
        ):
            raise TypeError("GatedServer needs a GuardedHttpToolsProtocol (it frees the slots)")

        def factory() -> GuardedHttpToolsProtocol:
            return protocol_class(
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        def prune() -> int:
            return sum(
                1
                for conn in list(self.server_state.connections)
                if isinstance(conn, GuardedHttpToolsProtocol) and conn.close_if_idle()
            )

        self.gate = ConnectionGate(
            self.sock,
            factory,
            config.ssl,
            max_connections=self.max_connections,
            handshake_timeout=self.handshake_timeout,
            prune=prune,
        )
        self.gate.start()
        servers: list[Any] = self.servers
        servers.append(self.gate)  # uvicorn's shutdown closes it with its own servers
