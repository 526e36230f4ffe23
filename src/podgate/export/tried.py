"""The pods an export is compared with PSP on: the input's workloads (each as its requester)
and generated pods near every policy's boundary, per namespace and service account, as a
controller and as a plain user; each read as admission reads it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from podgate.export.cluster import Cluster, requester
from podgate.export.probes import minimal_pod, probes, restricted_pod
from podgate.k8s import Obj, mapping
from podgate.k8s.identity import UserInfo, controller_user, requesting_user
from podgate.k8s.prepare import unsynced_seccomp_annotations_dropped
from podgate.psp.strategies import seccomp

PROBE_USER = requesting_user("podgate:probe-user")
CONTROLLER = controller_user("replicaset-controller")


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


def as_admitted(pod: Obj) -> dict[str, Any]:
    """The pod as validating admission reads it: null fields dropped (the API server decodes
    into typed objects), a pod-level seccomp profile field mirrored into the annotation (as
    the API server of PSP's time synchronised them), and each seccomp annotation whose field
    is unset left out (it confines nothing on the clusters the exports serve: kubelets ignore
    it from 1.25, the API server no longer copies it into the field from 1.27). PSP and the
    engine see the same pod."""
    out: dict[str, Any] = without_nulls(copy.deepcopy(dict(pod)))
    spec = mapping(out.get("spec"))
    field = seccomp.profile_of_field(mapping(spec.get("securityContext")))
    meta = out.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    if field and not annotations.get(seccomp.POD_KEY):
        meta["annotations"] = {**annotations, seccomp.POD_KEY: field}
    return dict(unsynced_seccomp_annotations_dropped(out))


@dataclass(frozen=True, slots=True)
class Tried:
    name: str  # the workload, or "(generated: ...)"
    field: str  # the probe's field ("" for workloads)
    pod: Obj
    namespace: str
    who: UserInfo


def pods_to_try(cluster: Cluster, *, boundary: bool) -> Iterator[Tried]:
    """The input's workloads (each as its requester) and, with `boundary`, generated pods for
    every namespace and service account, requested by a controller and by a plain user."""
    for w in cluster.workloads:
        ns = w.ref.namespace or "default"
        who = requester(w) or PROBE_USER
        yield Tried(str(w.ref), "", as_admitted(w.as_pod()), ns, who)
    if not boundary:
        return
    namespaces = sorted(set(cluster.namespaces) | {ns for ns, _ in cluster.service_accounts})
    for ns in namespaces:
        bases = [
            b
            for sa in cluster.representative_service_accounts(ns)
            for b in (minimal_pod(ns, sa), restricted_pod(ns, sa))
        ]
        for p in probes(bases, cluster.policies):
            pod = as_admitted(p.pod)
            sa = mapping(pod.get("spec")).get("serviceAccountName")
            for who in (CONTROLLER, PROBE_USER):
                label = f"(generated: {p.label}, serviceAccount {ns}/{sa}, by {who.name})"
                yield Tried(label, p.field, pod, ns, who)
