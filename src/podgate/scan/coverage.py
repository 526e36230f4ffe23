"""What the scan says about its own coverage: objects that share an identity (each judged where
it was read), owned objects reported apart from their controller, documents read but not
evaluated (by kind), and custom resources that create pods podgate cannot see into."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from podgate.k8s import Obj, mapping, pod_sources
from podgate.k8s.source import Document, Source, where
from podgate.psp.policy import is_policy
from podgate.scan.inventory import Workload, WorkloadRef
from podgate.scan.packed import whole_object

if TYPE_CHECKING:  # the scan result holds a Coverage
    from podgate.scan.model import WorkloadResult


def every_workload(results: Iterable[WorkloadResult]) -> Iterable[Workload]:
    """Each result's workload and the objects folded into it."""
    for r in results:
        yield r.workload
        yield from r.workload.owned


def duplicate_notes(workloads: Iterable[Workload]) -> list[str]:
    """One note per identity read more than once."""
    seen: dict[WorkloadRef, list[Workload]] = {}
    for w in workloads:
        if w.duplicates:
            seen.setdefault(w.ref, []).append(w)
    out = []
    for ref, group in seen.items():
        places = ", ".join(dict.fromkeys(where(w.source) for w in group))
        first = whole_object(group[0])
        same = all(whole_object(w) == first for w in group)
        how = "identical" if same else "they differ"
        out.append(
            f"{ref} is defined {len(group)} times ({places}; {how}): each definition is "
            "judged where it was read; a cluster keeps only the one applied last"
        )
    return out


MAX_NAMED = 30  # objects named in one note; the JSON lists them all


def apart_notes(results: Sequence[WorkloadResult]) -> list[str]:
    """One note for the owned objects reported apart from their controller."""
    apart = [r.workload for r in results if r.workload.apart]
    if not apart:
        return []
    named = "; ".join(f"{w.ref} ({where(w.source)}): {w.apart}" for w in apart[:MAX_NAMED])
    if len(apart) > MAX_NAMED:
        named += f"; and {len(apart) - MAX_NAMED} more (each workload says why)"
    return [
        f"{len(apart)} object(s) owned by a controller are judged on their own, not folded "
        f"into it: {named}"
    ]


# the kinds the scan reads besides workloads: to place workloads, and to simulate admission
CONTEXT_KINDS = frozenset(
    ("Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
)
# custom resources whose operators create pods, by API group: named even when their manifest
# shows no container (a CephCluster says only which images to run)
POD_CREATING_KINDS: dict[str, frozenset[str]] = {
    "monitoring.coreos.com": frozenset(
        ("Prometheus", "PrometheusAgent", "Alertmanager", "ThanosRuler")
    ),
    "ceph.rook.io": frozenset(
        (
            "CephCluster",
            "CephFilesystem",
            "CephObjectStore",
            "CephNFS",
            "CephRBDMirror",
            "CephFilesystemMirror",
        )
    ),
    "keda.sh": frozenset(("ScaledJob",)),
    "argoproj.io": frozenset(("Rollout", "Workflow", "CronWorkflow")),
    "serving.knative.dev": frozenset(("Service", "Configuration", "Revision")),
    "kafka.strimzi.io": frozenset(("Kafka", "KafkaConnect", "KafkaMirrorMaker2")),
    "elasticsearch.k8s.elastic.co": frozenset(("Elasticsearch",)),
    "kibana.k8s.elastic.co": frozenset(("Kibana",)),
    "tekton.dev": frozenset(("TaskRun", "PipelineRun")),
    "kubeflow.org": frozenset(("TFJob", "PyTorchJob", "MPIJob", "Notebook")),
    "ray.io": frozenset(("RayCluster", "RayJob", "RayService")),
    "sparkoperator.k8s.io": frozenset(("SparkApplication", "ScheduledSparkApplication")),
}
_SKIPPED_KEYS = ("metadata", "status")  # never a pod's containers
# lists of containers: a pod's, and those operators take (Tekton steps and sidecars)
_CONTAINER_LIST_KEYS = ("containers", "initContainers", "ephemeralContainers", "steps", "sidecars")
_MAX_SEARCH_DEPTH = 12


@dataclass(frozen=True, slots=True)
class PodCreator:
    """A custom resource whose operator creates pods podgate cannot see into."""

    kind: str
    api_version: str
    namespace: str
    name: str
    source: Source | None
    evidence: str  # where its containers are ("spec.containers"), or "known pod-creating kind"

    def __str__(self) -> str:
        at = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {at} ({where(self.source)}; {self.evidence})"


def _group(api_version: object) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def kind_label(obj: Obj) -> str:
    """How notes count a kind: `Kind`, or `Kind (group)` for a custom resource's group."""
    kind = obj.get("kind")
    text = kind if isinstance(kind, str) and kind else "(no kind)"
    group = _group(obj.get("apiVersion"))
    if "." in group and not group.endswith(".k8s.io"):
        text += f" ({group})"
    return text


def _is_container_list(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(c, dict) and ("image" in c or "name" in c) for c in value)
    )


