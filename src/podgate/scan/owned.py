"""Folding owned objects into their controller without hiding anything: a ReplicaSet, Job or pod
of the input is judged too, and stays folded only when it is judged exactly as its controller
is; otherwise it is reported on its own, saying why."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from podgate.k8s import Obj, mapping, sequence
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


_TOKEN_VOLUME = re.compile(r"kube-api-access-[a-z0-9]{5}")


def _token_names(spec: Obj) -> dict[str, str]:
    """The names of the service-account token volumes the API server adds to each pod
    (`kube-api-access-<5 random characters>`, projected), each to one shared name; none when
    renaming could make two volumes one."""
    out = {}
    for v in sequence(spec.get("volumes")):
        name = mapping(v).get("name")
        if isinstance(name, str) and _TOKEN_VOLUME.fullmatch(name) and "projected" in v:
            out[name] = "kube-api-access"
    names = {mapping(v).get("name") for v in sequence(spec.get("volumes"))}
    return {} if len(out) > 1 or "kube-api-access" in names else out


def _without_token_names(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: names.get(v, v)
            if k == "name" and isinstance(v, str)
            else _without_token_names(v, names)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_without_token_names(x, names) for x in node]
    return node


def verdict_key(w: Workload) -> str:
    """What decides an object's verdict, as text: whether it is a pod (a template is defaulted
    as a pod first), its namespace, service account, the controller that creates its pods,
    its annotations and its pod spec. Two replicas of one ReplicaSet differ only where neither
    engine looks (their names, node, and the random suffix of the token volume the API server
    adds), so they share one key and one verdict; so do a Deployment and its ReplicaSet of the
    same template."""
    spec = {k: v for k, v in w.spec.items() if k != "nodeName"}
    names = _token_names(spec)
    if names:
        spec = _without_token_names(spec, names)
    annotations = mapping(w.meta).get("annotations")
    return json.dumps(
        [w.is_pod, w.ref.namespace, w.service_account, w.creator, annotations, spec],
        sort_keys=True,
        default=repr,
    )


def judge_with_owned(
    root: Workload, judge: Callable[[Workload], WorkloadResult]
) -> list[WorkloadResult]:
    """The result of `root`, then of each object folded into it that is judged differently
    (reported on its own, with `apart` saying why); the root's `pods` name only the pods that
    stay folded. An owned object the inventory could not fold (`apart` set) is a root.
    Owned objects that read alike (`verdict_key`) are judged once."""
    first = judge(root)
    if not root.owned:
        return [first]
    kept: list[Workload] = []
    apart: list[WorkloadResult] = []
    alike: dict[str, bool] = {verdict_key(root): True}  # e.g. a ReplicaSet of the same template
    for o in root.owned:
        key = verdict_key(o)
        same = alike.get(key)
        r = None
        if same is None:
            r = judge(o)
            same = alike[key] = same_verdict(first, r)
        if same:
            kept.append(o)
            continue
        r = r if r is not None else judge(o)
        what = "the pod differs from" if o.is_pod else "its pod template differs from"
        why = f"{what} the template of {root.ref}, and it is judged differently"
        apart.append(replace(r, workload=replace(o, apart=why)))
    if len(kept) != len(root.owned):
        w = replace(root, owned=tuple(kept), pods=tuple(o.ref.name for o in kept if o.is_pod))
        first = replace(first, workload=w)
    return [first, *apart]
