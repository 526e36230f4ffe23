"""The advisor's values: its options, the observed workloads, the groups they are advised in,
the policies advised and the advice as a whole (with its manifests, ready for kubectl apply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from podgate.advisor.facts import PodFacts
from podgate.k8s import Obj
from podgate.scan.inventory import Workload

ROLE_PREFIX = "podgate:psp:"


class GroupBy(StrEnum):
    SERVICE_ACCOUNT = "serviceaccount"
    NAMESPACE = "namespace"
    CLUSTER = "cluster"


@dataclass(frozen=True, slots=True)
class AdviseOptions:
    group_by: GroupBy = GroupBy.SERVICE_ACCOUNT
    namespace: str | None = None  # only the workloads of this namespace
    verify: bool = True  # run every observed pod through the generated policies


@dataclass(frozen=True, slots=True)
class Observed:
    """A workload and the pods it stands for, each as PSP admission sees it: the pod its
    controller creates from the template (defaulted as the API server defaults a pod) and the
    pods of the input it owns."""

    workload: Workload
    pods: tuple[Obj, ...]  # distinct as PSP sees them (see `signature`)
    count: int = 1  # pods observed, the template's included


@dataclass(frozen=True, slots=True)
class Group:
    """One group of workloads: a service account, a namespace or the whole cluster."""

    key: str  # "ns/sa", "ns" or "" (cluster)
    namespace: str | None  # None for the cluster group
    service_accounts: tuple[tuple[str, str], ...]  # (namespace, name), sorted
    observed: tuple[Observed, ...]

    @property
    def workloads(self) -> tuple[Workload, ...]:
        return tuple(o.workload for o in self.observed)

    @property
    def label(self) -> str:
        return self.key or "(cluster)"


@dataclass(frozen=True, slots=True)
class AdvisedPolicy:
    name: str
    policy: dict[str, Any]  # the PodSecurityPolicy object
    groups: tuple[Group, ...]
    notes: tuple[str, ...]

    @property
    def service_accounts(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted({sa for g in self.groups for sa in g.service_accounts}))


@dataclass(frozen=True, slots=True)
class Advice:
    options: AdviseOptions
    observed: tuple[Observed, ...]
    policies: tuple[AdvisedPolicy, ...]
    rbac: tuple[dict[str, Any], ...]  # ClusterRoles and (Cluster)RoleBindings
    checked: int  # distinct observed pods run through the engine

    @property
    def observed_pods(self) -> int:
        """Every observed pod (replicas equal in what PSP reads are checked once)."""
        return sum(o.count for o in self.observed)

    facts: dict[int, list[PodFacts]] = field(default_factory=dict)  # by id of the Observed
    # workloads left out: no PodSecurityPolicy can admit their pods (a volume source PSP does
    # not know, or pods the API server refuses as invalid), one note each
    left_out: tuple[str, ...] = ()

    @property
    def workloads(self) -> tuple[Workload, ...]:
        return tuple(o.workload for o in self.observed)

    @property
    def manifests(self) -> list[dict[str, Any]]:
        """Every object, each policy followed by its ClusterRole and bindings."""
        out: list[dict[str, Any]] = []
        by_role: dict[str, list[dict[str, Any]]] = {}
        for obj in self.rbac:
            ref = obj.get("roleRef")
            role = ref["name"] if isinstance(ref, dict) else obj["metadata"]["name"]
            by_role.setdefault(role, []).append(obj)
        for p in self.policies:
            out.append(p.policy)
            out.extend(by_role.get(ROLE_PREFIX + p.name, ()))
        return out
