"""Structured JSON logs, one object per line on stdout (webhook.md §8): `ts` (Unix seconds),
`v` (verbosity), `msg` (fixed text, capitalised, past tense), lowerCamelCase keys, `err` for
errors. Never object bodies, Secret data or userInfo.extra values."""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any

import orjson


class JsonLogger:
    """Writes one JSON object per line; lines at a verbosity above `verbosity` are dropped."""

    def __init__(self, stream: IO[str] | None = None, verbosity: int = 0) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self.verbosity = verbosity
        self._lock = threading.Lock()

    def log(self, msg: str, v: int = 0, **fields: Any) -> None:
        if v > self.verbosity:
            return
        record = {"ts": round(time.time(), 6), "v": v, "msg": msg, **fields}
        line = orjson.dumps(record, default=str).decode() + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (OSError, ValueError):  # a closed or broken stdout must not fail a request
                pass

    def error(self, msg: str, err: object, **fields: Any) -> None:
        self.log(msg, err=str(err), **fields)
