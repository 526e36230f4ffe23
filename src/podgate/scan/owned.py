"""Folding owned objects into their controller without hiding anything: a ReplicaSet, Job or pod
of the input is judged too, and stays folded only when it is judged exactly as its controller
is; otherwise it is reported on its own, saying why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from podgate.scan.inventory import Workload
from podgate.scan.model import WorkloadResult


def same_verdict(a: WorkloadResult, b: WorkloadResult) -> bool:
    """Whether folding `b` into `a` hides nothing: the same level checked with the same
    violations and highest level, and the same PodSecurityPolicy outcome (admitted by the
    same policy, or denied with the same errors). Whether the policy would still change the
    pod is left out: pods read from a cluster were changed already when they were created."""
    if (a.level, a.violations, a.highest) != (b.level, b.violations, b.highest):
        return False
    if a.psp is None or b.psp is None:
        return a.psp is b.psp
    return (a.psp.allowed, a.psp.policy, a.psp.message, a.psp.decision.violations) == (
        b.psp.allowed,
        b.psp.policy,
        b.psp.message,
        b.psp.decision.violations,
    )


def judge_with_owned(
    root: Workload, judge: Callable[[Workload], WorkloadResult]
) -> list[WorkloadResult]:
    """The result of `root`, then of each object folded into it that is judged differently
    (reported on its own, with `apart` saying why); the root's `pods` name only the pods that
    stay folded. An owned object the inventory could not fold (`apart` set) is a root."""
    first = judge(root)
    if not root.owned:
        return [first]
    kept: list[Workload] = []
    apart: list[WorkloadResult] = []
    for o in root.owned:
        r = judge(o)
        if same_verdict(first, r):
            kept.append(o)
            continue
        what = "the pod differs from" if o.is_pod else "its pod template differs from"
        why = f"{what} the template of {root.ref}, and it is judged differently"
        apart.append(replace(r, workload=replace(o, apart=why)))
    if len(kept) != len(root.owned):
        w = replace(root, owned=tuple(kept), pods=tuple(o.ref.name for o in kept if o.is_pod))
        first = replace(first, workload=w)
    return [first, *apart]
