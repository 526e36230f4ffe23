"""Least-privilege PodSecurityPolicies and their RBAC from the workloads a cluster runs, checked
with the real admission engine before they are returned.

    advice = advise(docs, AdviseOptions(group_by=GroupBy.SERVICE_ACCOUNT))
    advice.manifests  # PodSecurityPolicies, ClusterRoles, RoleBindings: ready for kubectl apply

Pure: decoded objects in, values out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from podgate.advisor.derive import derive
from podgate.advisor.facts import pod_facts
from podgate.advisor.model import (
    Advice,
    AdvisedPolicy,
    AdviseOptions,
    Group,
    GroupBy,
    Observed,
)
from podgate.advisor.objects import (
    bindings,
    cluster_role,
    content_digest,
    fit,
    merged_name,
    policy_object,
)
from podgate.advisor.observe import observe
from podgate.errors import InternalError
from podgate.k8s import Obj, mapping, sequence
from podgate.k8s.field import FieldError, unsupported
from podgate.k8s.identity import PolicyUseAuthorizer
from podgate.k8s.objects import CONTAINER_LISTS
from podgate.k8s.pod_validation import pod_create_errors
from podgate.k8s.source import Document
from podgate.psp import PolicySet, Request, review
from podgate.psp.admission import PSP_ANNOTATION, Decision, semantic_equal
from podgate.psp.strategies import seccomp
from podgate.psp.strategies.volumes import fs_type
from podgate.psp.validation import validate_policy
from podgate.psp.validation.spec import PROC_MOUNT_TYPES
from podgate.rbac import Authorizer

_DEFAULT_OPTIONS = AdviseOptions()


class AdvisorError(InternalError):
    """A generated policy would deny or change an observed pod: a bug in the advisor."""


def _groups(observed: Sequence[Observed], by: GroupBy) -> list[Group]:
    buckets: dict[str, list[Observed]] = {}
    for o in observed:
        w = o.workload
        ns = w.ref.namespace
        if by is GroupBy.SERVICE_ACCOUNT:
            key = f"{ns}/{w.service_account}"
        elif by is GroupBy.NAMESPACE:
            key = ns
        else:
            key = ""
        buckets.setdefault(key, []).append(o)
    out = []
    for key in sorted(buckets):
        os_ = buckets[key]
        sas = tuple(sorted({(o.workload.ref.namespace, o.workload.service_account) for o in os_}))
        namespace = None if by is GroupBy.CLUSTER else os_[0].workload.ref.namespace
        out.append(Group(key, namespace, sas, tuple(os_)))
    return out


def unchanged(pod: Obj, admitted: Obj) -> bool:
    """`admitted` is `pod` but for kubernetes.io/psp and the seccomp pod annotation that mirrors
    the pod's own seccompProfile field (every policy writes it, and the API server keeps the
    two in sync between the admission phases: spec/psp-errata.md D1)."""
    before = dict(mapping(mapping(pod.get("metadata")).get("annotations")))
    after = dict(mapping(mapping(admitted.get("metadata")).get("annotations")))
    before.pop(PSP_ANNOTATION, None)
    after.pop(PSP_ANNOTATION, None)
    if not before.get(seccomp.POD_KEY) and seccomp.POD_KEY in after:
        field_profile = seccomp.profile_of_field(
            mapping(mapping(pod.get("spec")).get("securityContext"))
        )
        if after[seccomp.POD_KEY] == field_profile:
            after.pop(seccomp.POD_KEY)
            before.pop(seccomp.POD_KEY, None)
    a = {**pod, "metadata": {**mapping(pod.get("metadata")), "annotations": before}}
    b = {**admitted, "metadata": {**mapping(admitted.get("metadata")), "annotations": after}}
    if a == b:  # mutation copies on write: untouched parts are the same objects, cheap to compare
        return True
    return semantic_equal(a, b)


def check_pod(
    policies: PolicySet,
    authorizer: PolicyUseAuthorizer | None,
    pod: Obj,
    namespace: str,
    expected: str | None,
) -> tuple[Decision, str | None]:
    """Review `pod` as its service account (CREATE); the problem, if it is not admitted
    unchanged (by `expected`, when given)."""
    decision = review(policies, Request("CREATE", pod, namespace, None), authorizer)
    if not decision.allowed:
        return decision, f"denied: {decision.message}"
    if expected is not None and decision.policy != expected:
        return decision, f"admitted by {decision.policy}, expected {expected}"
    if decision.mutated and not unchanged(pod, decision.object):
        return decision, f"changed by {decision.policy}: {decision.patch}"
    return decision, None


def _unknown_volumes(pod: Obj) -> list[tuple[Any, str]]:
    """(volume name, source) of each volume whose source PSP does not know (e.g. `image`, from
    Kubernetes 1.31): PSP refuses such a volume whatever the policy allows."""
    out = []
    for v in sequence(mapping(pod.get("spec")).get("volumes")):
        volume = mapping(v)
        if not fs_type(volume):
            source = next((k for k, x in volume.items() if k != "name" and x is not None), "")
            if source:
                out.append((volume.get("name"), source))
    return out


def _proc_mounts(pod: Obj) -> list[FieldError]:
    """The procMount values the API server's pod validation refuses (ValidateProcMountType:
    only Default and Unmasked); no policy could list them (allowedProcMountTypes takes the same
    two)."""
    out = []
    spec = mapping(pod.get("spec"))
    for list_name in CONTAINER_LISTS:
        for i, c in enumerate(sequence(spec.get(list_name))):
            value = mapping(mapping(c).get("securityContext")).get("procMount")
            if value is not None and value not in PROC_MOUNT_TYPES:
                path = ("spec", list_name, i, "securityContext", "procMount")
                out.append(unsupported(path, value, PROC_MOUNT_TYPES))
    return out


def _admissible(observed: list[Observed]) -> tuple[list[Observed], tuple[str, ...]]:
    """The workloads some PodSecurityPolicy can admit, and a note for each one left out."""
    kept: list[Observed] = []
    notes: list[str] = []
    for o in observed:
        unknown = [u for pod in o.pods for u in _unknown_volumes(pod)]
        invalid = [e for pod in o.pods for e in (*pod_create_errors(pod), *_proc_mounts(pod))]
        if unknown:
            name, source = unknown[0]
            notes.append(
                f"{o.workload.ref}: volume {name!r} uses the {source} source, which "
                "PodSecurityPolicy does not know (it knows the volume sources of Kubernetes "
                "1.21-1.24 and refuses any other, whatever the policy): no policy can admit its "
                "pods, so it is left out of the advice"
            )
        elif invalid:
            notes.append(
                f"{o.workload.ref}: the API server refuses its pods as invalid whatever the "
                f"policy ({invalid[0]}), so it is left out of the advice"
            )
        else:
            kept.append(o)
    return kept, tuple(notes)


def advise(docs: Sequence[Document], options: AdviseOptions = _DEFAULT_OPTIONS) -> Advice:
    """The advice for the workloads in `docs` (as `io.prepare` leaves them, like the scan's)."""
    observed, left_out = _admissible(observe(docs, options.namespace))
    facts = {
        id(o): [pod_facts(mapping(p.get("metadata")), mapping(p.get("spec"))) for p in o.pods]
        for o in observed
    }
    derived: dict[str, tuple[dict[str, Any], dict[str, str], tuple[str, ...], list[Group]]] = {}
    for g in _groups(observed, options.group_by):
        d = derive([f for o in g.observed for f in facts[id(o)]])
        content = {"spec": d.spec, "annotations": d.annotations}
        key = json.dumps(content, sort_keys=True)
        if key in derived:
            derived[key][3].append(g)
        else:
            derived[key] = (d.spec, d.annotations, d.notes, [g])
    policies = []
    taken: set[str] = set()
    for spec, annots, notes, groups in derived.values():
        content = {"spec": spec, "annotations": annots}
        name = merged_name(groups, content)
        if name in taken:  # names that differ only in characters DNS-1123 does not allow
            name = fit(f"{name}-{content_digest(content)}", content)
        taken.add(name)
        obj = policy_object(name, spec, annots)
        errors = validate_policy(obj)
        if errors:
            raise AdvisorError(f"advisor bug: policy {name!r} is not valid: {errors[0]}")
        policies.append(AdvisedPolicy(name, obj, tuple(groups), notes))
    policies.sort(key=lambda p: p.name.encode())
    rbac: list[dict[str, Any]] = []
    for p in policies:
        rbac.append(cluster_role(p.name))
        rbac.extend(bindings(p, options.group_by))
    advice = Advice(options, tuple(observed), tuple(policies), tuple(rbac), 0, facts, left_out)
    if options.verify:
        advice = verify(advice)
    return advice


def verify(advice: Advice) -> Advice:
    """Run every observed pod, as its service account, through its group's policy with the
    generated RBAC; raise AdvisorError unless each is admitted unchanged by that policy."""
    authz = Authorizer.from_objects(advice.rbac)
    checked = 0
    problems: list[str] = []
    for p in advice.policies:
        policy_set = PolicySet.compile([p.policy])
        for g in p.groups:
            for o in g.observed:
                w = o.workload
                for pod in o.pods:
                    _, problem = check_pod(policy_set, authz, pod, w.ref.namespace, p.name)
                    checked += 1
                    if problem is not None:
                        name = mapping(pod.get("metadata")).get("name")
                        problems.append(f"{w.ref} (pod {name}): {problem}")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise AdvisorError(
            f"advisor bug: a generated policy does not admit an observed pod unchanged: "
            f"{problems[0]}{more}"
        )
    return replace(advice, checked=checked)
