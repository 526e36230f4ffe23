"""The one table of the built-in kinds that hold a pod spec: where the pod (template) is, which
API groups serve each kind and under which resource, and which kube-controller-manager
controller creates its pods. The loader, the scanner, Pod Security Admission's routing, the
webhook, its metrics and the live read all take their lists from here."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WORKLOAD_KINDS", "WorkloadKind", "workload_kind"]


@dataclass(frozen=True, slots=True)
class WorkloadKind:
    kind: str
    groups: tuple[str, ...]  # the API groups that serve it ("" is the core group); first: today's
    resource: str  # the plural in request URLs
    template: tuple[str, ...]  # the path from the object to its pod template; () for a Pod
    # the service account of kube-controller-manager's controller that creates its pods (with
    # --use-service-account-credentials, as kubeadm and most distributions run it); None when
    # it creates none (a Pod is one, a PodTemplate only holds one)
    creator: str | None

    @property
    def group(self) -> str:
        """The API group that serves it today (where requests for it are routed)."""
        return self.groups[0]

    @property
    def api_version(self) -> str:
        """Its API version today: `v1` of its group."""
        return f"{self.group}/v1" if self.group else "v1"

    @property
    def is_pod_or_creates_pods(self) -> bool:
        return not self.template or self.creator is not None


WORKLOAD_KINDS: tuple[WorkloadKind, ...] = (
    WorkloadKind("Pod", ("",), "pods", (), None),
    WorkloadKind(
        "Deployment", ("apps", "extensions"), "deployments", ("spec", "template"),
        "replicaset-controller",
    ),
    WorkloadKind(
        "ReplicaSet", ("apps", "extensions"), "replicasets", ("spec", "template"),
        "replicaset-controller",
    ),
    WorkloadKind(
        "StatefulSet", ("apps",), "statefulsets", ("spec", "template"), "statefulset-controller"
    ),
    WorkloadKind(
        "DaemonSet", ("apps", "extensions"), "daemonsets", ("spec", "template"),
        "daemon-set-controller",
    ),
    WorkloadKind("Job", ("batch",), "jobs", ("spec", "template"), "job-controller"),
    WorkloadKind(
        "CronJob", ("batch",), "cronjobs", ("spec", "jobTemplate", "spec", "template"),
        "job-controller",
    ),
    WorkloadKind(
        "ReplicationController", ("",), "replicationcontrollers", ("spec", "template"),
        "replication-controller",
    ),
    WorkloadKind("PodTemplate", ("",), "podtemplates", ("template",), None),
)  # fmt: skip

_BY_KIND = {k.kind: k for k in WORKLOAD_KINDS}


def workload_kind(kind: object) -> WorkloadKind | None:
    """The built-in kind of this name that holds a pod spec, or None."""
    return _BY_KIND.get(kind) if isinstance(kind, str) else None
