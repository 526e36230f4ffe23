"""Structured JSON logs, one object per line on stdout (webhook.md §8): `ts` (Unix seconds),
`v` (verbosity), `msg` (fixed text, capitalised, past tense), lowerCamelCase keys, `err` for
errors, `level` (`warning`, `error`) on lines an operator must look at. Never object bodies,
Secret data or userInfo.extra values; strings from requests are clipped
(`limits.MAX_LOG_TEXT` characters each).

One format for the whole process: `JsonLogHandler` writes every standard `logging` record
(podgate's Kubernetes sources log that way, and so do uvicorn and asyncio) through the same
`JsonLogger`, the record's `extra` fields as keys (so a warning keeps its `err`), an exception
as `err`, and the logger's name as `logger`. `route_logging` installs it on the root logger."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

import orjson

from podgate.webhook.limits import MAX_LOG_TEXT, clip_strings

__all__ = ["JsonLogHandler", "JsonLogger", "route_logging"]


class JsonLogger:
    """Writes one JSON object per line; lines at a verbosity above `verbosity` are dropped."""

    def __init__(self, stream: IO[str] | None = None, verbosity: int = 0) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self.verbosity = verbosity
        self._lock = threading.Lock()

    def log(self, msg: str, v: int = 0, **fields: Any) -> None:
        if v > self.verbosity:
            return
        record = {
            "ts": round(time.time(), 6),
            "v": v,
            "msg": msg,
            **clip_strings(fields, MAX_LOG_TEXT),
        }
        line = orjson.dumps(record, default=str).decode() + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (OSError, ValueError):  # a closed or broken stdout must not fail a request
                pass

    def warn(self, msg: str, **fields: Any) -> None:
        self.log(msg, level="warning", **fields)

    def error(self, msg: str, err: object, **fields: Any) -> None:
        self.log(msg, err=str(err), level="error", **fields)


# what every LogRecord carries; anything else on a record came from `extra=`
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonLogHandler(logging.Handler):
    """A `logging.Handler` that writes each record as one line of a `JsonLogger`."""

    def __init__(self, logger: JsonLogger) -> None:
        super().__init__()
        self.json = logger

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = {k: v for k, v in record.__dict__.items() if k not in _RECORD_FIELDS}
            if record.exc_info and record.exc_info[1] is not None and "err" not in fields:
                exc = record.exc_info[1]
                fields["err"] = f"{type(exc).__name__}: {exc}"
            if record.levelno >= logging.ERROR:
                fields.setdefault("level", "error")
            elif record.levelno >= logging.WARNING:
                fields.setdefault("level", "warning")
            v = 0 if record.levelno >= logging.INFO else 2
            fields["logger"] = record.name
            self.json.log(record.getMessage(), v=v, **fields)
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)


def route_logging(logger: JsonLogger) -> Callable[[], None]:
    """Send every `logging` record of the process through `logger` (podgate's own at info, or
    debug from verbosity 2; other libraries' from warning), replacing any handler this
    installed before. Returns a function that takes the handler out again."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, JsonLogHandler)]:
        root.removeHandler(old)
    handler = JsonLogHandler(logger)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    own = logging.getLogger("podgate")
    own.setLevel(logging.DEBUG if logger.verbosity >= 2 else logging.INFO)

    def remove() -> None:
        root.removeHandler(handler)

    return remove
