"""`podgate simplify`: the migration guide's step "simplify and standardise PodSecurityPolicies".

* Every mutating policy gets a non-mutating clone `<name>-nonmutating`: the fields that only
  fill in defaults are dropped (`defaultAddCapabilities`, merged into `allowedCapabilities`;
  `defaultAllowPrivilegeEscalation`; `runtimeClass.defaultRuntimeClassName`; the seccomp and
  AppArmor `defaultProfileName` annotations). Rules that both validate and default
  (`runAsUser: MustRunAs`, `MustRunAsNonRoot`, `MustRunAs` groups and SELinux,
  `requiredDropCapabilities`, `readOnlyRootFilesystem: true`, `allowPrivilegeEscalation:
  false`) are kept, because dropping them would admit more; they fill a field in only when the
  pod leaves it unset, and each workload's patch sets it.
* Policies that compile to the same strategies (so admit and change exactly the same pods)
  are merged into the first by name; RBAC rules that name a merged or cloned policy are
  repointed at the survivor (or the clone).
* Per workload of the input, the patch of what PSP filled in (the fields to write into the
  manifest, at the workload's pod template).

Proof (`check`): with the simplified policies and RBAC in place of the old ones, every
workload with its patch applied is admitted unchanged exactly when PSP admitted it before,
as the same identities; the workloads that relied on mutation are the ones with a patch."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from podgate.export.cluster import Cluster, requester
from podgate.export.jsonpatch import apply_patch, rooted
from podgate.export.model import ExportError
from podgate.export.psp_rego import policy_parameters
from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.source import Document
from podgate.psp.patch import json_patch
from podgate.scan.inventory import Workload, find_workloads

CLONE_SUFFIX = "-nonmutating"
DEFAULT_ANNOTATIONS = (
    "seccomp.security.alpha.kubernetes.io/defaultProfileName",
    "apparmor.security.beta.kubernetes.io/defaultProfileName",
)
PSP_ANNOTATION = "kubernetes.io/psp"


@dataclass(frozen=True, slots=True)
class WorkloadPatch:
    workload: str
    requester: str
    allowed_before: bool
    policy_before: str | None
    patch: tuple[dict[str, Any], ...]  # RFC 6902 against the workload object ("" when none)
    allowed_after: bool
    mutated_after: bool
    policy_after: str | None

    @property
    def proved(self) -> bool:
        return self.allowed_before == self.allowed_after and not self.mutated_after

    def as_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "requester": self.requester,
            "allowedBefore": self.allowed_before,
            "policyBefore": self.policy_before,
            "patch": list(self.patch),
            "allowedAfter": self.allowed_after,
            "mutatedAfter": self.mutated_after,
            "policyAfter": self.policy_after,
            "proved": self.proved,
        }


@dataclass(frozen=True, slots=True)
class Simplified:
    policies: tuple[dict[str, Any], ...]  # the policies to run from now on
    rbac: tuple[dict[str, Any], ...]  # every RBAC object, repointed where needed
    clones: dict[str, str]  # mutating policy -> its non-mutating clone
    merged: dict[str, str]  # merged-away policy -> the survivor
    still_defaulting: dict[str, tuple[str, ...]]  # clone -> rules that default when unset
    workloads: tuple[WorkloadPatch, ...] = field(default=())

    @property
    def proved(self) -> bool:
        return all(w.proved for w in self.workloads)

    def as_json(self) -> dict[str, Any]:
        return {
            "proved": self.proved,
            "clones": self.clones,
            "merged": self.merged,
            "stillDefaulting": {k: list(v) for k, v in self.still_defaulting.items()},
            "workloads": [w.as_json() for w in self.workloads],
            "objects": [*self.policies, *self.rbac],
        }


def _name(obj: Obj) -> str:
    name = mapping(obj.get("metadata")).get("name")
    return name if isinstance(name, str) else ""


def non_mutating(policy: Obj) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The clone (named `<name>-nonmutating`) and the rules it keeps that still default."""
    clone: dict[str, Any] = copy.deepcopy(dict(policy))
    meta = clone.setdefault("metadata", {})
    meta["name"] = _name(policy) + CLONE_SUFFIX
    for key in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"):
        meta.pop(key, None)
    annotations = dict(meta.get("annotations") or {})
    for key in DEFAULT_ANNOTATIONS:
        annotations.pop(key, None)
    meta["annotations"] = {**annotations, "podgate.io/non-mutating-clone-of": _name(policy)}
    spec = clone.setdefault("spec", {})
    default_add = [c for c in sequence(spec.pop("defaultAddCapabilities", None)) if c]
    if default_add:
        allowed = list(sequence(spec.get("allowedCapabilities")))
        spec["allowedCapabilities"] = allowed + [c for c in default_add if c not in allowed]
    spec.pop("defaultAllowPrivilegeEscalation", None)
    rc = spec.get("runtimeClass")
    if isinstance(rc, dict):
        rc.pop("defaultRuntimeClassName", None)
    kept = []
    for key in ("runAsUser", "runAsGroup", "fsGroup", "supplementalGroups", "seLinux"):
        rule = mapping(spec.get(key)).get("rule")
        if rule in ("MustRunAs", "MustRunAsNonRoot"):
            kept.append(f"{key}: {rule}")
    if sequence(spec.get("requiredDropCapabilities")):
        kept.append("requiredDropCapabilities")
    if spec.get("readOnlyRootFilesystem") is True:
        kept.append("readOnlyRootFilesystem: true")
    if spec.get("allowPrivilegeEscalation") is False:
        kept.append("allowPrivilegeEscalation: false")
    return clone, tuple(kept)


