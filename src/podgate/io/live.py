"""Reading a live cluster, read-only: the objects a scan needs, listed through the API server.

Which client, and why. podgate talks to the API server through a small client of its own on
Python's standard library (`http.client` and `ssl`) rather than a Kubernetes client library.
A scan needs one thing from a cluster: paged GET list calls for fifteen kinds, kept exactly as
the server sent them. We weighed the two libraries made for the field. The official
`kubernetes` client (kept by the Kubernetes project, released with each Kubernetes version) has
the most complete kubeconfig support, but version 37 brings about twenty packages (urllib3,
requests, aiohttp, pydantic, oauthlib, websocket-client, ...), imports every API class and
model on start-up, its generated pydantic models reject fields they do not know (a cluster
newer than the client breaks them), and its OIDC auth-provider refresh turns TLS verification
off when the kubeconfig names no identity-provider CA. `lightkube` is typed and lighter, but it
now rests on the `httpx2` fork, msgspec and its models package, reads one kubeconfig file (not
a `KUBECONFIG` list), and runs exec credential plugins only up to
`client.authentication.k8s.io/v1beta1` (not `v1`). The client here adds no dependency and is
held to podgate's own rules: TLS verification always on, against the kubeconfig's CA
(`--insecure-skip-tls-verify` is an explicit, loudly warned opt-out; plain HTTP only to
loopback, as `kubectl proxy` serves); every list paged with `limit`/`continue` (500 a page, as
kubectl); each response capped in size (`--max-bytes`); a timeout on every connect and read;
the kubeconfig found and merged as kubectl does (`--kubeconfig`, else every file in
`KUBECONFIG`, else `~/.kube/config`, else the pod's service account; `--context`), with tokens,
token files, client certificates, basic auth, `tls-server-name`, `proxy-url`/`HTTPS_PROXY`
(http CONNECT), and exec credential plugins (`v1`, `v1beta1`, `v1alpha1`; run as an argument
list, never through a shell; renewed once after a 401); one-line errors. The legacy
`auth-provider` entries (gcp, azure, oidc) are refused with a pointer to their exec plugins.

What is read: namespaces, serviceaccounts, pods, deployments, replicasets, statefulsets,
daemonsets, jobs, cronjobs, replicationcontrollers, roles, rolebindings, clusterroles,
clusterrolebindings and podsecuritypolicies (policy/v1beta1, served up to Kubernetes 1.24: a
404 there is a note, not an error). A kind we may not list (403) is a warning and the scan goes
on without it; a 401, an unreachable server or a TLS failure is an error (`LoadError`).
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from podgate.errors import LoadError
from podgate.io.loader import DEFAULT_MAX_BYTES, Document

__all__ = [
    "PAGE_SIZE",
    "RESOURCES",
    "TIMEOUT",
    "Cluster",
    "LiveRead",
    "Resource",
    "connect",
    "read_cluster",
]

PAGE_SIZE = 500  # kubectl's --chunk-size
TIMEOUT = 30.0  # seconds, for connecting and for each read
EXEC_TIMEOUT = 300.0  # an exec plugin may ask the user to log in
MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
IN_CLUSTER = "in-cluster"
EXEC_API_VERSIONS = (
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
    "client.authentication.k8s.io/v1alpha1",
)


@dataclass(frozen=True, slots=True)
class Resource:
    """A kind the scan lists: its apiVersion, kind, plural and scope."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace is not None:
            return f"{base}/namespaces/{urllib.parse.quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"


