"""Enablement readiness: what turning PodSecurityPolicy admission on would break."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from podgate.k8s.identity import UserInfo, pod_service_account
from podgate.psp import PolicySet
from podgate.rbac import Authorizer
from podgate.scan.inventory import Workload, WorkloadRef
from podgate.scan.model import Readiness, WorkloadResult


def _is_system(ref: WorkloadRef) -> bool:
    return ref.namespace == "kube-system" or ref.kind == "DaemonSet"


def lockouts(
    workloads: list[Workload],
    accounts: Sequence[tuple[str, str]],
    policy_set: PolicySet | None,
    authz: Authorizer | None,
    requester: Callable[[Workload], UserInfo | None],
) -> tuple[tuple[str, str, str], ...]:
    """(namespace, service account, why) of each service account no policy would be usable by,
    nor by whoever creates its pods: every pod it runs would be rejected. `accounts`:
    `service_accounts` of the input (with a policy set). (It needs no verdict.)"""
    locked: list[tuple[str, str, str]] = []
    if policy_set is not None and not policy_set.names:
        why = (
            "no PodSecurityPolicy exists: PSP admission rejects every pod (no providers "
            "available to validate pod request)"
        )
        locked = [(ns, sa, why) for ns, sa in accounts]
    elif policy_set is not None and authz is not None:
        names = policy_set.names
        by_sa: dict[tuple[str, str], list[Workload]] = {}
        for w in workloads:
            by_sa.setdefault((w.ref.namespace, w.service_account), []).append(w)
        for ns, sa in accounts:
            ident = pod_service_account(ns, sa)
            usable = [n for n in names if authz.can_use(ident, ns, n)]
            if usable:
                continue
            via = [
                n
                for w in by_sa.get((ns, sa), [])
                if (who := requester(w)) is not None
                for n in names
                if authz.can_use(who, ns, n)
            ]
            if not via:
                why = (
                    "no PodSecurityPolicy is usable by this service account or by whoever "
                    "creates its pods: every pod it runs would be rejected"
                )
                locked.append((ns, sa, why))
    return tuple(locked)


def readiness(
    results: list[WorkloadResult],
    locked: tuple[tuple[str, str, str], ...],
    policy_set: PolicySet | None,
    authz: Authorizer | None,
) -> Readiness:
    """What turning PodSecurityPolicy admission on would break: service accounts with no usable
    policy (`locked`: `lockouts`), system components rejected, workloads changed or
    rejected."""
    psp_results = [r for r in results if r.psp is not None]
    return Readiness(
        psp_enabled=policy_set is not None,
        rbac_from_input=authz is not None,
        lockouts=locked,
        rejected_system=tuple(
            (r.workload.ref, r.psp.message or "")
            for r in psp_results
            if r.psp is not None and not r.psp.allowed and _is_system(r.workload.ref)
        ),
        mutated=tuple(
            (r.workload.ref, r.psp.policy or "")
            for r in psp_results
            if r.psp is not None and r.psp.allowed and r.psp.mutated
        ),
        rejected=tuple(
            (r.workload.ref, r.psp.message or "")
            for r in psp_results
            if r.psp is not None and not r.psp.allowed
        ),
        pss_failing=tuple(r.workload.ref for r in results if r.violations),
    )
