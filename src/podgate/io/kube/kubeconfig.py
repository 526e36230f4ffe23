"""Which API server to talk to, and as whom: kubeconfig files found and merged as kubectl does,
or the pod's own service account.

Files: `--kubeconfig` when given, else every file in KUBECONFIG (missing ones skipped; then
~/.kube/config is not read), else ~/.kube/config, else the pod's service account. Merging, as
client-go merges: the first file to name a cluster, user or context wins, and so does the first
current-context; relative paths are resolved against the file that holds them. A context gives
the server (https, or plain http on loopback only, as `kubectl proxy` serves), the CA (file or
inline data; the system's CAs when none), `tls-server-name`, `proxy-url`, and the user's
credentials (token, token file, basic auth, client certificate from files or inline data, exec
plugin). `insecure-skip-tls-verify` in a kubeconfig is refused unless the caller opts out of
verification explicitly; legacy `auth-provider` entries (gcp, azure, oidc) are refused with a
pointer to their exec plugins. Errors are one line naming the kubeconfig file or the context
(`cluster:<context>`) and the field.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import ssl
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from podgate.errors import LoadError
from podgate.io.kube.credentials import Credentials, ExecPlugin, TokenFile

__all__ = [
    "IN_CLUSTER",
    "MAX_KUBECONFIG_BYTES",
    "SERVICE_ACCOUNT_DIR",
    "Cluster",
    "in_cluster",
    "is_loopback",
    "resolve",
    "tls_context",
]

MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
IN_CLUSTER = "in-cluster"


@dataclass(slots=True)
class Cluster:
    """Where and how to reach one API server: a resolved kubeconfig context, or the pod's
    service account (context `in-cluster`). Nothing has been sent yet."""

    context: str
    server: str
    ssl_context: ssl.SSLContext | None  # None for a plain-HTTP loopback server (kubectl proxy)
    credentials: Credentials
    tls_server_name: str | None = None
    proxy: str | None = None  # the kubeconfig's proxy-url
    insecure: bool = False  # TLS verification switched off (--insecure-skip-tls-verify)

    @property
    def where(self) -> str:
        return where_of(self.context)


def where_of(context: str) -> str:
    return f"cluster:{context}" if context else "cluster"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_context(ca: bytes | None, *, insecure: bool = False, where: str = "") -> ssl.SSLContext:
    """Verification on, hostname checked, TLS 1.2 or later; trusting `ca` (PEM) only when
    given (the system's CAs otherwise, as kubectl does). `insecure` turns verification off."""
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


# ---------------------------------------------------------------------------------------------
# files


def _read(path: Path) -> dict[str, Any]:
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


def _named(data: Mapping[str, Any], section: str, path: Path) -> Iterator[Mapping[str, Any]]:
    entries = data.get(section) or []
    if not isinstance(entries, list):
        raise LoadError(f"invalid kubeconfig: {section} is not a list", file=str(path))
    for e in entries:
        if isinstance(e, dict) and isinstance(e.get("name"), str):
            yield e


@dataclass(slots=True)
class _Merged:
    """Kubeconfig files merged as client-go merges them (see the module's docstring)."""

    clusters: dict[str, tuple[dict[str, Any], Path]] = field(default_factory=dict)
    users: dict[str, tuple[dict[str, Any], Path]] = field(default_factory=dict)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    current: str = ""
    files: list[str] = field(default_factory=list)

    def add(self, path: Path) -> None:
        data = _read(path)
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


def _files(kubeconfig: str | None) -> list[Path] | None:
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


def _credentials(
    user: Mapping[str, Any], base: Path, where: str, exec_cluster: Mapping[str, Any]
) -> Credentials:
    if user.get("auth-provider"):
        provider = user["auth-provider"]
        name = provider.get("name", "?") if isinstance(provider, dict) else "?"
        raise LoadError(
            f"the kubeconfig user uses auth-provider {name!r}, which podgate does not run "
            "(kubectl dropped the gcp and azure providers in 1.26): switch to its exec plugin "
            "(gke-gcloud-auth-plugin, kubelogin)",
            file=where,
        )
    cert = _file_or_data(user, "client-certificate", base, where)
    key = _file_or_data(user, "client-key", base, where)
    pair = (cert, key) if cert is not None and key is not None else None
    token = user.get("token") if isinstance(user.get("token"), str) and user["token"] else None
    token_file = user.get("tokenFile")
    tokens: TokenFile | None = None
    basic: tuple[str, str] | None = None
    if token is None and isinstance(token_file, str) and token_file:
        path = Path(token_file).expanduser()
        tokens = TokenFile(path if path.is_absolute() else base.parent / path, where=where)
    elif token is None and all(isinstance(user.get(k), str) for k in ("username", "password")):
        basic = (user["username"], user["password"])
    # client-go runs the exec plugin only when no other credential is set: a token or token
    # file, a user name (basic auth), a client certificate and key (exec.UpdateTransportConfig)
    has_token_file = isinstance(token_file, str) and bool(token_file)
    has_username = isinstance(user.get("username"), str) and bool(user["username"])
    plugin = None
    if isinstance(user.get("exec"), dict) and not (
        token is not None or has_token_file or has_username or pair is not None
    ):
        plugin = ExecPlugin(user["exec"], base, exec_cluster)
    return Credentials(
        token=token, token_file=tokens, basic=basic, cert=pair, exec_plugin=plugin, where=where
    )


# ---------------------------------------------------------------------------------------------
# resolving a context


def in_cluster(
    service_account_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> Cluster | None:
    """The pod's own service account (KUBERNETES_SERVICE_HOST/PORT, its `token`, re-read when
    rotated, and `ca.crt`); None when not in a pod (or no token is mounted)."""
    env = os.environ if environ is None else environ
    sa = SERVICE_ACCOUNT_DIR if service_account_dir is None else service_account_dir
    host = env.get("KUBERNETES_SERVICE_HOST")
    port = env.get("KUBERNETES_SERVICE_PORT")
    token = sa / "token"
    if not host or not port or not token.is_file():
        return None
    if ":" in host:
        host = f"[{host}]"
    where = where_of(IN_CLUSTER)
    try:
        ca = (sa / "ca.crt").read_bytes()
    except OSError as e:
        raise LoadError(
            f"cannot read the service account's ca.crt: {e.strerror}", file=where
        ) from e
    return Cluster(
        context=IN_CLUSTER,
        server=f"https://{host}:{port}",
        ssl_context=tls_context(ca, where=where),
        credentials=Credentials(token_file=TokenFile(token, where=where), where=where),
    )


def resolve(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    insecure_skip_tls_verify: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Cluster:
    """The cluster to talk to, as kubectl finds it: `kubeconfig` (else every file in
    KUBECONFIG, else ~/.kube/config, else the pod's service account), `context` (else the
    current context). Nothing is sent; an exec plugin runs on the first request."""
    files = _files(kubeconfig)
    if files is None:
        found = in_cluster()
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
            f'context "{name}" not found in {", ".join(merged.files)}', file=where_of(name)
        )
    return _cluster(merged, name, ctx, insecure_skip_tls_verify, warn)


def _cluster(
    merged: _Merged,
    name: str,
    ctx: Mapping[str, Any],
    insecure_skip_tls_verify: bool,
    warn: Callable[[str], None] | None,
) -> Cluster:
    where = where_of(name)
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
    exec_cluster = {"server": server}
    if isinstance(cluster.get("certificate-authority-data"), str):
        exec_cluster["certificate-authority-data"] = cluster["certificate-authority-data"]
    creds = _credentials(user, user_file, where, exec_cluster)
    ssl_context: ssl.SSLContext | None = None
    if parsed.scheme == "http":
        if not is_loopback(parsed.hostname):
            raise LoadError(
                f"server {server} is plain HTTP: podgate talks TLS to remote API servers "
                "(plain HTTP only on loopback, as `kubectl proxy` serves)",
                file=where,
            )
    else:
        ca = _file_or_data(cluster, "certificate-authority", cluster_file, where)
        ssl_context = tls_context(ca, insecure=insecure, where=where)
    proxy = cluster.get("proxy-url")
    return Cluster(
        context=name,
        server=server,
        ssl_context=ssl_context,
        credentials=creds,
        tls_server_name=str(cluster["tls-server-name"]) if cluster.get("tls-server-name") else None,
        proxy=str(proxy) if proxy else None,
        insecure=insecure,
    )
