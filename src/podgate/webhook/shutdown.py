"""Graceful shutdown for `podgate serve`.

On SIGTERM (what the kubelet sends, after the preStop hook) `/readyz` answers 503 at once, so
that the Service takes the replica out of its endpoints, and podgate keeps answering reviews
for `delay` seconds while that spreads; then it stops accepting connections, lets every
review in flight finish (up to uvicorn's `timeout_graceful_shutdown`) and exits 0. A second
SIGTERM skips the rest of the delay. SIGINT (Ctrl-C) stops accepting at once, with the same
wait for requests in flight; a second SIGINT forces the exit."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from types import FrameType

import uvicorn

__all__ = ["Draining", "DrainingServer"]


class Draining:
    """Whether the server is shutting down; its `ready` is a readiness check. A plain flag:
    it is set from a signal handler, which must take no lock."""

    def __init__(self) -> None:
        self._draining = False

    def start(self) -> None:
        self._draining = True

    def ready(self) -> bool:
        return not self._draining


class DrainingServer(uvicorn.Server):
    """uvicorn's server with the SIGTERM behaviour above. `on_signal(name, delay)` is called
    once, from the event loop (a signal handler must not log: the logger takes a lock), after
    the first signal has turned readiness."""

    def __init__(
        self,
        config: uvicorn.Config,
        draining: Draining,
        *,
        delay: float,
        on_signal: Callable[[str, float], None] | None = None,
    ) -> None:
        super().__init__(config)
        self.draining = draining
        self.delay = delay
        self._on_signal = on_signal
        self._stop_at: float | None = None
        self._signalled: tuple[str, float] | None = None  # to report from the loop

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        first = self._stop_at is None
        delay = self.delay if sig == signal.SIGTERM and first else 0.0
        if first:
            self.draining.start()
            self._signalled = (signal.Signals(sig).name, delay)
        self._stop_at = time.monotonic() + delay
        if sig == signal.SIGTERM:  # stopped from on_tick once the delay is over; exit 0
            if delay <= 0:
                self.should_exit = True
            return
        super().handle_exit(sig, frame)  # uvicorn's: a second SIGINT forces the exit

    async def on_tick(self, counter: int) -> bool:
        signalled, self._signalled = self._signalled, None
        if signalled is not None and self._on_signal is not None:
            self._on_signal(*signalled)
        if self._stop_at is not None and time.monotonic() >= self._stop_at:
            self.should_exit = True
        return await super().on_tick(counter)
