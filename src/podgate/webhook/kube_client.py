"""A small, thread-safe client for the Kubernetes API server, and a list-and-watch loop.

The client is Python's standard library (`http.client` and `ssl`), as `podgate scan --live`
uses in `io/live.py`: the webhook needs JSON requests (SubjectAccessReview create, list, status
patch) and streamed watches, no more. Rules it keeps:

* TLS verification is always on; a context that does not verify is refused.
* Every request has a timeout; responses are capped in size.
* Keep-alive: idle connections go back to a small pool shared by all threads; a request that
  fails on a reused connection the server has closed meanwhile is sent once more on a new one.
* Credentials: the in-cluster service account token is re-read when its file changes (the
  kubelet rotates bound tokens) and at least once a minute, and once more on a 401.
* A watch gets a connection of its own, which `abort()` shuts down from another thread.

`Reflector` is client-go's reflector reduced to what podgate needs: list (paged), then watch
from the list's resourceVersion with bookmarks, re-list on 410 Gone, exponential backoff with
jitter on errors, and a stop that ends the thread promptly.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import random
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from podgate import __version__
from podgate.errors import PodgateError

__all__ = [
    "SERVICE_ACCOUNT_DIR",
    "ApiClient",
    "ApiError",
    "Reflector",
    "WatchStream",
    "verifying_context",
]

log = logging.getLogger("podgate.webhook.kube")

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_TIMEOUT = 10.0  # seconds, connect and each read of a unary request
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_IDLE_CONNECTIONS = 8
TOKEN_RECHECK_SECONDS = 60.0
USER_AGENT = f"podgate/{__version__} (webhook)"


# What a request on a kept-alive connection meets when the server closed it meanwhile.
_STALE = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)


class ApiError(PodgateError):
    """A request to the API server failed: transport, TLS, timeout or an error status.
    `status` is the HTTP status (None when no response came), `reason` the Status reason."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "") -> None:
        self.status = status
        self.reason = reason
        super().__init__(message)


