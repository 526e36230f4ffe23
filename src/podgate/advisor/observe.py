"""What the advisor observes: each workload once with the pods it stands for, as PodSecurityPolicy
admission sees them (defaulted, with the service account token volume the ServiceAccount
admission plugin adds), replicas equal in what PSP reads counted but checked once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from podgate.advisor.model import Observed
from podgate.k8s import Obj, container_lists, mapping, sequence
from podgate.k8s.defaults import default_object
from podgate.k8s.source import Document
from podgate.scan.inventory import find_workloads

_POD_FIELDS = ("hostNetwork", "hostPID", "hostIPC", "securityContext", "volumes")
_CONTAINER_FIELDS = ("name", "securityContext", "ports", "volumeMounts")


def signature(pod: Obj) -> tuple[Any, ...]:
    """Everything of a pod that PSP admission reads or writes (the strategies read the pod's
    annotations, host namespaces, securityContext, volumes, runtimeClassName and service
    account, and each container's name, securityContext, ports and volume mounts): two pods
    with equal signatures get the same decision from every policy."""
    spec = mapping(pod.get("spec"))
    meta = mapping(pod.get("metadata"))
    return (
        pod.get("kind"),
        meta.get("annotations"),
        spec.get("serviceAccountName"),
        spec.get("runtimeClassName"),
        tuple(spec.get(k) for k in _POD_FIELDS),
        tuple(
            tuple(tuple(mapping(c).get(k) for k in _CONTAINER_FIELDS) for c in items)
            for _, items in container_lists(spec)
        ),
    )


TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_VOLUME = "kube-api-access-podgate"
_MIRROR = "kubernetes.io/config.mirror"


def _token_volume() -> dict[str, Any]:
    ca = {"key": "ca.crt", "path": "ca.crt"}
    namespace = {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
    return {
        "name": TOKEN_VOLUME,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [ca]}},
                {"downwardAPI": {"items": [{"path": "namespace", **namespace}]}},
            ],
        },
    }


def with_token(pod: Obj, automount: bool) -> Obj:
    """The pod as the ServiceAccount admission plugin (which runs before PSP) hands it on:
    unless token automounting is off (pod or service account) or the pod is a mirror pod, a
    projected `kube-api-access-...` volume mounted read-only in each init and regular container
    that has nothing mounted at the token path. A pod read from a cluster has it already."""
    spec = mapping(pod.get("spec"))
    own = spec.get("automountServiceAccountToken")
    if own is False or (own is None and not automount):
        return pod
    if _MIRROR in mapping(mapping(pod.get("metadata")).get("annotations")):
        return pod
    new_spec = dict(spec)
    mount = {"name": TOKEN_VOLUME, "mountPath": TOKEN_PATH, "readOnly": True}
    changed = False
    for list_name in ("initContainers", "containers"):
        items = spec.get(list_name)
        if not isinstance(items, list):
            continue
        out = []
        for c in items:
            mounts = sequence(mapping(c).get("volumeMounts"))
            if isinstance(c, dict) and not any(
                mapping(m).get("mountPath") == TOKEN_PATH for m in mounts
            ):
                c = {**c, "volumeMounts": [*mounts, mount]}
                changed = True
            out.append(c)
        new_spec[list_name] = out
    if not changed:
        return pod
    new_spec["volumes"] = [*sequence(spec.get("volumes")), _token_volume()]
    return {**pod, "spec": new_spec}


def observe(
    docs: Sequence[Document], namespace: str | None = None, *, distinct: bool = True
) -> list[Observed]:
    """Each workload once (the scanner's find_workloads), with its observed pods: the pod its
    controller creates and those of the input it owns (only the first of those with equal
    signatures unless `distinct` is false)."""
    workloads = find_workloads(docs)
    if namespace is not None:
        workloads = [w for w in workloads if w.ref.namespace == namespace]
    # a service account's token is mounted unless every definition of it turns that off
    automounts: dict[tuple[str, str], bool] = {}
    for doc in docs:
        obj = doc.obj
        if obj.get("kind") == "ServiceAccount":
            meta = mapping(obj.get("metadata"))
            key = (str(meta.get("namespace") or "default"), str(meta.get("name") or ""))
            off = obj.get("automountServiceAccountToken") is False
            automounts[key] = automounts.get(key, False) or not off
    out = []
    for w in workloads:
        automount = automounts.get((w.ref.namespace, w.service_account), True)
        first: Obj = w.as_pod()
        if not w.is_pod:
            first = default_object(first)[0]
        first = with_token(first, automount)
        found: list[Obj] = [first]
        count = 1
        seen = [signature(first)]
        for owned in w.owned:  # every pod of the input folded into it, each as it was read
            if not owned.is_pod:
                continue
            count += 1
            pod = with_token(owned.as_pod(), automount)
            sig = signature(pod)
            if not distinct or sig not in seen:
                seen.append(sig)
                found.append(pod)
        out.append(Observed(w, tuple(found), count))
    return out
