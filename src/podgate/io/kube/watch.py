"""`Reflector`: client-go's reflector reduced to what podgate needs. List (paged), then watch
from the list's resourceVersion with bookmarks; list again on 410 Gone (at the start of a watch
or as an ERROR event in it); exponential backoff with jitter on errors; a stop that ends the
thread promptly (it shuts the open watch's socket down)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any, TypedDict, Unpack

import orjson

from podgate.errors import ApiError
from podgate.io.kube.client import ApiClient, WatchStream

__all__ = ["Obj", "Reflector", "WatchOptions"]

Obj = dict[str, Any]


class WatchOptions(TypedDict, total=False):
    """How a reflector lists and watches: items a page (500), seconds a watch lasts before
    it is opened again (300), and the backoff after errors (0.5 s doubling up to 30 s)."""

    page_size: int
    watch_timeout: float
    backoff_base: float
    backoff_max: float


class _Gone(Exception):
    """The resourceVersion is too old (410): list again."""


class Reflector:
    """List, then watch, one collection in a background thread, calling `on_replace(items)`
    after each full list and `on_event(type, obj)` for ADDED, MODIFIED and DELETED (and
    `on_idle()` on each bookmark). Handlers run in the reflector's thread, one at a time.
    Counters (`lists`, `watches`, `relists`, `events`, `errors`) and `last_error` are for
    metrics and logs, written to `log`."""

    def __init__(
        self,
        client: ApiClient,
        path: str,
        *,
        on_replace: Callable[[list[Obj]], None],
        on_event: Callable[[str, Obj], None],
        on_idle: Callable[[], None] | None = None,
        name: str = "",
        log: logging.Logger | None = None,
        **options: Unpack[WatchOptions],
    ) -> None:
        self._client = client
        self._path = path
        self._on_replace = on_replace
        self._on_event = on_event
        self._on_idle = on_idle
        self._page_size = options.get("page_size", 500)
        self._watch_timeout = options.get("watch_timeout", 300.0)
        self._backoff_base = options.get("backoff_base", 0.5)
        self._backoff_max = options.get("backoff_max", 30.0)
        self._log = log or logging.getLogger("podgate.io.kube")
        self.name = name or path
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: WatchStream | None = None
        self._lock = threading.Lock()
        self.resource_version = ""
        self.lists = 0
        self.watches = 0
        self.relists = 0  # lists forced by 410 Gone
        self.events = 0
        self.errors = 0
        self.last_error: str | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"podgate-watch {self.name}")
        self._thread.daemon = True
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.abort()
        if self._thread is not None:
            self._thread.join(timeout)

    def synced(self) -> bool:
        return self._synced.is_set()

    # --- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
        log = self._log
        failures = 0
        while not self._stop.is_set():
            listed = False
            try:
                if not self.resource_version:
                    self._list()
                    listed = True
                    if self._stop.is_set():
                        return
                got_events = self._watch()
                failures = 0 if got_events else failures + 1
            except _Gone:
                self.relists += 1
                self.resource_version = ""
                log.info("Watch expired, listing again", extra={"resource": self.name})
                # at once, unless the version of a list just made is already gone
                failures = failures + 1 if listed else 0
            except ApiError as e:
                failures += 1
                self._error(str(e))
            except Exception as e:  # a handler bug must not end the watch for good
                failures += 1
                log.exception("Watch handler failed", extra={"resource": self.name})
                self._error(f"{type(e).__name__}: {e}")
            if failures and not self._stop.is_set():
                delay = min(self._backoff_max, self._backoff_base * 2 ** (failures - 1))
                self._stop.wait(delay * (0.5 + random.random() / 2))

    def _error(self, message: str) -> None:
        self.errors += 1
        self.last_error = message
        self._log.warning("Watch failed", extra={"resource": self.name, "err": message})

    def _list(self) -> None:
        listed = self._client.list(self._path, page_size=self._page_size)
        self.lists += 1
        self._on_replace(listed.items)
        self.resource_version = listed.resource_version
        if not self.resource_version:
            raise ApiError(f"GET {self._path}: the list has no resourceVersion")
        self._synced.set()

    def _watch(self) -> bool:
        """Watch from the current resourceVersion until the stream ends; True when it
        delivered anything (events or bookmarks)."""
        params = {
            "watch": "1",
            "resourceVersion": self.resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(int(self._watch_timeout)),
        }
        try:
            stream = self._client.stream(
                self._path, params=params, timeout=self._watch_timeout + 30.0
            )
        except ApiError as e:
            if e.status == 410:
                raise _Gone from e
            raise
        with self._lock:
            self._stream = stream
        if self._stop.is_set():
            stream.abort()
        self.watches += 1
        delivered = False
        try:
            for line in stream.lines():
                delivered = True
                self._handle(line)
        finally:
            with self._lock:
                self._stream = None
            stream.close()
        return delivered

    def _handle(self, line: bytes) -> None:
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            raise ApiError(f"watch {self._path}: an event is not JSON") from e
        kind = event.get("type") if isinstance(event, dict) else None
        obj = event.get("object") if isinstance(event, dict) else None
        if not isinstance(obj, dict):
            raise ApiError(f"watch {self._path}: an event has no object")
        if kind == "ERROR":
            code = obj.get("code")
            if code == 410:
                raise _Gone
            raise ApiError(f"watch {self._path}: {code} {obj.get('message') or ''}".rstrip())
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            if rv:
                self.resource_version = str(rv)
            if self._on_idle is not None:
                self._on_idle()
            return
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            raise ApiError(f"watch {self._path}: unknown event type {kind!r}")
        self.events += 1
        self._on_event(kind, obj)
        if rv:
            self.resource_version = str(rv)