def containers_path(node: object, at: str = "", depth: int = 0) -> str | None:
    """The path of the first list of containers in `node` (a `containers`, `initContainers`,
    `steps` or `sidecars` list of objects with a name or an image, or a `container` object
    with an image), outside metadata and status."""
    if depth > _MAX_SEARCH_DEPTH:
        return None
    if isinstance(node, dict):
        for key, value in node.items():
            if depth == 0 and key in _SKIPPED_KEYS:
                continue
            path = f"{at}.{key}" if at else str(key)
            if key in _CONTAINER_LIST_KEYS and _is_container_list(value):
                return path
            if key == "container" and isinstance(value, dict) and "image" in value:
                return path  # an Argo Workflow template's one container
            found = containers_path(value, path, depth + 1)
            if found is not None:
                return found
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found = containers_path(item, f"{at}[{i}]", depth + 1)
            if found is not None:
                return found
    return None


def pod_creator(obj: Obj, source: Source | None) -> PodCreator | None:
    """The object as a pod-creating custom resource podgate cannot see into, or None: a
    resource that is not a workload podgate judges, with containers somewhere in it or of a
    kind known to create pods."""
    kind = obj.get("kind")
    if not isinstance(kind, str) or pod_sources(obj) is not None:
        return None
    api = obj.get("apiVersion")
    group = _group(api)
    built_in = "." not in group or (group.endswith(".k8s.io") and group not in POD_CREATING_KINDS)
    if built_in:
        return None  # its pods are judged, or it creates none
    path = containers_path(obj)
    if path is not None:
        evidence = f"containers at {path}"
    elif kind in POD_CREATING_KINDS.get(group, ()):
        evidence = "its operator creates pods"
    else:
        return None
    meta = mapping(obj.get("metadata"))
    ns, name = meta.get("namespace"), meta.get("name")
    return PodCreator(
        kind,
        api if isinstance(api, str) else "",
        ns if isinstance(ns, str) else "",
        name if isinstance(name, str) else "",
        source,
        evidence,
    )


@dataclass(frozen=True, slots=True)
class Coverage:
    not_evaluated: tuple[tuple[str, int], ...]  # (kind label, documents), most first
    pod_creators: tuple[PodCreator, ...]


def coverage(docs: Sequence[Document], *, policies_read: bool) -> Coverage:
    """What was read but not evaluated. With `policies_read`, the PodSecurityPolicies are
    read (the scan simulates them); without, they are counted as not evaluated."""
    counts: Counter[str] = Counter()
    creators = []
    for doc in docs:
        obj = doc.obj
        if (
            (policies_read and is_policy(obj))
            or doc.pod is not None
            or obj.get("kind") in CONTEXT_KINDS
        ):
            continue
        counts[kind_label(obj)] += 1
        found = pod_creator(obj, doc.source)
        if found is not None:
            creators.append(found)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return Coverage(tuple(ranked), tuple(creators))


def coverage_notes(c: Coverage) -> list[str]:
    out = []
    if c.not_evaluated:
        total = sum(n for _, n in c.not_evaluated)
        kinds = ", ".join(f"{n} {k}" for k, n in c.not_evaluated)
        out.append(f"read but not evaluated (no pod in them): {total} document(s): {kinds}")
    if c.pod_creators:
        named = "; ".join(str(p) for p in c.pod_creators[:MAX_NAMED])
        more = len(c.pod_creators) - MAX_NAMED
        if more > 0:
            named += f"; and {more} more"
        out.append(
            f"NOT JUDGED: {len(c.pod_creators)} custom resource(s) whose operators create pods "
            "podgate cannot see into (scan the pods or workloads they create, e.g. from "
            f"`kubectl get pods -A -o yaml`): {named}"
        )
    return out
