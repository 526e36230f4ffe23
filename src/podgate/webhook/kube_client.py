"""The webhook's API client: podgate's client (`podgate.io.kube`) under the webhook's rules.

* TLS is verified, always: a kubeconfig context that does not verify (insecure-skip-tls-verify,
  plain HTTP) is refused; there is no opt-out here.
* In a pod (KUBERNETES_SERVICE_HOST set) and with no kubeconfig or context named, the pod's
  service account; else the kubeconfig as kubectl finds it.
* Credentials are had at start-up (the token read, an exec plugin run), so that a broken
  configuration fails there and not on the first admission request; a token file is re-read
  when rotated and an exec credential renewed when it expires or after a 401.
* Errors name the call (`SERVICE` wording), for logs and audit annotations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from podgate import __version__
from podgate.errors import ApiError, LoadError
from podgate.io.kube import SERVICE, SERVICE_ACCOUNT_DIR, ApiClient, Cluster, in_cluster, resolve
from podgate.io.kube.client import DEFAULT_TIMEOUT

__all__ = ["USER_AGENT", "from_environment", "from_kubeconfig", "in_cluster_client"]

USER_AGENT = f"podgate/{__version__} (webhook)"


def _client(cluster: Cluster, timeout: float) -> ApiClient:
    if cluster.ssl_context is None or cluster.insecure:
        raise ApiError(f"{cluster.server}: the webhook talks to the API server over verified TLS")
    # the webhook's messages name the call, not the context
    client = ApiClient.for_cluster(
        cluster, where="", timeout=timeout, user_agent=USER_AGENT, wording=SERVICE
    )
    client.authenticate()
    return client


def in_cluster_client(
    *,
    service_account_dir: str | os.PathLike[str] = SERVICE_ACCOUNT_DIR,
    environ: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ApiClient:
    """The pod's own service account: KUBERNETES_SERVICE_HOST/PORT, `token` (re-read when
    rotated) and `ca.crt` from `service_account_dir`."""
    env = os.environ if environ is None else environ
    if not env.get("KUBERNETES_SERVICE_HOST") or not env.get("KUBERNETES_SERVICE_PORT"):
        raise ApiError(
            "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset"
        )
    sa = Path(service_account_dir)
    try:
        cluster = in_cluster(sa, env)
    except LoadError as e:
        raise ApiError(str(e)) from e
    if cluster is None:
        raise ApiError(f"cannot read the token file {sa / 'token'}: No such file or directory")
    return _client(cluster, timeout)


def from_kubeconfig(
    path: str | None = None, context: str | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> ApiClient:
    """A kubeconfig context, resolved as kubectl does (`path`, else KUBECONFIG, else
    ~/.kube/config, else in-cluster): tokens, token files, client certificates, exec plugins."""
    try:
        cluster = resolve(path, context)
    except LoadError as e:
        raise ApiError(str(e)) from e
    return _client(cluster, timeout)


def from_environment(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> ApiClient:
    """`kubeconfig` when given; else the pod's service account when running in a pod
    (KUBERNETES_SERVICE_HOST set); else KUBECONFIG or ~/.kube/config."""
    if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        return in_cluster_client(timeout=timeout)
    return from_kubeconfig(kubeconfig, context, timeout=timeout)
