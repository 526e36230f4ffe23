"""Folding owned objects into their controller without hiding anything: a ReplicaSet, Job or pod
of the input is judged too, and stays folded only when it is judged exactly as its controller
is; otherwise it is reported on its own, saying why."""

from __future__ import annotations

import json
import marshal
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from podgate.k8s import Obj, mapping
from podgate.k8s.objects import CONTAINER_LISTS
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


_TOKEN_VOLUME = re.compile(r"kube-api-access-[a-z0-9]{5}")
# fields no check of either engine, and no report, reads (they only make replicas' keys long;
# the trimmed decode of a snapshot leaves them out: io/snapshot.py)
UNREAD_POD = frozenset(
    (
        "nodeName",
        "tolerations",
        "affinity",
        "nodeSelector",
        "topologySpreadConstraints",
        "dnsPolicy",
        "dnsConfig",
        "schedulerName",
        "priority",
        "priorityClassName",
        "preemptionPolicy",
        "terminationGracePeriodSeconds",
        "restartPolicy",
        "imagePullSecrets",
        "enableServiceLinks",
    )
)
UNREAD_CONTAINER = frozenset(
    (
        "env",
        "envFrom",
        "resources",
        "command",
        "args",
        "image",
        "imagePullPolicy",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "workingDir",
    )
)


_TOKEN_PREFIX = "kube-api-access-"
_TOKEN_ALIKE = "kube-api-access-?"


def _token_volume(spec: Obj) -> str | None:
    """The service-account token volume the API server adds to each pod
    (`kube-api-access-<5 random characters>`, projected), when there is exactly one."""
    volumes = spec.get("volumes")
    if not isinstance(volumes, list):
        return None
    found = None
    for v in volumes:
        if not isinstance(v, dict):
            continue
        name = v.get("name")
        if (
            isinstance(name, str)
            and name.startswith(_TOKEN_PREFIX)
            and _TOKEN_VOLUME.fullmatch(name)
            and "projected" in v
        ):
            if found is not None:
                return None
            found = name
    return found


def _named_alike(items: list[Any], token: str) -> list[Any]:
    """Volumes or volume mounts with the token volume's name made the same for every pod."""
    return [
        {**m, "name": _TOKEN_ALIKE} if isinstance(m, dict) and m.get("name") == token else m
        for m in items
    ]


def _read(spec: Obj) -> dict[str, Any]:
    """The pod spec without what neither engine reads, the token volume named alike. (Copies
    are made only where something is left out or renamed: a snapshot's trimmed decode has
    left the unread fields out already.)"""
    token = _token_volume(spec)
    if UNREAD_POD.isdisjoint(spec):
        out = dict(spec)
    else:
        out = {k: v for k, v in spec.items() if k not in UNREAD_POD}
    if token is not None:
        out["volumes"] = _named_alike(spec["volumes"], token)
    for list_name in CONTAINER_LISTS:
        items = spec.get(list_name)
        if not isinstance(items, list):
            continue
        containers = []
        for c in items:
            if isinstance(c, dict):
                if not UNREAD_CONTAINER.isdisjoint(c):
                    c = {k: v for k, v in c.items() if k not in UNREAD_CONTAINER}
                mounts = c.get("volumeMounts")
                if token is not None and isinstance(mounts, list):
                    c = {**c, "volumeMounts": _named_alike(mounts, token)}
            containers.append(c)
        out[list_name] = containers
    return out


def verdict_key(w: Workload) -> bytes | str:
    """What decides an object's verdict, as bytes: whether it is a pod (a template is defaulted
    as a pod first), its namespace, service account, the controller that creates its pods,
    its annotations and what the engines read of its pod spec. Two replicas of one ReplicaSet
    differ only where neither engine looks (their names, node, and the random suffix of the
    token volume the API server adds), so they share one key and one verdict; so do a
    Deployment and its ReplicaSet of the same template.

    marshal's format 2 writes each value with its type (true, 1 and 1.0 differ) and each
    mapping in its order, without back-references, so equal keys mean equal values; two
    objects whose fields are ordered differently get two keys and are judged apart. A value
    marshal cannot write (none a decoder makes) falls back to sorted JSON."""
    annotations = mapping(w.meta).get("annotations")
    read = (w.is_pod, w.ref.namespace, w.service_account, w.creator, annotations, _read(w.spec))
    try:
        return marshal.dumps(read, 2)
    except ValueError:
        return json.dumps(read, sort_keys=True, default=repr)


def judge_with_owned(
    root: Workload, judge: Callable[[Workload, bool], WorkloadResult]
) -> list[WorkloadResult]:
    """The result of `root`, then of each object folded into it that is judged differently
    (reported on its own, with `apart` saying why); the root's `pods` name only the pods that
    stay folded. An owned object the inventory could not fold (`apart` set) is a root.
    Owned objects that read alike (`verdict_key`) are judged once."""
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
            same = alike[key] = same_verdict(first, judge(o, False))
        if same:
            kept.append(o)
            continue
        r = judge(o, True)
        what = "the pod differs from" if o.is_pod else "its pod template differs from"
        why = f"{what} the template of {root.ref}, and it is judged differently"
        apart.append(replace(r, workload=replace(o, apart=why)))
    if len(kept) != len(root.owned):
        w = replace(root, owned=tuple(kept), pods=tuple(o.ref.name for o in kept if o.is_pod))
        first = replace(first, workload=w)
    return [first, *apart]
