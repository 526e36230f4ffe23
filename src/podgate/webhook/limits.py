"""Bounds on what a client can make the webhook hold or repeat.

* `ByteBudget`: one shared budget of buffered request-body bytes. A request reads its first
  `FREE_BODY_BYTES` without it (an AdmissionReview of a pod is a few KiB, and the connection
  cap bounds those), and draws on it beyond that until its answer is sent; when the budget is
  spent it waits briefly, then is refused with 429 and `Retry-After` (the API server's client
  retries those within the webhook's timeout; otherwise the failure policy applies).
* `clip` / `clip_strings`: request text echoed into answers and logs (a 2 MiB `apiVersion`
  in an error message, a pod name in a denial) is cut to a bounded length.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

__all__ = [
    "FREE_BODY_BYTES",
    "MAX_LOG_TEXT",
    "MAX_RESPONSE_TEXT",
    "ByteBudget",
    "clip",
    "clip_response",
    "clip_strings",
]

FREE_BODY_BYTES = 32 * 1024
MAX_RESPONSE_TEXT = 16 * 1024  # characters of one message or annotation in an answer
MAX_LOG_TEXT = 4 * 1024  # characters of one string field in a log line


class ByteBudget:
    """`limit` bytes shared by the requests of one event loop (not thread-safe: asyncio)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.peak = 0
        self._freed: asyncio.Future[None] | None = None

    async def acquire(self, n: int, wait: float) -> bool:
        """Take `n` bytes, waiting up to `wait` seconds for them; False when they did not free."""
        if n <= 0:
            return True
        if n > self.limit:
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while self.used + n > self.limit:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            if self._freed is None or self._freed.done():
                self._freed = loop.create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._freed), remaining)
            except TimeoutError:
                return False
        self.used += n
        self.peak = max(self.peak, self.used)
        return True

    def release(self, n: int) -> None:
        if n <= 0:
            return
        self.used -= n
        freed = self._freed
        if freed is not None and not freed.done():
            freed.set_result(None)
        self._freed = None


def clip(text: str, limit: int) -> str:
    """`text` cut to about `limit` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters]"


def clip_strings(value: Any, limit: int, depth: int = 4) -> Any:
    """`value` with every string in it (in dicts and lists, `depth` levels down) clipped."""
    if isinstance(value, str):
        return clip(value, limit)
    if depth <= 0:
        return value
    if isinstance(value, Mapping):
        return {k: clip_strings(v, limit, depth - 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clip_strings(v, limit, depth - 1) for v in value]
    return value


def clip_response(response: Mapping[str, Any]) -> dict[str, Any]:
    """An AdmissionResponse with its texts (status, audit annotations, warnings) clipped; the
    uid, `allowed` and the patch are kept as they are (the API server checks the uid)."""
    out = dict(response)
    for key in ("status", "auditAnnotations", "warnings"):
        if key in out:
            out[key] = clip_strings(out[key], MAX_RESPONSE_TEXT)
    return out