class _TokenFile:
    """A bearer token read from a file, re-read when the file changes (the kubelet swaps a
    symlink when it rotates the token), at least every minute, and on demand after a 401."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._token = ""
        self._stamp: tuple[int, int, int] | None = None
        self._read_at = float("-inf")

    def __call__(self, *, refresh: bool = False) -> str:
        with self._lock:
            try:
                st = os.stat(self._path)  # follows the ..data symlink
            except OSError as e:
                raise ApiError(f"cannot read the token file {self._path}: {e.strerror}") from e
            stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
            now = self._clock()
            if refresh or stamp != self._stamp or now - self._read_at >= TOKEN_RECHECK_SECONDS:
                try:
                    self._token = self._path.read_text("utf-8").strip()
                except OSError as e:
                    raise ApiError(f"cannot read the token file {self._path}: {e.strerror}") from e
                self._stamp, self._read_at = stamp, now
            return self._token


class _HTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection that verifies the certificate against `server_name` when given (the
    kubeconfig's tls-server-name) instead of the host dialled."""

    def __init__(self, host: str, port: int | None, *, server_name: str | None, **kw: Any) -> None:
        super().__init__(host, port, **kw)
        self._server_name = server_name

    def connect(self) -> None:
        if self._server_name is None:
            super().connect()
        else:
            http.client.HTTPConnection.connect(self)
            self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
                self.sock, server_hostname=self._server_name
            )
        with contextlib.suppress(OSError):  # small requests: no Nagle delay
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _status_text(body: bytes) -> tuple[str, str]:
    """(message, reason) of a metav1.Status body; empty strings when it is not one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("message") or ""), str(data.get("reason") or "")


def _load_client_cert(ctx: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    """The ssl module reads client certificates from files only: write them to a private
    temporary directory, load them, and remove them at once."""
    with tempfile.TemporaryDirectory(prefix="podgate-") as tmp:
        crt_path, key_path = Path(tmp, "client.crt"), Path(tmp, "client.key")
        for path, data in ((crt_path, cert), (key_path, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        try:
            ctx.load_cert_chain(crt_path, key_path)
        except ssl.SSLError as e:
            raise ApiError(f"unusable client certificate: {e}") from e


def verifying_context(ca_file: str | os.PathLike[str] | None = None) -> ssl.SSLContext:
    """A TLS 1.2+ client context that verifies the server against `ca_file` only (or the
    system roots when None)."""
    if ca_file is None:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, checks hostnames; no roots
        try:
            ctx.load_verify_locations(cafile=os.fspath(ca_file))
        except (OSError, ssl.SSLError) as e:
            raise ApiError(f"cannot load the CA certificate {os.fspath(ca_file)}: {e}") from e
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class WatchStream:
    """One streamed response, read line by line; `abort()` ends it from any thread."""

    def __init__(self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse) -> None:
        self._conn = conn
        self._resp = resp
        self._aborted = False

    def lines(self) -> Iterator[bytes]:
        while True:
            try:
                line = self._resp.readline(MAX_RESPONSE_BYTES)
            except (OSError, http.client.HTTPException, ValueError) as e:
                if self._aborted:
                    return
                raise ApiError(f"watch stream broken: {e or type(e).__name__}") from e
            if not line:
                return
            line = line.strip()
            if line:
                yield line

    def abort(self) -> None:
        self._aborted = True
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            self._resp.close()
        self._conn.close()


class ApiClient:
    """Requests to one API server over HTTPS, safe to share between threads.

    `server` is `https://host:port`; `ssl_context` must verify the server (use
    `verifying_context`); `token` returns the bearer token (`refresh=True` after a 401), or
    is None for client-certificate authentication (already loaded into the context)."""

    def __init__(
        self,
        server: str,
        *,
        ssl_context: ssl.SSLContext,
        token: Callable[..., str | None] | None = None,
        tls_server_name: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_idle: int = MAX_IDLE_CONNECTIONS,
    ) -> None:
        url = urllib.parse.urlsplit(server)
        if url.scheme != "https" or not url.hostname:
            raise ApiError(f"server {server!r} is not an https:// URL (TLS is always on)")
        if ssl_context.verify_mode != ssl.CERT_REQUIRED or not ssl_context.check_hostname:
            raise ApiError("the TLS context does not verify the server: refused")
        self.server = server.rstrip("/")
        self._host = url.hostname
        self._port = url.port
        self._base = url.path.rstrip("/")
        self._ctx = ssl_context
        self._token = token
        self._server_name = tls_server_name
        self.timeout = timeout
        self._max_idle = max_idle
        self._idle: list[_HTTPSConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    # --- construction -------------------------------------------------------------------

    @classmethod
    def in_cluster(
        cls,
        *,
        service_account_dir: str | os.PathLike[str] = SERVICE_ACCOUNT_DIR,
        environ: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ApiClient:
        """The pod's own service account: KUBERNETES_SERVICE_HOST/PORT, `token` (re-read when
        rotated) and `ca.crt` from `service_account_dir`."""
        env = os.environ if environ is None else environ
        host = env.get("KUBERNETES_SERVICE_HOST", "")
        port = env.get("KUBERNETES_SERVICE_PORT", "")
        if not host or not port:
            raise ApiError(
                "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset"
            )
        if ":" in host:
            host = f"[{host}]"
        sa = Path(service_account_dir)
        token = _TokenFile(sa / "token")
        token()  # fail now, not on the first admission request
        return cls(
            f"https://{host}:{port}",
            ssl_context=verifying_context(sa / "ca.crt"),
            token=token,
            timeout=timeout,
        )

    @classmethod
    def from_kubeconfig(
        cls,
        path: str | None = None,
        context: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ApiClient:
        """A kubeconfig context, resolved as kubectl does (`path`, else KUBECONFIG, else
        ~/.kube/config, else in-cluster) by `podgate.io.live.connect`: tokens, token files,
        client certificates and exec plugins (run once: a token that expires is not renewed,
        so use this for development and the in-cluster configuration in a pod)."""
        from podgate.errors import LoadError
        from podgate.io.live import connect

        try:
            cluster = connect(path, context, timeout=timeout)
            creds = cluster.credentials
            creds.run_exec(cluster.where)
        except LoadError as e:
            raise ApiError(str(e)) from e
        if cluster.ssl_context is None or cluster.insecure:
            raise ApiError(
                f"{cluster.server}: the webhook talks to the API server over verified TLS"
            )
        if creds.cert is not None:
            _load_client_cert(cluster.ssl_context, *creds.cert)
        where = cluster.where

        def token(*, refresh: bool = False) -> str | None:
            del refresh  # the credentials re-read a token file on every call
            try:
                header = creds.header(where)
            except LoadError as e:
                raise ApiError(str(e)) from e
            if header is None:
                return None
            if header.startswith("Bearer "):
                return header[len("Bearer ") :]
            raise ApiError(f"{where}: only bearer tokens and client certificates are supported")

        return cls(
            cluster.server,
            ssl_context=cluster.ssl_context,
            token=token,
            tls_server_name=cluster.tls_server_name,
            timeout=timeout,
        )

    @classmethod
    def from_environment(
        cls,
        kubeconfig: str | None = None,
        context: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ApiClient:
        """`kubeconfig` when given; else the pod's service account when running in a pod
        (KUBERNETES_SERVICE_HOST set); else KUBECONFIG or ~/.kube/config."""
        if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            return cls.in_cluster(timeout=timeout)
        return cls.from_kubeconfig(kubeconfig, context, timeout=timeout)

    # --- connections --------------------------------------------------------------------

    def _new_connection(self, timeout: float) -> _HTTPSConnection:
        return _HTTPSConnection(
            self._host,
            self._port,
            server_name=self._server_name,
            context=self._ctx,
            timeout=timeout,
        )

    def _acquire(self, timeout: float) -> tuple[_HTTPSConnection, bool]:
        with self._lock:
            if self._closed:
                raise ApiError("the API client is closed")
            if self._idle:
                conn = self._idle.pop()
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.timeout = timeout
                return conn, True
        return self._new_connection(timeout), False

    def _release(self, conn: _HTTPSConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self._max_idle and conn.sock is not None:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close every idle connection; later requests fail."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _headers(self, refresh: bool, extra: Mapping[str, str]) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **extra}
        if self._token is not None:
            value = self._token(refresh=refresh)
            if value:
                headers["Authorization"] = f"Bearer {value}"
        return headers

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self._base}{path}{query}"

    def _fail(self, method: str, path: str, e: BaseException) -> ApiError:
        if isinstance(e, ssl.SSLCertVerificationError):
            why = e.verify_message or e.reason or str(e)
            return ApiError(f"TLS verification of {self.server} failed: {why}")
        if isinstance(e, ssl.SSLError):
            return ApiError(f"TLS error talking to {self.server}: {e.reason or e}")
        if isinstance(e, TimeoutError):
            return ApiError(f"{method} {path}: {self.server} did not answer in time")
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return ApiError(
            f"{method} {path}: cannot reach {self.server}: {reason or type(e).__name__}"
        )

    # --- requests -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON answer; an error status, a transport
        or TLS failure or a timeout raises ApiError."""
        wait = self.timeout if timeout is None else timeout
        url = self._url(path, params)
        payload = None if body is None else orjson.dumps(body)
        extra = {} if payload is None else {"Content-Type": content_type}
        refresh = False
        for attempt in range(3):
            headers = self._headers(refresh, extra)
            conn, reused = self._acquire(wait)
            try:
                conn.request(method, url, body=payload, headers=headers)
                resp = conn.getresponse()
                data = resp.read(MAX_RESPONSE_BYTES + 1)
            except _STALE as e:
                conn.close()
                if reused and attempt == 0:
                    continue  # the server closed an idle connection: once more, on a new one
                raise self._fail(method, path, e) from e
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise self._fail(method, path, e) from e
            if len(data) > MAX_RESPONSE_BYTES:
                conn.close()
                raise ApiError(f"{method} {path}: the answer is over {MAX_RESPONSE_BYTES} bytes")
            if resp.will_close:
                conn.close()
            else:
                self._release(conn)
            if resp.status == 401 and not refresh and self._token is not None:
                refresh = True  # a rotated token: read it again, once
                continue
            if resp.status >= 400:
                message, reason = _status_text(data)
                raise ApiError(
                    f"{method} {path}: {resp.status} {message or resp.reason}",
                    status=resp.status,
                    reason=reason,
                )
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError as e:
                raise ApiError(f"{method} {path}: the answer is not JSON") from e
        raise ApiError(f"{method} {path}: no answer after retries")

    def stream(
        self, path: str, *, params: Mapping[str, str] | None = None, timeout: float
    ) -> WatchStream:
        """Open a streamed GET (a watch) on a connection of its own; the caller closes it.
        An error status raises ApiError with the status (410 Gone included)."""
        url = self._url(path, params)
        refresh = False
        for _ in range(2):
            headers = self._headers(refresh, {})
            with self._lock:
                if self._closed:
                    raise ApiError("the API client is closed")
            conn = self._new_connection(timeout)
            try:
                conn.request("GET", url, headers=headers)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise self._fail("GET", path, e) from e
            if resp.status == 401 and not refresh and self._token is not None:
                conn.close()
                refresh = True
                continue
            if resp.status >= 400:
                try:
                    data = resp.read(MAX_RESPONSE_BYTES)
                except (OSError, http.client.HTTPException):
                    data = b""
                conn.close()
                message, reason = _status_text(data)
                raise ApiError(
                    f"GET {path}: {resp.status} {message or resp.reason}",
                    status=resp.status,
                    reason=reason,
                )
            return WatchStream(conn, resp)
        raise ApiError(f"GET {path}: unauthorized")


