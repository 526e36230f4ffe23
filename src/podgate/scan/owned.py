"""Folding owned objects into their controller without hiding anything: a ReplicaSet, Job or pod
of the input is judged too, and stays folded only when it is judged exactly as its controller
is; otherwise it is reported on its own, saying why."""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable
from dataclasses import replace

from podgate.k8s import mapping
from podgate.k8s.fold import fold_digest, read_of
from podgate.scan.inventory import Workload
from podgate.scan.model import WorkloadResult


def same_verdict(a: WorkloadResult, b: WorkloadResult) -> bool:
    """Whether folding `b` into `a` hides nothing: the same level checked with the same
    violations, and the same PodSecurityPolicy outcome (admitted by the same policy, or
    denied with the same errors). Left out: whether the policy would still change the pod
    (pods read from a cluster were changed when they were created), and the highest level
    met (no violation hides behind it)."""
    if (a.level, a.violations) != (b.level, b.violations):
        return False
    if a.psp is None or b.psp is None:
        return a.psp is b.psp
    return (a.psp.allowed, a.psp.policy, a.psp.message, a.psp.decision.violations) == (
        b.psp.allowed,
        b.psp.policy,
        b.psp.message,
        b.psp.decision.violations,
    )


def verdict_key(w: Workload) -> bytes | str:
    """What decides an object's verdict, as bytes: whether it is a pod (a template is defaulted
    as a pod first), its namespace, service account, the controller that creates its pods,
    and the digest of its annotations and what the engines read of its pod spec
    (`k8s.fold.fold_digest`; a packed object carries the digest made where it was read, so
    that it is told apart without being unpacked). Two replicas of one ReplicaSet differ only
    where neither engine looks (their names, node, and the random suffix of the token volume
    the API server adds), so they share one key and one verdict; so do a Deployment and its
    ReplicaSet of the same template.

    marshal's format 2 writes each value with its type and each mapping in its order, without
    back-references, so equal keys mean equal values. A value marshal cannot write (none a
    decoder makes) falls back to sorted JSON of the values themselves."""
    digest = w.packed.fold if w.packed is not None else fold_digest(w.meta, w.spec)
    if digest is not None:
        return marshal.dumps((w.is_pod, w.ref.namespace, w.service_account, w.creator, digest), 2)
    annotations = mapping(w.meta).get("annotations")
    read = (w.is_pod, w.ref.namespace, w.service_account, w.creator, annotations, read_of(w.spec))
    return json.dumps(read, sort_keys=True, default=repr)


def judge_with_owned(
    root: Workload,
    judge: Callable[[Workload, bool], WorkloadResult],
    opened: Callable[[Workload], Workload] = lambda o: o,
) -> list[WorkloadResult]:
    """The result of `root`, then of each object folded into it that is judged differently
    (reported on its own, with `apart` saying why); the root's `pods` name only the pods that
    stay folded. An owned object the inventory could not fold (`apart` set) is a root.
    Owned objects that read alike (`verdict_key`) are judged once; `opened` makes an owned
    object ready to be judged (unpacked: scan/packed.py), only when it is judged."""
    first = judge(root, True)
    if not root.owned:
        return [first]
    kept: list[Workload] = []
    apart: list[WorkloadResult] = []
    alike: dict[bytes | str, bool] = {
        verdict_key(root): True
    }  # e.g. a ReplicaSet of the same template
    for o in root.owned:
        key = verdict_key(o)
        same = alike.get(key)
        if same is None:
            o = opened(o)
            same = alike[key] = same_verdict(first, judge(o, False))
        if same:
            kept.append(o)
            continue
        o = opened(o)
        r = judge(o, True)
        what = "the pod differs from" if o.is_pod else "its pod template differs from"
        why = f"{what} the template of {root.ref}, and it is judged differently"
        apart.append(replace(r, workload=replace(o, apart=why)))
    if len(kept) != len(root.owned):
        w = replace(root, owned=tuple(kept), pods=tuple(o.ref.name for o in kept if o.is_pod))
        first = replace(first, workload=w)
    return [first, *apart]
