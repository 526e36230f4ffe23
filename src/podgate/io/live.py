"""Reading a live cluster, read-only: the objects a scan needs, listed through the API server
with podgate's client (`io/kube`: kubeconfig found and merged as kubectl does, TLS always
verified, `--insecure-skip-tls-verify` an explicit, loudly warned opt-out, every response
capped at `--max-bytes`, a timeout on every connect and read, one-line errors).

What is read: namespaces, serviceaccounts, pods, deployments, replicasets, statefulsets,
daemonsets, jobs, cronjobs, replicationcontrollers, roles, rolebindings, clusterroles,
clusterrolebindings and podsecuritypolicies (policy/v1beta1, served up to Kubernetes 1.24: a
404 there is a note, not an error), each paged with `limit`/`continue` (500 a page, as kubectl).
A kind we may not list (403) is a warning and the scan goes on without it; a 401, an
unreachable server or a TLS failure is an error.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from podgate.errors import ApiError, LoadError
from podgate.io.kube import COMMAND_LINE, ApiClient, resolve
from podgate.io.loader import DEFAULT_MAX_BYTES, Document
from podgate.k8s.kinds import WORKLOAD_KINDS
from podgate.k8s.source import Source

__all__ = [
    "PAGE_SIZE",
    "RESOURCES",
    "TIMEOUT",
    "LiveRead",
    "Resource",
    "read_cluster",
]

PAGE_SIZE = 500  # kubectl's --chunk-size
TIMEOUT = 30.0  # seconds, for connecting and for each read
USER_AGENT = "podgate (read-only scan)"


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
    # the pods and every kind whose controller creates them
    *(
        Resource(k.api_version, k.kind, k.resource)
        for k in WORKLOAD_KINDS
        if k.is_pod_or_creates_pods
    ),
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


def _list(
    client: ApiClient, context: str, res: Resource, namespace: str | None, page_size: int
) -> list[dict[str, Any]]:
    """Every item of one kind, with kind and apiVersion set (list responses leave them out)."""
    try:
        items = client.list(res.path(namespace), page_size=page_size).items
    except ApiError as e:
        if e.status == 401:
            raise LoadError(
                f"the API server refused the credentials of context {context!r} "
                f"(401 Unauthorized) listing {res.plural}",
                file=client.where,
            ) from e
        raise
    for item in items:
        item["kind"] = res.kind
        item["apiVersion"] = res.api_version
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
    gone since 1.25, with a note); every other failure raises a one-line PodgateError."""
    cluster = resolve(
        kubeconfig, context, insecure_skip_tls_verify=insecure_skip_tls_verify, warn=warn
    )
    client = ApiClient.for_cluster(
        cluster,
        timeout=timeout,
        max_bytes=max_bytes,
        user_agent=USER_AGENT,
        wording=COMMAND_LINE,
        max_idle=1,
    )
    out = LiveRead(context=cluster.context, server=cluster.server)
    forbidden = listed = 0
    scope = f"namespace {namespace!r}" if namespace is not None else "all namespaces"
    try:
        for res in resources:
            try:
                found = _list(client, cluster.context, res, namespace, page_size)
            except ApiError as e:
                if e.status == 403:
                    forbidden += 1
                    where = scope if res.namespaced else "the cluster"
                    out.warnings.append(
                        f"{out.file}: may not list {res.plural} in {where} (403 Forbidden"
                        f"{': ' + e.detail if e.detail else ''}); the scan goes on without them"
                    )
                    continue
                if e.status != 404:
                    raise
                if res.plural == _PSP:
                    out.notes.append(
                        f"{out.file}: the cluster serves no podsecuritypolicies (policy/v1beta1 "
                        "was removed in Kubernetes 1.25); none read"
                    )
                else:
                    out.warnings.append(
                        f"{out.file}: the cluster serves no {res.plural} ({res.api_version}, "
                        "404); the scan goes on without them"
                    )
                continue
            listed += 1
            for obj in found:
                out.documents.append(Document(obj, Source(out.file, len(out.documents), 0)))
    finally:
        client.close()
        out.requests = client.requests
    if forbidden and not listed:
        raise LoadError(
            f"may not list anything the scan needs (403 on every kind) as context "
            f"{cluster.context!r}",
            file=out.file,
        )
    return out
