"""One client for the Kubernetes API server, on Python's standard library (`http.client`, `ssl`).

Which client, and why. A scan needs paged GET list calls kept exactly as the server sent them;
the webhook needs SubjectAccessReviews, status patches and streamed watches; `podgate ui
--allow-changes` a few patches. We weighed the two libraries made for the field. The official
`kubernetes` client has the most complete kubeconfig support, but brings about twenty packages
(urllib3, requests, aiohttp, pydantic, oauthlib, websocket-client, ...), imports every API
class on start-up, its generated models reject fields they do not know (a cluster newer than
the client breaks them), and its OIDC refresh turns TLS verification off when the kubeconfig
names no identity-provider CA. `lightkube` is typed and lighter, but rests on the `httpx2`
fork, msgspec and its models package, reads one kubeconfig file (not a `KUBECONFIG` list) and
runs exec plugins only up to `v1beta1`. This client adds no dependency and keeps podgate's rules:

* TLS verification is always on, against the kubeconfig's CA; switching it off takes an
  explicit `insecure=True` (`--insecure-skip-tls-verify`); plain HTTP only to loopback.
* Every connect and read has a timeout; every response is capped in size (`max_bytes`).
* Keep-alive: idle connections go back to a small pool shared by all threads; a request that
  fails on a reused connection the server has closed meanwhile is sent once more on a new one.
* Credentials (`credentials.py`): a token file is re-read when it changes, an exec plugin's
  credential when it expires; after a 401 either is renewed and the request sent once more.
* Proxies: the kubeconfig's `proxy-url`, else HTTPS_PROXY / NO_PROXY (http CONNECT; never for
  loopback), with the certificate still checked end to end.
* A watch gets a connection of its own, which `abort()` shuts down from another thread.

Failures raise `ApiError` (podgate.errors) with the HTTP status when one came, worded for the
command line or for a server's logs (`wording.py`).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import orjson

from podgate.errors import ApiError
from podgate.io.kube.credentials import Credentials
from podgate.io.kube.kubeconfig import Cluster, is_loopback
from podgate.io.kube.wording import SERVICE, Wording

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_BYTES",
    "ApiClient",
    "Listed",
    "Response",
    "WatchStream",
]

DEFAULT_TIMEOUT = 10.0  # seconds, connect and each read
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_IDLE_CONNECTIONS = 8


# What a request on a kept-alive connection meets when the server closed it meanwhile.
_STALE = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)


class _HTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection that checks the certificate against `server_name` when given (the
    kubeconfig's tls-server-name) instead of the host dialled, also through a CONNECT tunnel."""

    def __init__(self, host: str, port: int | None, *, server_name: str | None, **kw: Any) -> None:
        super().__init__(host, port, **kw)
        self._server_name = server_name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)  # TCP, and the CONNECT tunnel if any
        name = self._server_name or getattr(self, "_tunnel_host", None) or self.host
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=name
        )
        with contextlib.suppress(OSError):  # small requests: no Nagle delay
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class RequestOptions(TypedDict, total=False):
    params: Mapping[str, str] | None
    body: Any
    content_type: str
    timeout: float | None


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    reason: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Listed:
    """Every item of a collection (dicts only) and the list's resourceVersion."""

    items: list[dict[str, Any]]
    resource_version: str