RESOURCES: tuple[Resource, ...] = (
    Resource("v1", "Namespace", "namespaces", namespaced=False),
    Resource("v1", "ServiceAccount", "serviceaccounts"),
    Resource("v1", "Pod", "pods"),
    Resource("apps/v1", "Deployment", "deployments"),
    Resource("apps/v1", "ReplicaSet", "replicasets"),
    Resource("apps/v1", "StatefulSet", "statefulsets"),
    Resource("apps/v1", "DaemonSet", "daemonsets"),
    Resource("batch/v1", "Job", "jobs"),
    Resource("batch/v1", "CronJob", "cronjobs"),
    Resource("v1", "ReplicationController", "replicationcontrollers"),
    Resource("rbac.authorization.k8s.io/v1", "Role", "roles"),
    Resource("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    Resource("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", namespaced=False),
    Resource(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        namespaced=False,
    ),
    Resource("policy/v1beta1", "PodSecurityPolicy", "podsecuritypolicies", namespaced=False),
)
_PSP = "podsecuritypolicies"


@dataclass(slots=True)
class LiveRead:
    """What a live read found: the objects (as Documents whose file is `cluster:<context>`,
    index the object's position in the read and line 0: no line), and what to tell the user."""

    context: str
    server: str
    documents: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # kinds left out (403, 404)
    notes: list[str] = field(default_factory=list)  # expected absences (PSP on >= 1.25)
    requests: int = 0

    @property
    def file(self) -> str:
        return f"cluster:{self.context}"


# ---------------------------------------------------------------------------------------------
# kubeconfig


def _where(name: str) -> str:
    return f"cluster:{name}" if name else "cluster"


def _read_kubeconfig(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_KUBECONFIG_BYTES + 1)
    except OSError as e:
        raise LoadError(f"cannot read kubeconfig: {e.strerror or e}", file=str(path)) from e
    if len(raw) > MAX_KUBECONFIG_BYTES:
        raise LoadError(f"kubeconfig is over {MAX_KUBECONFIG_BYTES} bytes", file=str(path))
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise LoadError(f"invalid kubeconfig: {e}", file=str(path)) from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LoadError("invalid kubeconfig: not a mapping", file=str(path))
    return data


@dataclass(slots=True)
class _Merged:
    """Kubeconfig files merged as client-go merges them: the first file to name a cluster,
    user or context wins, and so does the first current-context; relative paths are resolved
    against the file that holds them."""

    clusters: dict[str, tuple[dict[str, Any], Path]] = field(default_factory=dict)
    users: dict[str, tuple[dict[str, Any], Path]] = field(default_factory=dict)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    current: str = ""
    files: list[str] = field(default_factory=list)

    def add(self, path: Path) -> None:
        data = _read_kubeconfig(path)
        self.files.append(str(path))
        for section, key, target in (
            ("clusters", "cluster", self.clusters),
            ("users", "user", self.users),
        ):
            for entry in _named(data, section, path):
                value = entry.get(key) or {}
                if isinstance(value, dict):
                    target.setdefault(str(entry["name"]), (value, path))
        for entry in _named(data, "contexts", path):
            value = entry.get("context") or {}
            if isinstance(value, dict):
                self.contexts.setdefault(str(entry["name"]), value)
        current = data.get("current-context")
        if not self.current and isinstance(current, str):
            self.current = current


def _named(data: Mapping[str, Any], section: str, path: Path) -> Iterator[Mapping[str, Any]]:
    entries = data.get(section) or []
    if not isinstance(entries, list):
        raise LoadError(f"invalid kubeconfig: {section} is not a list", file=str(path))
    for e in entries:
        if isinstance(e, dict) and isinstance(e.get("name"), str):
            yield e


def _kubeconfig_files(kubeconfig: str | None) -> list[Path] | None:
    """The files to merge, as kubectl picks them; None when there is none (in-cluster next)."""
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise LoadError("kubeconfig not found", file=kubeconfig)
        return [path]
    env = os.environ.get("KUBECONFIG", "")
    if env:  # only these, as kubectl: ~/.kube/config is not read then
        found = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
        found = [p for p in found if p.is_file()]  # client-go skips missing files in the list
        return found or None
    home = Path("~/.kube/config").expanduser()
    return [home] if home.is_file() else None


# ---------------------------------------------------------------------------------------------
# credentials


@dataclass(slots=True)
class _Credentials:
    token: str | None = None
    token_file: Path | None = None
    basic: tuple[str, str] | None = None
    cert: tuple[bytes, bytes] | None = None  # client certificate and key, PEM
    exec_config: dict[str, Any] | None = None
    exec_base: Path | None = None
    exec_cluster: dict[str, Any] | None = None
    exec_ran: dict[str, Any] | None = None  # the plugin that gave the current credentials

    def header(self, where: str) -> str | None:
        if self.token_file is not None:
            try:
                return "Bearer " + self.token_file.read_text().strip()
            except OSError as e:
                raise LoadError(f"cannot read token file {self.token_file}: {e}", file=where) from e
        if self.token is not None:
            return f"Bearer {self.token}"
        if self.basic is not None:
            pair = f"{self.basic[0]}:{self.basic[1]}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        return None

    def run_exec(self, where: str) -> None:
        """Run the exec credential plugin once; take its token or client certificate."""
        cfg = self.exec_config
        if cfg is None:
            return
        api_version = cfg.get("apiVersion")
        if api_version not in EXEC_API_VERSIONS:
            raise LoadError(f"exec plugin: unsupported apiVersion {api_version!r}", file=where)
        command = cfg.get("command")
        if not isinstance(command, str) or not command:
            raise LoadError("exec plugin: no command", file=where)
        if os.sep in command and not os.path.isabs(command) and self.exec_base is not None:
            command = str(self.exec_base.parent / command)  # relative to the kubeconfig
        args = [str(a) for a in (cfg.get("args") or [])]
        env = dict(os.environ)
        for var in cfg.get("env") or []:
            if isinstance(var, dict) and isinstance(var.get("name"), str):
                env[var["name"]] = str(var.get("value", ""))
        interactive = cfg.get("interactiveMode", "IfAvailable") != "Never" and sys.stdin.isatty()
        spec: dict[str, Any] = {"interactive": interactive}
        if cfg.get("provideClusterInfo") and self.exec_cluster is not None:
            spec["cluster"] = self.exec_cluster
        env["KUBERNETES_EXEC_INFO"] = json.dumps(
            {"apiVersion": api_version, "kind": "ExecCredential", "spec": spec}
        )
        try:
            proc = subprocess.run(  # an argument list: no shell ever sees these strings
                [command, *args],
                env=env,
                stdin=None if interactive else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=None if interactive else subprocess.PIPE,
                timeout=EXEC_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            hint = cfg.get("installHint")
            more = f" ({str(hint).strip()})" if hint else ""
            raise LoadError(f"exec plugin {command!r} failed: {e}{more}", file=where) from e
        if proc.returncode != 0:
            err = (proc.stderr or b"").decode(errors="replace").strip().splitlines()
            last = f": {err[-1]}" if err else ""
            raise LoadError(
                f"exec plugin {command!r} exited with {proc.returncode}{last}", file=where
            )
        try:
            status = json.loads(proc.stdout)["status"]
        except (ValueError, KeyError, TypeError) as e:
            raise LoadError(f"exec plugin {command!r}: not an ExecCredential", file=where) from e
        if not isinstance(status, dict):
            raise LoadError(f"exec plugin {command!r}: not an ExecCredential", file=where)
        if isinstance(status.get("token"), str):
            self.token = status["token"]
        elif isinstance(status.get("clientCertificateData"), str) and isinstance(
            status.get("clientKeyData"), str
        ):
            self.cert = (
                status["clientCertificateData"].encode(),
                status["clientKeyData"].encode(),
            )
        else:
            raise LoadError(f"exec plugin {command!r}: no token or certificate", file=where)
        self.exec_ran, self.exec_config = cfg, None

    def renew_exec(self, where: str) -> bool:
        """After a 401: run the exec plugin once more (its token may have expired, as kubectl
        does); False when there is no plugin or it was already renewed."""
        if self.exec_ran is None:
            return False
        self.exec_config, self.exec_ran, self.token = self.exec_ran, None, None
        self.run_exec(where)
        self.exec_ran = None  # once per read
        return True


def _file_or_data(entry: Mapping[str, Any], key: str, base: Path, where: str) -> bytes | None:
    data = entry.get(f"{key}-data")
    if isinstance(data, str) and data:
        try:
            return base64.b64decode(data, validate=True)
        except ValueError as e:
            raise LoadError(f"kubeconfig: {key}-data is not base64", file=where) from e
    name = entry.get(key)
    if isinstance(name, str) and name:
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = base.parent / path
        try:
            return path.read_bytes()
        except OSError as e:
            raise LoadError(
                f"kubeconfig: cannot read {key} {path}: {e.strerror}", file=where
            ) from e
    return None


def _credentials(user: Mapping[str, Any], base: Path, where: str) -> _Credentials:
    if user.get("auth-provider"):
        provider = user["auth-provider"]
        name = provider.get("name", "?") if isinstance(provider, dict) else "?"
        raise LoadError(
            f"the kubeconfig user uses auth-provider {name!r}, which podgate does not run "
            "(kubectl dropped the gcp and azure providers in 1.26): switch to its exec plugin "
            "(gke-gcloud-auth-plugin, kubelogin)",
            file=where,
        )
    creds = _Credentials()
    cert = _file_or_data(user, "client-certificate", base, where)
    key = _file_or_data(user, "client-key", base, where)
    if cert is not None and key is not None:
        creds.cert = (cert, key)
    token_file = user.get("tokenFile")
    if isinstance(user.get("token"), str) and user["token"]:
        creds.token = user["token"]
    elif isinstance(token_file, str) and token_file:
        path = Path(token_file).expanduser()
        creds.token_file = path if path.is_absolute() else base.parent / path
    elif isinstance(user.get("username"), str) and isinstance(user.get("password"), str):
        creds.basic = (user["username"], user["password"])
    if isinstance(user.get("exec"), dict) and creds.token is None and creds.cert is None:
        creds.exec_config = user["exec"]
        creds.exec_base = base
    return creds


# ---------------------------------------------------------------------------------------------
# connection


@dataclass(slots=True)
class Cluster:
    """Where and how to reach one API server (a resolved kubeconfig context)."""

    context: str
    server: str
    ssl_context: ssl.SSLContext | None  # None for a plain-HTTP loopback server (kubectl proxy)
    credentials: _Credentials
    tls_server_name: str | None = None
    proxy: str | None = None
    insecure: bool = False
    timeout: float = TIMEOUT

    @property
    def where(self) -> str:
        return _where(self.context)


def _ssl_context(ca: bytes | None, insecure: bool, where: str) -> ssl.SSLContext:
    """Verification on, hostname checked, TLS 1.2 or later; trusting the kubeconfig's CA only
    when it names one (the system's CAs otherwise, as kubectl does)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if ca is None:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
        return ctx
    try:
        ctx.load_verify_locations(cadata=ca.decode("ascii"))
    except (ssl.SSLError, ValueError) as e:
        raise LoadError(
            f"kubeconfig: the certificate-authority is not a PEM certificate: {e}", file=where
        ) from e
    return ctx


def _load_cert(ctx: ssl.SSLContext, cert: tuple[bytes, bytes], where: str) -> None:
    """The ssl module reads client certificates from files only: write them to a private
    temporary directory, load them, and remove them at once."""
    with tempfile.TemporaryDirectory(prefix="podgate-") as tmp:
        crt, key = Path(tmp, "client.crt"), Path(tmp, "client.key")
        for path, data in ((crt, cert[0]), (key, cert[1])):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        try:
            ctx.load_cert_chain(crt, key)
        except ssl.SSLError as e:
            raise LoadError(f"kubeconfig: unusable client certificate: {e}", file=where) from e


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _in_cluster() -> Cluster | None:
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    port = os.environ.get("KUBERNETES_SERVICE_PORT")
    token = SERVICE_ACCOUNT_DIR / "token"
    if not host or not port or not token.is_file():
        return None
    if ":" in host:
        host = f"[{host}]"
    where = _where(IN_CLUSTER)
    try:
        ca = (SERVICE_ACCOUNT_DIR / "ca.crt").read_bytes()
    except OSError as e:
        raise LoadError(
            f"cannot read the service account's ca.crt: {e.strerror}", file=where
        ) from e
    return Cluster(
        context=IN_CLUSTER,
        server=f"https://{host}:{port}",
        ssl_context=_ssl_context(ca, False, where),
        credentials=_Credentials(token_file=token),  # re-read: the kubelet rotates it
    )


def connect(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    insecure_skip_tls_verify: bool = False,
    timeout: float = TIMEOUT,
    warn: Callable[[str], None] | None = None,
) -> Cluster:
    """Resolve the cluster to read, as kubectl would: `kubeconfig` (else every file in
    KUBECONFIG, else ~/.kube/config, else the pod's service account), `context` (else the
    current context). Nothing is sent yet; an exec plugin runs on the first request."""
    files = _kubeconfig_files(kubeconfig)
    if files is None:
        found = _in_cluster()
        if found is None:
            missing = os.environ.get("KUBECONFIG", "")
            raise LoadError(
                f"no kubeconfig: no file named in KUBECONFIG ({missing}) exists"
                if missing
                else "no kubeconfig: pass --kubeconfig, set KUBECONFIG or create ~/.kube/config "
                "(or run in a pod with a service account)",
                file="cluster",
            )
        if context is not None and context != IN_CLUSTER:
            raise LoadError(f'context "{context}" not found: no kubeconfig', file="cluster")
        found.timeout = timeout
        return found
    merged = _Merged()
    for f in files:
        merged.add(f)
    name = context or merged.current
    if not name:
        raise LoadError(
            "the kubeconfig has no current-context: pass --context", file=", ".join(merged.files)
        )
    ctx = merged.contexts.get(name)
    if ctx is None:
        raise LoadError(
            f'context "{name}" not found in {", ".join(merged.files)}', file=_where(name)
        )
    where = _where(name)
    cluster_name = str(ctx.get("cluster") or "")
    if cluster_name not in merged.clusters:
        raise LoadError(f'context "{name}": cluster "{cluster_name}" not found', file=where)
    cluster, cluster_file = merged.clusters[cluster_name]
    user_name = str(ctx.get("user") or "")
    user, user_file = merged.users.get(user_name, ({}, cluster_file))
    if user_name and user_name not in merged.users:
        raise LoadError(f'context "{name}": user "{user_name}" not found', file=where)
    server = str(cluster.get("server") or "").rstrip("/")
    parsed = urllib.parse.urlsplit(server)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise LoadError(f'cluster "{cluster_name}": server {server!r} is not a URL', file=where)
    insecure = False
    if cluster.get("insecure-skip-tls-verify") is True or insecure_skip_tls_verify:
        if not insecure_skip_tls_verify:
            raise LoadError(
                f'cluster "{cluster_name}" sets insecure-skip-tls-verify: podgate always '
                "verifies the API server's certificate; pass --insecure-skip-tls-verify to "
                "read it anyway",
                file=where,
            )
        insecure = True
        if warn is not None:
            warn(
                f"WARNING: TLS verification is OFF for {server}: anyone between you and the "
                "cluster can pose as the API server and read the credentials sent to it"
            )
    creds = _credentials(user, user_file, where)
    ssl_context: ssl.SSLContext | None = None
    if parsed.scheme == "http":
        if not _is_loopback(parsed.hostname):
            raise LoadError(
                f"server {server} is plain HTTP: podgate talks TLS to remote API servers "
                "(plain HTTP only on loopback, as `kubectl proxy` serves)",
                file=where,
            )
    else:
        ca = _file_or_data(cluster, "certificate-authority", cluster_file, where)
        ssl_context = _ssl_context(ca, insecure, where)
    exec_cluster = {"server": server}
    if isinstance(cluster.get("certificate-authority-data"), str):
        exec_cluster["certificate-authority-data"] = cluster["certificate-authority-data"]
    creds.exec_cluster = exec_cluster
    proxy = cluster.get("proxy-url")
    return Cluster(
        context=name,
        server=server,
        ssl_context=ssl_context,
        credentials=creds,
        tls_server_name=str(cluster["tls-server-name"]) if cluster.get("tls-server-name") else None,
        proxy=str(proxy) if proxy else None,
        insecure=insecure,
        timeout=timeout,
    )


# ---------------------------------------------------------------------------------------------
# requests


class _HTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection that may verify the certificate against another name than the
    host dialled (the kubeconfig's tls-server-name)."""

    def __init__(self, host: str, port: int | None, *, server_name: str | None, **kw: Any) -> None:
        super().__init__(host, port, **kw)
        self._server_name = server_name

    def connect(self) -> None:
        if self._server_name is None or getattr(self, "_tunnel_host", None):
            super().connect()
            return
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=self._server_name
        )


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    reason: str
    body: bytes


def _proxy_for(cluster: Cluster, host: str) -> tuple[str, int] | None:
    url = cluster.proxy
    if url is None:
        scheme = urllib.parse.urlsplit(cluster.server).scheme
        if _is_loopback(host) or urllib.request.proxy_bypass(host):
            return None  # as Go's ProxyFromEnvironment: never a proxy for loopback
        url = urllib.request.getproxies_environment().get(scheme)
    if not url:
        return None
    p = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    if p.scheme != "http" or not p.hostname:
        raise LoadError(
            f"proxy {url!r}: only http:// proxies are supported (CONNECT)", file=cluster.where
        )
    return p.hostname, p.port or 80


def _get(cluster: Cluster, path: str, max_bytes: int) -> _Response:
    where = cluster.where
    creds = cluster.credentials
    creds.run_exec(where)
    url = urllib.parse.urlsplit(cluster.server)
    host = url.hostname or ""
    port = url.port
    base = url.path.rstrip("/")
    conn: http.client.HTTPConnection
    proxy = _proxy_for(cluster, host)
    if cluster.ssl_context is None:
        conn = http.client.HTTPConnection(host, port, timeout=cluster.timeout)
    else:
        ctx = cluster.ssl_context
        if creds.cert is not None:
            _load_cert(ctx, creds.cert, where)
            creds.cert = None  # loaded into the context once
        dial_host, dial_port = proxy if proxy else (host, port)
        conn = _HTTPSConnection(
            dial_host,
            dial_port,
            server_name=cluster.tls_server_name,
            context=ctx,
            timeout=cluster.timeout,
        )
        if proxy:
            conn.set_tunnel(host, port or 443)
    headers = {"Accept": "application/json", "User-Agent": "podgate (read-only scan)"}
    auth = creds.header(where)
    if auth is not None:
        headers["Authorization"] = auth
    try:
        conn.request("GET", base + path, headers=headers)
        resp = conn.getresponse()
        length = resp.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise LoadError(
                f"GET {path}: the response is {length} bytes, over the limit of {max_bytes} "
                "(--max-bytes)",
                file=where,
            )
        body = resp.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise LoadError(
                f"GET {path}: the response is over the limit of {max_bytes} bytes (--max-bytes)",
                file=where,
            )
        return _Response(resp.status, resp.reason, body)
    except ssl.SSLCertVerificationError as e:
        raise LoadError(
            f"TLS verification of {cluster.server} failed: certificate verify failed: "
            f"{e.verify_message or e.reason} "
            "(does the kubeconfig name the cluster's certificate-authority?)",
            file=where,
        ) from e
    except ssl.SSLError as e:
        raise LoadError(
            f"TLS error talking to {cluster.server}: {e.reason or e}", file=where
        ) from e
    except TimeoutError as e:
        raise LoadError(
            f"{cluster.server} did not answer within {cluster.timeout:g} s", file=where
        ) from e
    except (OSError, http.client.HTTPException) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e) or type(e).__name__
        if isinstance(e, socket.gaierror):
            reason = f"cannot resolve {host}"
        raise LoadError(
            f"cannot reach the API server at {cluster.server}: {reason}", file=where
        ) from e
    finally:
        conn.close()


