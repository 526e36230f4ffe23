"""Least-privilege PodSecurityPolicies and their RBAC from the workloads a cluster runs, checked
with the real admission engine before they are returned.

    advice = advise(objs, AdviseOptions(group_by=GroupBy.SERVICE_ACCOUNT))
    advice.manifests  # PodSecurityPolicies, ClusterRoles, RoleBindings: ready for kubectl apply

Pure: decoded objects in, values out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from podgate.advisor.derive import derive
from podgate.advisor.facts import PodFacts, pod_facts
from podgate.errors import InternalError
from podgate.k8s import Obj, container_lists, mapping, sequence
from podgate.k8s.defaults import default_object
from podgate.k8s.identity import PolicyUseAuthorizer
from podgate.k8s.pod_validation import pod_create_errors
from podgate.psp import PolicySet, Request, review
from podgate.psp.admission import PSP_ANNOTATION, Decision, semantic_equal
from podgate.psp.strategies import seccomp
from podgate.psp.strategies.volumes import fs_type
from podgate.psp.validation import validate_policy
from podgate.rbac import Authorizer
from podgate.scan.inventory import Source, Workload, find_workloads

PSP_API = "policy/v1beta1"
RBAC_API = "rbac.authorization.k8s.io/v1"
NAME_PREFIX = "podgate"
ROLE_PREFIX = "podgate:psp:"
_MAX_NAME = 253


class AdvisorError(InternalError):
    """A generated policy would deny or change an observed pod: a bug in the advisor."""


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


def _dns_part(text: str) -> str:
    """A DNS-1123 subdomain fragment: lowercase alphanumerics, '-' and '.'."""
    out = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-.") else "-" for ch in text)
    return out.lower().strip("-.") or "x"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:10]


def _fit(name: str, value: Any) -> str:
    if len(name) <= _MAX_NAME:
        return name
    return f"{name[: _MAX_NAME - 11].rstrip('-.')}-{_digest(value)}"


def group_name(group: Group) -> str:
    """podgate.NS.SA, podgate.NS or podgate.cluster (a namespace has no dots, so each name
    belongs to one group)."""
    if group.namespace is None:
        return f"{NAME_PREFIX}.cluster"
    parts = group.key.split("/", 1)
    return _fit(".".join([NAME_PREFIX, *(_dns_part(p) for p in parts)]), group.key)


def _merged_name(groups: Sequence[Group], content: Any) -> str:
    if len(groups) == 1:
        return group_name(groups[0])
    namespaces = {g.namespace for g in groups}
    ns = next(iter(namespaces)) if len(namespaces) == 1 else None
    digest = _digest(content)
    if ns is not None:
        return _fit(f"{NAME_PREFIX}.{_dns_part(ns)}.shared-{digest}", content)
    return f"{NAME_PREFIX}.shared-{digest}"


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


def _role(policy: str) -> dict[str, Any]:
    return {
        "apiVersion": RBAC_API,
        "kind": "ClusterRole",
        "metadata": {"name": ROLE_PREFIX + policy},
        "rules": [
            {
                "apiGroups": ["policy"],
                "resources": ["podsecuritypolicies"],
                "verbs": ["use"],
                "resourceNames": [policy],
            }
        ],
    }


def _subjects(sas: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"kind": "ServiceAccount", "name": n, "namespace": ns} for ns, n in sas]


def _bindings(p: AdvisedPolicy, by: GroupBy) -> list[dict[str, Any]]:
    role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole"}
    role_ref["name"] = ROLE_PREFIX + p.name
    if by is GroupBy.CLUSTER:
        return [
            {
                "apiVersion": RBAC_API,
                "kind": "ClusterRoleBinding",
                "metadata": {"name": ROLE_PREFIX + p.name},
                "roleRef": role_ref,
                "subjects": _subjects(p.service_accounts),
            }
        ]
    by_ns: dict[str, list[tuple[str, str]]] = {}
    for sa in p.service_accounts:
        by_ns.setdefault(sa[0], []).append(sa)
    return [
        {
            "apiVersion": RBAC_API,
            "kind": "RoleBinding",
            "metadata": {"name": ROLE_PREFIX + p.name, "namespace": ns},
            "roleRef": role_ref,
            "subjects": _subjects(sas),
        }
        for ns, sas in sorted(by_ns.items())
    ]


def _policy_object(name: str, spec: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return {"apiVersion": PSP_API, "kind": "PodSecurityPolicy", "metadata": meta, "spec": spec}


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


def _admissible(observed: list[Observed]) -> tuple[list[Observed], tuple[str, ...]]:
    """The workloads some PodSecurityPolicy can admit, and a note for each one left out."""
    kept: list[Observed] = []
    notes: list[str] = []
    for o in observed:
        unknown = [u for pod in o.pods for u in _unknown_volumes(pod)]
        invalid = [e for pod in o.pods for e in pod_create_errors(pod)]
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


def advise(
    objs: Sequence[Obj],
    options: AdviseOptions = AdviseOptions(),
    sources: Sequence[Source | None] | None = None,
) -> Advice:
    """The advice for the workloads in `objs` (defaulted as the scanner defaults them;
    `sources[i]` says where `objs[i]` was read)."""
    observed, left_out = _admissible(observe(objs, options.namespace, sources=sources))
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
        name = _merged_name(groups, content)
        if name in taken:  # names that differ only in characters DNS-1123 does not allow
            name = _fit(f"{name}-{_digest(content)}", content)
        taken.add(name)
        obj = _policy_object(name, spec, annots)
        errors = validate_policy(obj)
        if errors:
            raise AdvisorError(f"advisor bug: policy {name!r} is not valid: {errors[0]}")
        policies.append(AdvisedPolicy(name, obj, tuple(groups), notes))
    policies.sort(key=lambda p: p.name.encode())
    rbac: list[dict[str, Any]] = []
    for p in policies:
        rbac.append(_role(p.name))
        rbac.extend(_bindings(p, options.group_by))
    advice = Advice(options, tuple(observed), tuple(policies), tuple(rbac), 0, facts, left_out)
    if options.verify:
        advice = verify(advice)
    return advice


_POD_FIELDS = ("hostNetwork", "hostPID", "hostIPC", "securityContext", "volumes")
_CONTAINER_FIELDS = ("name", "securityContext", "ports", "volumeMounts")


def signature(pod: Obj) -> tuple[Any, ...]:
    """Everything of a pod that PSP admission reads or writes (the strategies read the pod's
    annotations, host namespaces, securityContext, volumes, runtimeClassName and service
    account, and each container's name, securityContext, ports and volume mounts): two pods
    with equal signatures get the same decision from every policy."""
    spec = mapping(pod.get("spec"))
    meta = mapping(pod.get("metadata"))
    return (
        pod.get("kind"),
        meta.get("annotations"),
        spec.get("serviceAccountName"),
        spec.get("runtimeClassName"),
        tuple(spec.get(k) for k in _POD_FIELDS),
        tuple(
            tuple(tuple(mapping(c).get(k) for k in _CONTAINER_FIELDS) for c in items)
            for _, items in container_lists(spec)
        ),
    )


TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_VOLUME = "kube-api-access-podgate"
_MIRROR = "kubernetes.io/config.mirror"


def _token_volume() -> dict[str, Any]:
    ca = {"key": "ca.crt", "path": "ca.crt"}
    namespace = {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
    return {
        "name": TOKEN_VOLUME,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [ca]}},
                {"downwardAPI": {"items": [{"path": "namespace", **namespace}]}},
            ],
        },
    }


def with_token(pod: Obj, automount: bool) -> Obj:
    """The pod as the ServiceAccount admission plugin (which runs before PSP) hands it on:
    unless token automounting is off (pod or service account) or the pod is a mirror pod, a
    projected `kube-api-access-...` volume mounted read-only in each init and regular container
    that has nothing mounted at the token path. A pod read from a cluster has it already."""
    spec = mapping(pod.get("spec"))
    own = spec.get("automountServiceAccountToken")
    if own is False or (own is None and not automount):
        return pod
    if _MIRROR in mapping(mapping(pod.get("metadata")).get("annotations")):
        return pod
    new_spec = dict(spec)
    mount = {"name": TOKEN_VOLUME, "mountPath": TOKEN_PATH, "readOnly": True}
    changed = False
    for list_name in ("initContainers", "containers"):
        items = spec.get(list_name)
        if not isinstance(items, list):
            continue
        out = []
        for c in items:
            mounts = sequence(mapping(c).get("volumeMounts"))
            if isinstance(c, dict) and not any(
                mapping(m).get("mountPath") == TOKEN_PATH for m in mounts
            ):
                c = {**c, "volumeMounts": [*mounts, mount]}
                changed = True
            out.append(c)
        new_spec[list_name] = out
    if not changed:
        return pod
    new_spec["volumes"] = [*sequence(spec.get("volumes")), _token_volume()]
    return {**pod, "spec": new_spec}


def observe(
    objs: Sequence[Obj],
    namespace: str | None = None,
    *,
    distinct: bool = True,
    sources: Sequence[Source | None] | None = None,
) -> list[Observed]:
    """Each workload once (the scanner's find_workloads), with its observed pods: the pod its
    controller creates and those of the input it owns (only the first of those with equal
    signatures unless `distinct` is false)."""
    where = sources if sources is not None else [None] * len(objs)
    workloads = find_workloads(zip(objs, where, strict=True))
    if namespace is not None:
        workloads = [w for w in workloads if w.ref.namespace == namespace]
    # a service account's token is mounted unless every definition of it turns that off
    automounts: dict[tuple[str, str], bool] = {}
    for obj in objs:
        if obj.get("kind") == "ServiceAccount":
            meta = mapping(obj.get("metadata"))
            key = (str(meta.get("namespace") or "default"), str(meta.get("name") or ""))
            off = obj.get("automountServiceAccountToken") is False
            automounts[key] = automounts.get(key, False) or not off
    out = []
    for w in workloads:
        automount = automounts.get((w.ref.namespace, w.service_account), True)
        first: Obj = w.as_pod()
        if not w.is_pod:
            first = default_object(first)[0]
        first = with_token(first, automount)
        found: list[Obj] = [first]
        count = 1
        seen = [signature(first)]
        for owned in w.owned:  # every pod of the input folded into it, each as it was read
            if not owned.is_pod:
                continue
            count += 1
            pod = with_token(owned.as_pod(), automount)
            sig = signature(pod)
            if not distinct or sig not in seen:
                seen.append(sig)
                found.append(pod)
        out.append(Observed(w, tuple(found), count))
    return out


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