def _is_mutating(policy: Obj) -> bool:
    spec = mapping(policy.get("spec"))
    annotations = mapping(mapping(policy.get("metadata")).get("annotations"))
    return bool(
        sequence(spec.get("defaultAddCapabilities"))
        or "defaultAllowPrivilegeEscalation" in spec
        or mapping(spec.get("runtimeClass")).get("defaultRuntimeClassName") is not None
        or any(annotations.get(k) for k in DEFAULT_ANNOTATIONS)
    )


def _canonical(params: dict[str, Any]) -> str:
    """Compiled strategies without the name: equal for policies that admit and change exactly
    the same pods."""
    return repr(sorted((k, v) for k, v in params.items() if k != "name"))


def _repoint(rbac: Sequence[Obj], renames: dict[str, list[str]]) -> list[dict[str, Any]]:
    """RBAC objects with every `resourceNames` entry naming a renamed policy replaced by (or,
    for clones, joined by) its new names."""
    out = []
    for obj in rbac:
        new = copy.deepcopy(dict(obj))
        for rule in sequence(new.get("rules")):
            if not isinstance(rule, dict) or "podsecuritypolicies" not in sequence(
                rule.get("resources")
            ):
                continue
            names = [n for n in sequence(rule.get("resourceNames")) if isinstance(n, str)]
            if not names:
                continue
            replaced: list[str] = []
            for n in names:
                for m in renames.get(n, [n]):
                    if m not in replaced:
                        replaced.append(m)
            rule["resourceNames"] = replaced
        out.append(new)
    return out


def simplify(policies: Sequence[Obj], rbac: Sequence[Obj], workloads: Sequence[Obj]) -> Simplified:
    clones: dict[str, str] = {}
    still: dict[str, tuple[str, ...]] = {}
    end_state: list[dict[str, Any]] = []
    for p in sorted(policies, key=lambda p: _name(p).encode()):
        if _is_mutating(p):
            clone, kept = non_mutating(p)
            clones[_name(p)] = _name(clone)
            still[_name(clone)] = kept
            end_state.append(clone)
        else:
            end_state.append(copy.deepcopy(dict(p)))
    survivors: dict[Any, str] = {}
    merged: dict[str, str] = {}
    kept_policies = []
    for p in sorted(end_state, key=lambda p: _name(p).encode()):
        params = policy_parameters(p)
        if params.get("buildable") is not True:
            kept_policies.append(p)  # PSP skips it; merging would only hide it
            continue
        key = _canonical(params)
        if key in survivors:
            merged[_name(p)] = survivors[key]
            continue
        survivors[key] = _name(p)
        kept_policies.append(p)
    renames: dict[str, list[str]] = {}
    for original, clone_name in clones.items():
        renames[original] = [merged.get(clone_name, clone_name)]
    for gone, survivor in merged.items():
        renames[gone] = [survivor]
    new_rbac = _repoint(rbac, renames)
    before = Cluster.from_objects([*policies, *rbac, *workloads])
    after = Cluster.from_objects([*kept_policies, *new_rbac])
    results = tuple(_check(w, before, after) for w in before.workloads)
    return Simplified(tuple(kept_policies), tuple(new_rbac), clones, merged, still, results)


def _check(w: Workload, before: Cluster, after: Cluster) -> WorkloadPatch:
    ns = w.ref.namespace or "default"
    who = requester(w)
    pod = w.as_pod()
    decision = before.decide(pod, ns, who)
    ops: list[dict[str, Any]] = []
    patched: Obj = pod
    if decision.allowed and decision.mutated:
        admitted = copy.deepcopy(dict(decision.object))
        ann = mapping(mapping(admitted.get("metadata")).get("annotations"))
        if PSP_ANNOTATION in ann:
            rest = {k: v for k, v in ann.items() if k != PSP_ANNOTATION}
            admitted["metadata"] = {**admitted["metadata"], "annotations": rest}
            if not rest:
                admitted["metadata"].pop("annotations")
        prefix = (
            "/" + w.spec_path.replace(".", "/")[: -len("spec")] if w.spec_path != "spec" else "/"
        )
        ops = _onto(w.obj, [_rebase(op, prefix) for op in json_patch(pod, admitted)])
        patched = _patched_pod(w, ops)
    after_decision = after.decide(patched, ns, who)
    return WorkloadPatch(
        workload=str(w.ref),
        requester=who.name if who else "(none)",
        allowed_before=decision.allowed,
        policy_before=decision.policy,
        patch=tuple(ops),
        allowed_after=after_decision.allowed,
        mutated_after=after_decision.allowed and after_decision.mutated,
        policy_after=after_decision.policy,
    )


def _patched_pod(w: Workload, ops: list[dict[str, Any]]) -> Obj:
    """The pod the workload object makes once `ops` are applied to it: what the proof
    admits (the patch as the user will apply it, not PSP's result)."""
    obj = apply_patch(w.obj, ops)
    for other in find_workloads([Document(obj)]):
        if other.spec_path == w.spec_path:
            return other.as_pod()
    raise ExportError(f"{w.ref}: the patch of what PSP filled in removes its pod spec")


def _onto(obj: Obj, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`ops` made to apply to the workload object itself: an add under a member the object
    lacks (a pod template without `metadata`, or with `metadata: null`) adds that member."""
    out: list[dict[str, Any]] = []
    doc: Any = obj
    for op in ops:
        op = rooted(doc, op)
        doc = apply_patch(doc, [op])
        out.append(op)
    return out


def _rebase(op: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A pod patch op moved onto the workload object (the pod template sits at `prefix`)."""
    path = op["path"]
    if prefix == "/":
        return op
    return {**op, "path": prefix.rstrip("/") + path}
