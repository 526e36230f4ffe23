"""Giving memory back after a burst.

CPython frees objects at once, but glibc's malloc keeps freed memory for reuse: in its heap
(trimmed only from the top), in extra per-thread arenas, and, for large blocks, by raising
its mmap threshold after the first large free so that later large blocks come from the heap
too. After an attack (thousands of connections, megabytes of half-sent bodies) the server
would keep its peak size for good. So, on glibc:

* at start, `tune()` fixes the mmap threshold at 128 KiB (bodies and other large buffers are
  mapped and unmapped, never left in the heap) and allows two arenas;
* every few seconds `Trimmer.tick()` compares the resident size with the one after start-up
  (or the last reload); when it is `slack` bytes or more above, it runs a full collection
  (closed connections leave reference cycles behind) and `malloc_trim(0)`, which returns the
  free pages of every arena to the kernel.

Elsewhere (or when libc cannot be loaded) both do nothing."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from typing import Any

__all__ = ["Trimmer", "resident_bytes", "trim", "tune"]

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 - glibc only
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tune() -> bool:
    """Set glibc's malloc up to give memory back (True when it could)."""
    if _LIBC is None:
        return False
    ok = _LIBC.mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1
    ok &= _LIBC.mallopt(M_TRIM_THRESHOLD, 1024 * 1024) == 1
    ok &= _LIBC.mallopt(M_ARENA_MAX, 2) == 1
    return bool(ok)


def trim() -> None:
    """A full collection, then the free memory of malloc's arenas back to the kernel."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def resident_bytes() -> int:
    """This process's resident set size (0 when /proc cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


class Trimmer:
    """Trims whenever the resident size is `slack` bytes or more above its level after start-up
    (or after the last reload of a source, `rebase()`), at most once per `tick()` (the reload
    interval). A trim that gives back little (the memory is in use) makes the next ones wait:
    1, 2, 4 ... up to `max_wait` ticks, so a server that simply needs more memory is not
    collected every tick; a trim that gives back `slack`/4 or more resets the wait."""

    def __init__(self, slack: int = 16 * 1024 * 1024, max_wait: int = 12) -> None:
        self.slack = slack
        self.max_wait = max_wait
        self.base = resident_bytes()
        self.trims = 0
        self._backoff = 0
        self._wait = 0

    def rebase(self) -> None:
        """After the sources changed: trim, and take the size then as the new base."""
        trim()
        self.base = resident_bytes()
        self._backoff = self._wait = 0

    def tick(self) -> bool:
        before = resident_bytes()
        if before - self.base < self.slack:
            self._backoff = self._wait = 0
            return False
        if self._wait > 0:
            self._wait -= 1
            return False
        trim()
        self.trims += 1
        if before - resident_bytes() < self.slack // 4:
            self._backoff = min(max(1, self._backoff * 2), self.max_wait)
        else:
            self._backoff = 0
        self._wait = self._backoff
        return True