def _status_text(body: bytes) -> tuple[str, str]:
    """(message, reason) of a metav1.Status body; empty strings when it is not one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("message") or ""), str(data.get("reason") or "")


def _proxy(server: str, proxy_url: str | None, where: str) -> tuple[str, int] | None:
    """The HTTP CONNECT proxy to reach `server` through: the kubeconfig's proxy-url, else the
    environment's (HTTPS_PROXY, NO_PROXY), never for loopback (as Go's ProxyFromEnvironment)."""
    url = proxy_url
    split = urllib.parse.urlsplit(server)
    host = split.hostname or ""
    if url is None:
        if is_loopback(host) or urllib.request.proxy_bypass(host):
            return None
        url = urllib.request.getproxies_environment().get(split.scheme)
    if not url:
        return None
    p = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    if p.scheme != "http" or not p.hostname:
        raise ApiError(f"proxy {url!r}: only http:// proxies are supported (CONNECT)", where=where)
    return p.hostname, p.port or 80


class WatchStream:
    """One streamed response, read line by line (each line at most `limit` bytes); `abort()`
    ends it from any thread."""

    def __init__(
        self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse, limit: int
    ) -> None:
        self._conn = conn
        self._resp = resp
        self._limit = limit
        self._aborted = False

    def lines(self) -> Iterator[bytes]:
        while True:
            try:
                line = self._resp.readline(self._limit)
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
        _drop(self._conn, self._resp)


class ApiClient:
    """Requests to one API server, safe to share between threads.

    `server` is `https://host[:port][/path]` (or `http://` on loopback with `ssl_context=None`);
    `ssl_context` must verify the server unless `insecure`; `credentials` authenticate each
    request (None: anonymous). `where` (`cluster:<context>`) leads every error message."""

    def __init__(
        self,
        server: str,
        *,
        ssl_context: ssl.SSLContext | None,
        credentials: Credentials | None = None,
        tls_server_name: str | None = None,
        proxy: str | None = None,
        insecure: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_RESPONSE_BYTES,
        max_idle: int = MAX_IDLE_CONNECTIONS,
        user_agent: str = "podgate",
        wording: Wording = SERVICE,
        where: str = "",
    ) -> None:
        url = urllib.parse.urlsplit(server)
        plain = url.scheme == "http" and ssl_context is None and is_loopback(url.hostname or "")
        if not plain and (url.scheme != "https" or not url.hostname or ssl_context is None):
            raise ApiError(f"server {server!r} is not an https:// URL (TLS is always on)")
        if (
            ssl_context is not None
            and not insecure
            and (ssl_context.verify_mode != ssl.CERT_REQUIRED or not ssl_context.check_hostname)
        ):
            raise ApiError("the TLS context does not verify the server: refused")
        self.server = server.rstrip("/")
        self.where = where
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.wording = wording
        self.requests = 0  # answered, for the scan's summary
        self._host = url.hostname or ""
        self._port = url.port
        self._base = url.path.rstrip("/")
        self._ctx = ssl_context
        self._credentials = credentials
        self._server_name = tls_server_name
        self._proxy = _proxy(self.server, proxy, where)
        self._user_agent = user_agent
        self._max_idle = max_idle
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def for_cluster(
        cls, cluster: Cluster, *, where: str | None = None, **options: Any
    ) -> ApiClient:
        """A client for a resolved kubeconfig context (`kubeconfig.resolve`, `in_cluster`);
        its errors start with `where`, by default the context's (`cluster:<context>`)."""
        return cls(
            cluster.server,
            ssl_context=cluster.ssl_context,
            credentials=cluster.credentials,
            tls_server_name=cluster.tls_server_name,
            proxy=cluster.proxy,
            insecure=cluster.insecure,
            where=cluster.where if where is None else where,
            **options,
        )

    # --- connections --------------------------------------------------------------------

    def _new_connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._ctx is None:
            return http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        host, port = self._proxy if self._proxy else (self._host, self._port)
        conn = _HTTPSConnection(
            host, port, server_name=self._server_name, context=self._ctx, timeout=timeout
        )
        if self._proxy:
            conn.set_tunnel(self._host, self._port or 443)
        return conn

    def _acquire(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._closed:
                raise ApiError("the API client is closed", where=self.where)
            if self._idle:
                conn = self._idle.pop()
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.timeout = timeout
                return conn, True
        return self._new_connection(timeout), False

    def _release(self, conn: http.client.HTTPConnection) -> None:
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

    # --- failures -----------------------------------------------------------------------

    def _error(self, template: str, method: str, path: str, **fields: Any) -> ApiError:
        fields.setdefault("target", path)
        text = template.format(
            server=self.server, host=self._host, method=method, path=path.split("?")[0], **fields
        )
        return ApiError(text, where=self.where)

    def _status_error(self, method: str, path: str, got: Response) -> ApiError:
        """An error status, with the message and reason of the Status object it carries."""
        message, reason = _status_text(got.body)
        return ApiError(
            f"{method} {path}: {got.status} {message or got.reason}",
            where=self.where,
            status=got.status,
            reason=reason,
            detail=message,
        )

    def _fail(self, method: str, path: str, timeout: float, e: BaseException) -> ApiError:
        w = self.wording
        if isinstance(e, ssl.SSLCertVerificationError):
            why = e.verify_message or e.reason or str(e)
            return self._error(w.verify_failed, method, path, why=why)
        if isinstance(e, ssl.SSLError):
            return ApiError(
                f"TLS error talking to {self.server}: {e.reason or e}", where=self.where
            )
        if isinstance(e, TimeoutError):
            return self._error(w.timed_out, method, path, timeout=timeout)
        if isinstance(e, socket.gaierror) and w.unresolved is not None:
            return self._error(w.unresolved, method, path)
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return self._error(w.unreachable, method, path, why=why or type(e).__name__)

    def authenticate(self) -> None:
        """Get the credentials now (read the token file, run the exec plugin, load the client
        certificate), so that a server fails at start-up rather than on its first request."""
        self._headers(False, {})

    # --- requests -----------------------------------------------------------------------

    @property
    def _renewable(self) -> bool:
        return self._credentials is not None and self._credentials.renewable

    def _headers(self, refresh: bool, extra: Mapping[str, str]) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self._user_agent, **extra}
        if self._credentials is not None:
            value = self._credentials.authorization(self._ctx, refresh=refresh)
            if value:
                headers["Authorization"] = value
        return headers

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | None = None,
    ) -> Response:
        """Send one request and return the answer, whatever its status (after a 401, once more
        with renewed credentials when they can be renewed). A transport or TLS failure, a
        timeout or an answer over `max_bytes` raises ApiError."""
        wait = self.timeout if timeout is None else timeout
        target = f"{path}?{urllib.parse.urlencode(params)}" if params else path
        payload = None if body is None else orjson.dumps(body)
        extra = {} if payload is None else {"Content-Type": content_type}
        refresh = False
        attempt = 0
        while True:
            attempt += 1
            headers = self._headers(refresh, extra)
            conn, reused = self._acquire(wait)
            resp = None
            try:
                conn.request(method, self._base + target, body=payload, headers=headers)
                resp = conn.getresponse()
                with self._lock:
                    self.requests += 1
                length = resp.getheader("Content-Length")
                if length is not None and length.isdigit() and int(length) > self.max_bytes:
                    _drop(conn, resp)
                    raise self._error(
                        self.wording.too_large, method, target, length=length, limit=self.max_bytes
                    )
                data = resp.read(self.max_bytes + 1)
            except _STALE as e:
                _drop(conn, resp)
                if reused and attempt == 1:
                    continue  # the server closed an idle connection: once more, on a new one
                raise self._fail(method, target, wait, e) from e
            except (OSError, http.client.HTTPException) as e:
                _drop(conn, resp)
                raise self._fail(method, target, wait, e) from e
            if len(data) > self.max_bytes:
                _drop(conn, resp)
                raise self._error(self.wording.over_limit, method, target, limit=self.max_bytes)
            if resp.will_close:
                _drop(conn, resp)
            else:
                self._release(conn)
            if resp.status == 401 and not refresh and self._renewable:
                refresh = True  # a rotated or expired credential: renew it, once
                continue
            return Response(resp.status, resp.reason, data)

    def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """Send one request (options as `send`) and return the decoded JSON answer; an error
        status raises ApiError with the status, the Status reason and message."""
        got = self.send(method, path, **options)
        if got.status >= 400:
            raise self._status_error(method, path, got)
        try:
            return orjson.loads(got.body)
        except orjson.JSONDecodeError as e:
            raise self._error(self.wording.not_json, method, path, why=e.msg) from e

    def list(self, path: str, *, page_size: int = 500) -> Listed:
        """Every item of a collection, page by page (`limit`/`continue`, as kubectl's
        --chunk-size); a continue token that expired (410) restarts the list once."""
        items: list[dict[str, Any]] = []
        token = ""
        restarted = False
        while True:
            params = {"limit": str(page_size)}
            if token:
                params["continue"] = token
            try:
                page = self.request("GET", path, params=params)
            except ApiError as e:
                if e.status == 410 and token and not restarted:  # the continue token expired
                    items, token, restarted = [], "", True
                    continue
                raise
            found = page.get("items") if isinstance(page, dict) else None
            if not isinstance(page, dict) or not isinstance(found, list | None):
                raise self._error(self.wording.not_list, "GET", path)
            items.extend(i for i in found or () if isinstance(i, dict))
            meta = page.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            token = str(meta.get("continue") or "")
            if not token:
                return Listed(items, str(meta.get("resourceVersion") or ""))

    def stream(
        self, path: str, *, params: Mapping[str, str] | None = None, timeout: float
    ) -> WatchStream:
        """Open a streamed GET (a watch) on a connection of its own; the caller closes it.
        An error status raises ApiError with the status (410 Gone included)."""
        target = f"{path}?{urllib.parse.urlencode(params)}" if params else path
        refresh = False
        while True:
            headers = self._headers(refresh, {})
            with self._lock:
                if self._closed:
                    raise ApiError("the API client is closed", where=self.where)
            conn = self._new_connection(timeout)
            resp = None
            try:
                conn.request("GET", self._base + target, headers=headers)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                _drop(conn, resp)
                raise self._fail("GET", path, timeout, e) from e
            if resp.status == 401 and not refresh and self._renewable:
                _drop(conn, resp)
                refresh = True
                continue
            if resp.status >= 400:
                try:
                    data = resp.read(self.max_bytes)
                except (OSError, http.client.HTTPException):
                    data = b""
                _drop(conn, resp)
                raise self._status_error("GET", path, Response(resp.status, resp.reason, data))
            return WatchStream(conn, resp, self.max_bytes)


def _drop(conn: http.client.HTTPConnection, resp: http.client.HTTPResponse | None) -> None:
    """Close a connection that will not be used again, and its response. A response that will
    close owns the socket (`getresponse()` hands it over): `conn.close()` alone leaves the
    descriptor open while the response lives, and an exception raised meanwhile keeps it
    alive in its traceback until a garbage collection, which then finalizes the socket before
    the reader holding it ("unclosed <ssl.SSLSocket [closed] fd=...>")."""
    if resp is not None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            resp.close()
    conn.close()
