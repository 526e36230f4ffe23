"""The local HTTPS fake of the Kubernetes API server that every client test talks to (no real
API server runs on these machines): `podgate scan|advise|ui --live`, and the webhook.

It speaks: paged lists (`limit`/`continue`, at most `page_cap` items a page whatever the client
asks; a continue token that expired, 410) of the kinds a scan reads and of the podgate.io
policy CRD, cluster-wide or in one namespace, items without kind and apiVersion as the API
server lists built-in kinds; 403 for the kinds in `forbidden`, 404 for those in `missing`;
bearer tokens (401 for a token in `reject_tokens`, or not in `accept_tokens` when set); answers
without Content-Length, ended by closing the connection (`stream`); SubjectAccessReview create
(answered from a set of grants, or from RBAC objects by an independent reference evaluator);
watches (chunked, with ADDED, MODIFIED, DELETED, BOOKMARK and ERROR 410 events, replay from a
resourceVersion, 410 when it is compacted away); the /status subresource (PUT and merge PATCH
with a resourceVersion precondition); and writes as `podgate ui --allow-changes` sends them:
JSON merge PATCH, server-side apply (PATCH with application/apply-patch+yaml) and DELETE, each
honouring `dryRun=All` (answered, not stored). Every request is recorded in `requests`.

Bound to port 0 on 127.0.0.1 with a certificate made here by `cryptography`, the TLS handshake
done in the handler's thread; every handler thread ends when the server stops."""

from __future__ import annotations

import contextlib
import copy
import json
import queue
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization

from tests.pki_helpers import make_ca, make_server_cert
from tests.rbac_reference import sar_allowed

if TYPE_CHECKING:
    from podgate.io.kube import ApiClient

POLICIES = "/apis/podgate.io/v1/podsecuritypolicies"
NAMESPACES = "/api/v1/namespaces"
SAR = "/apis/authorization.k8s.io/v1/subjectaccessreviews"

