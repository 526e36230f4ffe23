"""The Kubernetes API client: `kubeconfig` (which server, as whom), `credentials` (tokens, token
files, client certificates, exec plugins), `client` (one connection type: TLS, pooling,
requests, lists, streams, `ApiError`), `watch` (the reflector), `wording` (how failures read)."""

from podgate.errors import ApiError
from podgate.io.kube.client import ApiClient, Listed, WatchStream
from podgate.io.kube.credentials import Credentials, ExecPlugin, TokenFile
from podgate.io.kube.kubeconfig import (
    IN_CLUSTER,
    SERVICE_ACCOUNT_DIR,
    Cluster,
    in_cluster,
    is_loopback,
    resolve,
    tls_context,
)
from podgate.io.kube.watch import Reflector
from podgate.io.kube.wording import COMMAND_LINE, SERVICE, Wording

__all__ = [
    "COMMAND_LINE",
    "IN_CLUSTER",
    "SERVICE",
    "SERVICE_ACCOUNT_DIR",
    "ApiClient",
    "ApiError",
    "Cluster",
    "Credentials",
    "ExecPlugin",
    "Listed",
    "Reflector",
    "TokenFile",
    "WatchStream",
    "Wording",
    "in_cluster",
    "is_loopback",
    "resolve",
    "tls_context",
]