# ---------------------------------------------------------------------------------------------
# list and watch


class _Gone(Exception):
    """The resourceVersion is too old (410): list again."""


Obj = dict[str, Any]


class Reflector:
    """List, then watch, one collection in a background thread, calling `on_replace(items)`
    after each full list and `on_event(type, obj)` for ADDED, MODIFIED and DELETED. Handlers
    run in the reflector's thread, one at a time. Counters (`lists`, `watches`, `relists`,
    `events`, `errors`) and `last_error` are for metrics and logs."""

    def __init__(
        self,
        client: ApiClient,
        path: str,
        *,
        on_replace: Callable[[list[Obj]], None],
        on_event: Callable[[str, Obj], None],
        on_idle: Callable[[], None] | None = None,
        page_size: int = 500,
        watch_timeout: float = 300.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        name: str = "",
    ) -> None:
        self._client = client
        self._path = path
        self._on_replace = on_replace
        self._on_event = on_event
        self._on_idle = on_idle
        self._page_size = page_size
        self._watch_timeout = watch_timeout
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
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

    def wait_synced(self, timeout: float | None = None) -> bool:
        return self._synced.wait(timeout)

    # --- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
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
        log.warning("Watch failed", extra={"resource": self.name, "err": message})

    def _list(self) -> None:
        items: list[Obj] = []
        token = ""
        restarted = False
        while True:
            params = {"limit": str(self._page_size)}
            if token:
                params["continue"] = token
            try:
                page = self._client.request("GET", self._path, params=params)
            except ApiError as e:
                if e.status == 410 and token and not restarted:  # the continue token expired
                    items, token, restarted = [], "", True
                    continue
                raise
            if not isinstance(page, dict):
                raise ApiError(f"GET {self._path}: the answer is not a list")
            items.extend(i for i in page.get("items") or () if isinstance(i, dict))
            meta = page.get("metadata") or {}
            token = str(meta.get("continue") or "")
            if not token:
                break
        self.lists += 1
        self._on_replace(items)
        self.resource_version = str(meta.get("resourceVersion") or "")
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
