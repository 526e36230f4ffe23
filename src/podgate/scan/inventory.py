"""Each workload once: controllers through their pod template, the pods they own folded into
them, bare pods on their own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from podgate.k8s import Obj, mapping, pod_sources, sequence

# The service account of kube-controller-manager's controller that creates each kind's pods
# (with --use-service-account-credentials, as kubeadm and most distributions run it).
POD_CREATORS = {
    "Deployment": "replicaset-controller",
    "ReplicaSet": "replicaset-controller",
    "StatefulSet": "statefulset-controller",
    "DaemonSet": "daemon-set-controller",
    "Job": "job-controller",
    "CronJob": "job-controller",
    "ReplicationController": "replication-controller",
}


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object was read: file (as given), document index, line, item of a v1 List."""

    file: str
    document: int
    line: int
    item: int | None = None


@dataclass(frozen=True, slots=True, order=True)
class WorkloadRef:
    namespace: str
    kind: str
    name: str

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else f"{self.kind} {self.name}"
        )


@dataclass(frozen=True, slots=True)
class Workload:
    ref: WorkloadRef
    api_version: str
    obj: Obj  # the object as read
    meta: Obj  # the pod (template) metadata
    spec: Obj  # the pod (template) spec
    spec_path: str  # where the pod spec is in the object: "spec", "spec.template.spec", ...
    source: Source | None
    pods: tuple[str, ...] = ()  # names of the pods in the input that this workload owns
    generic: bool = False  # found only through spec.template.spec

    @property
    def raw_meta(self) -> Any:
        """The pod's (or template's) metadata as read, whatever its type (`meta` reads a
        malformed one as empty)."""
        holder: Any = self.obj
        for key in self.spec_path.split(".")[:-1]:
            holder = holder[key]
        return holder.get("metadata")

    @property
    def is_pod(self) -> bool:
        return self.ref.kind == "Pod"

    @property
    def service_account(self) -> str:
        name = self.spec.get("serviceAccountName") or self.spec.get("serviceAccount")
        return name if isinstance(name, str) and name else "default"

    @property
    def creator(self) -> str | None:
        """The kube-controller-manager controller that creates this workload's pods."""
        return POD_CREATORS.get(self.ref.kind)

    def as_pod(self) -> dict[str, Any]:
        """The pod as PSP admission sees it: the pod itself, or the pod a controller creates
        from the template; with `serviceAccountName: default` when unset, as the
        ServiceAccount admission plugin sets it before PSP runs."""
        spec = self.spec
        if not spec.get("serviceAccountName"):
            spec = {**spec, "serviceAccountName": self.service_account}
        if self.is_pod:
            return {**self.obj, "spec": spec}
        meta = dict(self.meta)
        meta.setdefault("namespace", self.ref.namespace)
        meta.setdefault("name", f"{self.ref.name}-")
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


@dataclass(slots=True)
class _Entry:
    obj: Obj
    source: Source | None
    pods: list[str] = field(default_factory=list)


def _key(obj: Obj) -> tuple[str, str, str]:
    meta = mapping(obj.get("metadata"))
    ns = str(meta.get("namespace") or "default")  # kubectl applies unnamespaced objects there
    return (ns, str(obj.get("kind") or ""), str(meta.get("name") or meta.get("generateName") or ""))


def _owner(obj: Obj) -> tuple[str, str] | None:
    """(kind, name) of the controlling owner."""
    refs = [mapping(r) for r in sequence(mapping(obj.get("metadata")).get("ownerReferences"))]
    chosen = next((r for r in refs if r.get("controller") is True), refs[0] if refs else None)
    if chosen is None:
        return None
    return str(chosen.get("kind") or ""), str(chosen.get("name") or "")


def find_workloads(items: Iterable[tuple[Obj, Source | None]]) -> list[Workload]:
    """Workloads in input order of their top-level controller; a ReplicaSet owned by a
    Deployment in the input, a Job owned by a CronJob and the pods of any of them are folded
    into the controller, so each workload is reported once."""
    entries: dict[tuple[str, str, str], _Entry] = {}
    order: list[tuple[str, str, str]] = []
    for obj, source in items:
        if pod_sources(obj) is None:
            continue
        key = _key(obj)
        if key not in entries:
            order.append(key)
        entries[key] = _Entry(obj, source)

    def top(key: tuple[str, str, str], seen: set[tuple[str, str, str]]) -> tuple[str, str, str]:
        owner = _owner(entries[key].obj)
        if owner is None:
            return key
        parent = (key[0], owner[0], owner[1])
        if parent not in entries or parent in seen:
            return key
        return top(parent, seen | {key})

    folded: set[tuple[str, str, str]] = set()
    for key in order:
        root = top(key, set())
        if root != key:
            folded.add(key)
            if key[1] == "Pod":
                entries[root].pods.append(key[2])
    out: list[Workload] = []
    for key in order:
        if key in folded:
            continue
        entry = entries[key]
        src = pod_sources(entry.obj)
        assert src is not None
        spec_path = "spec" if not src.is_template else f"{src.path}.spec"
        api = entry.obj.get("apiVersion")
        out.append(
            Workload(
                ref=WorkloadRef(key[0], key[1] or "Unknown", key[2]),
                api_version=api if isinstance(api, str) else "",
                obj=entry.obj,
                meta=src.meta,
                spec=src.spec,
                spec_path=spec_path,
                source=entry.source,
                pods=tuple(entry.pods),
                generic=src.generic,
            )
        )
    return out