# the built-in kinds served: (apiVersion, kind, plural, namespaced)
BUILTIN = (
    ("v1", "Namespace", "namespaces", False),
    ("v1", "ServiceAccount", "serviceaccounts", True),
    ("v1", "Pod", "pods", True),
    ("apps/v1", "Deployment", "deployments", True),
    ("apps/v1", "ReplicaSet", "replicasets", True),
    ("apps/v1", "StatefulSet", "statefulsets", True),
    ("apps/v1", "DaemonSet", "daemonsets", True),
    ("batch/v1", "Job", "jobs", True),
    ("batch/v1", "CronJob", "cronjobs", True),
    ("v1", "ReplicationController", "replicationcontrollers", True),
    ("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    ("policy/v1beta1", "PodSecurityPolicy", "podsecuritypolicies", False),
)


def collection_path(api_version: str, plural: str) -> str:
    return f"/api/v1/{plural}" if api_version == "v1" else f"/apis/{api_version}/{plural}"


# --- certificates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA that signed the server's certificate
    other_ca: Path  # a CA that did not
    cert: Path
    key: Path


def make_pki(directory: Path) -> Pki:
    ca_key, ca_cert = make_ca("test api CA")
    _, other_cert = make_ca("some other CA")
    key, leaf = make_server_cert(ca_key, ca_cert, "kubernetes")
    pem = serialization.Encoding.PEM
    out = Pki(
        directory / "ca.crt",
        directory / "other-ca.crt",
        directory / "tls.crt",
        directory / "tls.key",
    )
    out.ca.write_bytes(ca_cert.public_bytes(pem))
    out.other_ca.write_bytes(other_cert.public_bytes(pem))
    out.cert.write_bytes(leaf.public_bytes(pem))
    out.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return out


# --- the fake API server ----------------------------------------------------------------------


@dataclass
class Collection:
    kind: str
    api_version: str
    plural: str
    namespaced: bool = False
    builtin: bool = True  # lists leave kind and apiVersion out of the items
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    compacted: int = 0  # events at or below this resourceVersion are gone
    watchers: list[queue.Queue[dict[str, Any] | None]] = field(default_factory=list)
    lists: int = 0
    watches: list[dict[str, str]] = field(default_factory=list)
    gone_next_watch: int = 0  # answer this many watch requests with HTTP 410


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    auth: str  # the Authorization header


class FakeApi:
    def __init__(
        self, pki: Pki, *, accept_tokens: set[str] | None = None, page_cap: int | None = None
    ) -> None:
        self.lock = threading.Lock()
        self.rv = 100
        self.collections = {
            collection_path(v, plural): Collection(kind, v, plural, namespaced)
            for v, kind, plural, namespaced in BUILTIN
        }
        self.collections[POLICIES] = Collection(
            "PodSecurityPolicy", "podgate.io/v1", "podsecuritypolicies", builtin=False
        )
        self.accept_tokens = accept_tokens
        self.page_cap = page_cap
        self.forbidden: set[str] = set()  # plurals answered 403
        self.missing: set[str] = set()  # plurals answered 404 (not served)
        self.expire_continue: set[str] = set()  # plurals whose first continue token expired
        self.stream = False  # answers without Content-Length, ended by closing the connection
        self.null_items = False  # an empty page says `"items": null`, as Go's nil slice
        self.requests: list[Request] = []
        self.grants: set[tuple[str, str, str, str]] = set()  # (subject, group, ns, policy)
        # RBAC objects: when set, SubjectAccessReviews are answered from them by the reference
        # evaluator of tests/rbac_reference.py (which shares no code with podgate.rbac)
        self.rbac: list[dict[str, Any]] | None = None
        self.sar_bodies: list[dict[str, Any]] = []
        self.sar_status = 201
        self.sar_evaluation_error = ""
        self.sar_gate = threading.Event()
        self.sar_gate.set()
        self.sar_waiting = 0
        self.reject_tokens: set[str] = set()
        self.status_writes: list[tuple[str, str, dict[str, Any]]] = []
        self.writes: list[dict[str, Any]] = []  # object writes: method, path, dryRun, type, body
        self.applied: dict[str, dict[str, Any]] = {}  # objects made by server-side apply, by path
        self.refuse_writes: dict[str, tuple[int, str]] = {}  # path -> (code, message)
        self.connections = 0
        self.drop_after_answer = False
        self.stopping = threading.Event()
        api = self

        class Handler(_Handler):
            fake = api

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.cert, pki.key)
        self.httpd.socket = ctx.wrap_socket(
            self.httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self.thread.daemon = True

    @property
    def tokens(self) -> list[str]:
        """The bearer token of every request, in order."""
        with self.lock:
            return [r.auth.removeprefix("Bearer ") for r in self.requests]

    def paths(self) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests]

    def load(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        """Store objects as they are, by plural (`{"pods": [...]}`), without events."""
        with self.lock:
            by_plural = {c.plural: c for c in self.collections.values() if c.builtin}
            for plural, objs in objects.items():
                coll = by_plural[plural]
                for obj in objs:
                    meta = obj["metadata"]
                    key = f"{meta.get('namespace', '')}/{meta['name']}"
                    coll.objects[key if coll.namespaced else meta["name"]] = copy.deepcopy(obj)

    def start(self) -> FakeApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.sar_gate.set()
        with self.lock:
            for coll in self.collections.values():
                for w in coll.watchers:
                    w.put(None)
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    # --- the store ----------------------------------------------------------------------

    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def _emit(self, coll: Collection, kind: str, obj: dict[str, Any]) -> None:
        rv = int(obj["metadata"]["resourceVersion"])
        event = {"type": kind, "object": copy.deepcopy(obj)}
        coll.history.append((rv, event))
        for w in coll.watchers:
            w.put(event)

    def put(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or update an object (as a user's apply would); returns the stored copy."""
        with self.lock:
            coll = self.collections[path]
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            name = meta["name"]
            old = coll.objects.get(name)
            obj["apiVersion"], obj["kind"] = coll.api_version, coll.kind
            meta["resourceVersion"] = str(self._next_rv())
            meta.setdefault("uid", f"uid-{name}")
            if path == NAMESPACES:
                meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            if old is None:
                meta["generation"] = 1
            else:
                gen = old["metadata"]["generation"]
                meta["generation"] = gen + 1 if old.get("spec") != obj.get("spec") else gen
                if "status" in old and "status" not in obj:
                    obj["status"] = old["status"]
            coll.objects[name] = obj
            self._emit(coll, "ADDED" if old is None else "MODIFIED", obj)
            return copy.deepcopy(obj)

    def delete(self, path: str, name: str, *, silently: bool = False) -> None:
        with self.lock:
            coll = self.collections[path]
            obj = coll.objects.pop(name)
            obj["metadata"]["resourceVersion"] = str(self._next_rv())
            if silently:  # as if it happened while no watch was open and history is gone
                coll.compacted = self.rv
                coll.history.clear()
            else:
                self._emit(coll, "DELETED", obj)

    def get(self, path: str, name: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.collections[path].objects[name])

    def bookmark(self, path: str) -> None:
        with self.lock:
            coll = self.collections[path]
            event = {
                "type": "BOOKMARK",
                "object": {
                    "kind": coll.kind,
                    "apiVersion": coll.api_version,
                    "metadata": {"resourceVersion": str(self.rv)},
                },
            }
            for w in coll.watchers:
                w.put(event)

    def expire(self, path: str) -> None:
        """Compact the history and tell every open watch 410 Gone (as etcd compaction does)."""
        with self.lock:
            coll = self.collections[path]
            coll.compacted = self.rv
            coll.history.clear()
            event = {
                "type": "ERROR",
                "object": {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "message": "too old resource version",
                    "reason": "Expired",
                    "code": 410,
                },
            }
            for w in coll.watchers:
                w.put(event)

    def open_watches(self, path: str) -> int:
        with self.lock:
            return len(self.collections[path].watchers)

    def allowed(self, spec: dict[str, Any]) -> bool:
        if self.rbac is not None:
            return sar_allowed(self.rbac, spec)
        attrs = spec["resourceAttributes"]
        subjects = [spec.get("user", ""), *spec.get("groups", [])]
        return any(
            (s, attrs["group"], attrs["namespace"], attrs["name"]) in self.grants for s in subjects
        )


def _status(code: int, message: str, reason: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    fake: FakeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.fake.lock:
            self.fake.connections += 1

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # TLS failures and closed connections
            self.connection.do_handshake()  # type: ignore[attr-defined]
            super().handle()

    def _send(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        if self.fake.stream:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.fake.drop_after_answer:  # close without saying so: the client's pool goes stale
            self.close_connection = True

    def _body(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n)) if n else None

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        fake = self.fake
        with fake.lock:
            fake.requests.append(Request(self.command, url.path, query, auth))
        accepted = fake.accept_tokens is None or token in fake.accept_tokens
        if token in fake.reject_tokens or not accepted:
            self._send(401, _status(401, "Unauthorized", "Unauthorized"))
            return False
        return True

    def do_POST(self) -> None:
        if not self._authorized():
            return
        path = urlsplit(self.path).path
        body = self._body()
        if path != SAR:
            self._send(404, _status(404, "not found", "NotFound"))
            return
        fake = self.fake
        with fake.lock:
            fake.sar_bodies.append(body)
            fake.sar_waiting += 1
        fake.sar_gate.wait(10)
        with fake.lock:
            fake.sar_waiting -= 1
        if fake.sar_status >= 400:
            self._send(fake.sar_status, _status(fake.sar_status, "internal error", "InternalError"))
            return
        status: dict[str, Any] = {"allowed": fake.allowed(body["spec"])}
        if fake.sar_evaluation_error:
            status["evaluationError"] = fake.sar_evaluation_error
        self._send(201, {**body, "status": status})

    def do_GET(self) -> None:
        if not self._authorized():
            return
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        coll, namespace = self._collection(url.path)
        if coll is None:
            self._send(404, _status(404, "not found", "NotFound"))
            return
        if coll.plural in self.fake.missing:
            message = "the server could not find the requested resource"
            self._send(404, _status(404, message, "NotFound"))
            return
        if coll.plural in self.fake.forbidden:
            group = coll.api_version.split("/")[0] if "/" in coll.api_version else ""
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            message = (
                f'{coll.plural}.{group} is forbidden: User "scanner" cannot list resource '
                f'"{coll.plural}" in API group "{group}" {scope}'
            )
            self._send(403, _status(403, message, "Forbidden"))
            return
        if query.get("watch") in ("1", "true"):
            self._watch(coll, query)
            return
        self._list(coll, namespace, query)

    def _collection(self, path: str) -> tuple[Collection | None, str | None]:
        """The collection a list path names, and the namespace it is limited to."""
        colls = self.fake.collections
        head, sep, rest = path.partition("/namespaces/")
        if sep and rest.count("/") == 1:
            namespace, plural = rest.split("/")
            coll = colls.get(f"{head}/{plural}")
            if coll is not None and coll.namespaced:
                return coll, namespace
            return None, None
        return colls.get(path), None

    def _list(self, coll: Collection, namespace: str | None, query: dict[str, str]) -> None:
        fake = self.fake
        with fake.lock:
            coll.lists += 1
            items = [
                copy.deepcopy(o)
                for _, o in sorted(coll.objects.items())
                if namespace is None or o["metadata"].get("namespace") == namespace
            ]
            rv = str(fake.rv)
            expired = bool(query.get("continue")) and coll.plural in fake.expire_continue
            if expired:
                fake.expire_continue.discard(coll.plural)
        if expired:
            message = "The provided continue parameter is too old"
            self._send(410, _status(410, message, "Expired"))
            return
        if coll.builtin:
            for item in items:
                item.pop("kind", None)
                item.pop("apiVersion", None)
        limit = int(query.get("limit") or 0) or len(items) or 1
        if fake.page_cap is not None:
            limit = min(limit, fake.page_cap)
        start = int(query.get("continue") or 0)
        page = items[start : start + limit]
        meta: dict[str, Any] = {"resourceVersion": rv}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
        self._send(
            200,
            {
                "kind": f"{coll.kind}List",
                "apiVersion": coll.api_version,
                "metadata": meta,
                "items": None if fake.null_items and not page else page,
            },
        )

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _watch(self, coll: Collection, query: dict[str, str]) -> None:
        fake = self.fake
        since = int(query.get("resourceVersion") or 0)
        mine: queue.Queue[dict[str, Any] | None] = queue.Queue()
        with fake.lock:
            coll.watches.append(query)
            if coll.gone_next_watch:
                coll.gone_next_watch -= 1
                gone = True
            else:
                gone = since < coll.compacted
            if not gone:
                for rv, event in coll.history:
                    if rv > since:
                        mine.put(event)
                coll.watchers.append(mine)
        if gone:
            self._send(410, _status(410, "too old resource version", "Expired"))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while not fake.stopping.is_set():
                try:
                    event = mine.get(timeout=0.05)
                except queue.Empty:
                    continue
                if event is None:
                    break
                self._chunk(json.dumps(event).encode() + b"\n")
                if event["type"] == "ERROR":
                    break
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass
        finally:
            with fake.lock:
                coll.watchers.remove(mine)
        self.close_connection = True

    def _write_status(self, method: str) -> None:
        if not self._authorized():
            return
        path = urlsplit(self.path).path
        base, _, rest = path.rpartition("/")
        coll_path, _, name = base.rpartition("/")
        coll = self.fake.collections.get(coll_path)
        body = self._body()
        if rest != "status" or coll is None:
            self._send(404, _status(404, "not found", "NotFound"))
            return
        fake = self.fake
        with fake.lock:
            fake.status_writes.append((method, name, body))
            obj = coll.objects.get(name)
            if obj is None:
                self._send(404, _status(404, f'"{name}" not found', "NotFound"))
                return
            want_rv = (body.get("metadata") or {}).get("resourceVersion")
            if want_rv and want_rv != obj["metadata"]["resourceVersion"]:
                self._send(409, _status(409, "the object has been modified", "Conflict"))
                return
            obj["status"] = body.get("status") or {}
            obj["metadata"]["resourceVersion"] = str(fake._next_rv())
            fake._emit(coll, "MODIFIED", obj)
            answer = copy.deepcopy(obj)
        self._send(200, answer)

    def do_PATCH(self) -> None:
        if urlsplit(self.path).path.endswith("/status"):
            self._write_status("PATCH")
        else:
            self._write_object("PATCH")

    def do_DELETE(self) -> None:
        self._write_object("DELETE")

    def _write_object(self, method: str) -> None:
        """A merge patch of a stored object, a server-side apply (create or replace at the
        path) or a delete; with dryRun=All the answer is the same and nothing is stored."""
        if not self._authorized():
            return
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        dry = query.get("dryRun") == "All"
        content_type = self.headers.get("Content-Type", "")
        body = self._body()
        fake = self.fake
        coll_path, _, name = url.path.rpartition("/")
        coll = fake.collections.get(coll_path)
        with fake.lock:
            fake.writes.append(
                {"method": method, "path": url.path, "dryRun": dry, "type": content_type,
                 "query": query, "body": body}
            )  # fmt: skip
            refused = fake.refuse_writes.get(url.path)
            if refused is not None:
                self._send(refused[0], _status(refused[0], refused[1], "Forbidden"))
                return
            if content_type == "application/apply-patch+yaml" and method == "PATCH":
                if query.get("fieldManager") != "podgate-ui":
                    self._send(400, _status(400, "fieldManager is required", "BadRequest"))
                    return
                if not dry:
                    fake.applied[url.path] = copy.deepcopy(body)
                self._send(200, body)
                return
            obj = coll.objects.get(name) if coll is not None else None
            if obj is None:
                self._send(404, _status(404, f'"{name}" not found', "NotFound"))
                return
            if method == "DELETE":
                if not dry:
                    del coll.objects[name]  # type: ignore[union-attr]
                self._send(200, _status(200, "deleted", ""))
                return
            if content_type != "application/merge-patch+json":
                self._send(415, _status(415, "unsupported patch type", "UnsupportedMediaType"))
                return
            patched = _merge(copy.deepcopy(obj), body)
            if not dry:
                patched["metadata"]["resourceVersion"] = str(fake._next_rv())
                coll.objects[name] = patched  # type: ignore[union-attr]
                fake._emit(coll, "MODIFIED", patched)  # type: ignore[arg-type]
            answer = copy.deepcopy(patched)
        self._send(200, answer)

    def do_PUT(self) -> None:
        self._write_status("PUT")


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


@contextlib.contextmanager
def running(pki: Pki) -> Iterator[FakeApi]:
    api = FakeApi(pki).start()
    try:
        yield api
    finally:
        api.stop()


def wait_for(cond: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll `cond` until it holds. The bound is generous on purpose: it costs nothing when the
    condition holds, and on a loaded CI machine a watch thread can wait seconds to be scheduled
    (5 s made the watch tests fail under load while they passed alone)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def verifying(ca: Path) -> ssl.SSLContext:
    """A client TLS context trusting only the CA in `ca` (as a kubeconfig's
    certificate-authority)."""
    from podgate.io.kube import tls_context

    return tls_context(ca.read_bytes())


def client_for(api: FakeApi, ca: Path, token: str | None = "t", **options: Any) -> ApiClient:
    """podgate's API client for the fake, trusting `ca`, with a static bearer token."""
    from podgate.io.kube import ApiClient, Credentials

    credentials = None if token is None else Credentials(token=token)
    return ApiClient(api.url, ssl_context=verifying(ca), credentials=credentials, **options)


def counting_exec_user(
    runs: Path, token: str, api_version: str = "client.authentication.k8s.io/v1"
) -> dict[str, Any]:
    """A kubeconfig user whose exec plugin (this Python, run without a shell) counts its runs
    in the file `runs` and prints the token that the Python expression `token` gives, with `n`
    the number of runs before this one."""
    script = (
        "import json, pathlib; "
        f"p = pathlib.Path({str(runs)!r}); n = len(p.read_text()) if p.exists() else 0; "
        "p.write_text('x' * (n + 1)); "
        f"print(json.dumps({{'apiVersion': {api_version!r}, 'kind': 'ExecCredential', "
        f"'status': {{'token': {token}}}}}))"
    )
    command = {"command": sys.executable, "args": ["-c", script], "interactiveMode": "Never"}
    return {"exec": {"apiVersion": api_version, **command}}