def _status_message(body: bytes) -> str:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    msg = data.get("message") if isinstance(data, dict) else None
    return str(msg) if msg else ""


class _Forbidden(Exception):
    pass


class _NotFound(Exception):
    pass


def _list(
    cluster: Cluster,
    res: Resource,
    namespace: str | None,
    max_bytes: int,
    page_size: int,
    counter: list[int],
) -> list[dict[str, Any]]:
    """Every item of one kind, page by page (`limit`/`continue`); kind and apiVersion set."""
    items: list[dict[str, Any]] = []
    token = ""
    restarted = False
    path = res.path(namespace)
    while True:
        query = {"limit": str(page_size)}
        if token:
            query["continue"] = token
        got = _get(cluster, f"{path}?{urllib.parse.urlencode(query)}", max_bytes)
        counter[0] += 1
        if got.status == 410 and token and not restarted:  # the continue token expired
            items, token, restarted = [], "", True
            continue
        if got.status == 401 and cluster.credentials.renew_exec(cluster.where):
            continue  # the same page again, with fresh credentials
        if got.status == 401:
            raise LoadError(
                f"the API server refused the credentials of context {cluster.context!r} "
                f"(401 Unauthorized) listing {res.plural}",
                file=cluster.where,
            )
        if got.status == 403:
            raise _Forbidden(_status_message(got.body))
        if got.status == 404:
            raise _NotFound(_status_message(got.body))
        if got.status != 200:
            msg = _status_message(got.body) or got.reason
            raise LoadError(f"GET {path}: {got.status} {msg}", file=cluster.where)
        try:
            data = orjson.loads(got.body)
        except orjson.JSONDecodeError as e:
            raise LoadError(
                f"GET {path}: the response is not JSON: {e.msg}", file=cluster.where
            ) from e
        page = data.get("items") if isinstance(data, dict) else None
        if not isinstance(page, list):
            raise LoadError(f"GET {path}: the response is not a list", file=cluster.where)
        for item in page:
            if isinstance(item, dict):
                item["kind"] = res.kind  # list responses leave them out of the items
                item["apiVersion"] = res.api_version
                items.append(item)
        meta = data.get("metadata")
        token = meta.get("continue", "") if isinstance(meta, dict) else ""
        if not token:
            return items


def read_cluster(
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    *,
    insecure_skip_tls_verify: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    page_size: int = PAGE_SIZE,
    timeout: float = TIMEOUT,
    resources: tuple[Resource, ...] = RESOURCES,
    warn: Callable[[str], None] | None = None,
) -> LiveRead:
    """List the scan's kinds from a live cluster, read-only. `namespace` limits the namespaced
    kinds to one namespace (cluster-scoped kinds are still read). A kind we may not list (403)
    or that the server does not serve (404) is left out with a warning (PodSecurityPolicies,
    gone since 1.25, with a note); every other failure raises a one-line LoadError."""
    cluster = connect(
        kubeconfig,
        context,
        insecure_skip_tls_verify=insecure_skip_tls_verify,
        timeout=timeout,
        warn=warn,
    )
    out = LiveRead(context=cluster.context, server=cluster.server)
    counter = [0]
    forbidden = listed = 0
    scope = f"namespace {namespace!r}" if namespace is not None else "all namespaces"
    for res in resources:
        try:
            found = _list(cluster, res, namespace, max_bytes, page_size, counter)
        except _Forbidden as e:
            forbidden += 1
            where = scope if res.namespaced else "the cluster"
            out.warnings.append(
                f"{out.file}: may not list {res.plural} in {where} (403 Forbidden"
                f"{': ' + str(e) if str(e) else ''}); the scan goes on without them"
            )
            continue
        except _NotFound:
            if res.plural == _PSP:
                out.notes.append(
                    f"{out.file}: the cluster serves no podsecuritypolicies (policy/v1beta1 was "
                    "removed in Kubernetes 1.25); none read"
                )
            else:
                out.warnings.append(
                    f"{out.file}: the cluster serves no {res.plural} ({res.api_version}, 404); "
                    "the scan goes on without them"
                )
            continue
        listed += 1
        for obj in found:
            out.documents.append(Document(out.file, len(out.documents), 0, obj))
    out.requests = counter[0]
    if forbidden and not listed:
        raise LoadError(
            f"may not list anything the scan needs (403 on every kind) as context "
            f"{cluster.context!r}",
            file=out.file,
        )
    return out
