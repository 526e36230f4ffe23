"""What a change would do, before it is made: a scan of the changed objects compared with the
scan as it is. Pure: objects and a change in, a comparison out; every number comes from `scan`
and Pod Security Admission's own `admit`.

* A PodSecurityPolicy disabled (taken out of the set, as annotating a podgate.io policy
  `podgate.io/disabled: "true"` or deleting a PodSecurityPolicy does) or enabled again.
* A RoleBinding that grants `use` of a policy to a namespace's service accounts or to one
  service account (with the ClusterRole it needs).
* New Pod Security labels on a namespace: each workload's pods through enforce, the workload
  object through warn and audit (PSA checks a workload's template but never rejects it), and
  the warnings `kubectl label` prints for the existing pods (the namespace UPDATE flow)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from podgate.k8s import Obj, mapping
from podgate.k8s.source import Document, Source
from podgate.psp.policy import WEBHOOK_API_VERSION, is_policy
from podgate.pss.admission import Operation, admit, request_for
from podgate.pss.config import PodSecurityConfiguration
from podgate.pss.labels import LABEL_KEYS
from podgate.scan.inventory import WorkloadRef
from podgate.scan.scan import WorkloadResult

DISABLED_ANNOTATION = "podgate.io/disabled"  # as the webhook's cluster source reads it
ROLE_PREFIX = "podgate:use:"

PspState = Literal["admitted", "changed", "rejected", "not checked"]
"""A workload's pods under PodSecurityPolicy admission, in one word."""
ADMITTED: Final = "admitted"
CHANGED: Final = "changed"
REJECTED: Final = "rejected"
NOT_CHECKED: Final = "not checked"


def psp_state(r: WorkloadResult) -> PspState:
    """The PodSecurityPolicy outcome of a workload's pods in one word."""
    if r.psp is None:
        return NOT_CHECKED
    if not r.psp.allowed:
        return REJECTED
    return CHANGED if r.psp.mutated else ADMITTED


def is_disabled(policy: Obj) -> bool:
    """Switched off as podgate's webhook reads it: a podgate.io policy annotated
    `podgate.io/disabled: "true"` (an in-tree PodSecurityPolicy has no off switch: the
    annotation means nothing to it)."""
    if policy.get("apiVersion") != WEBHOOK_API_VERSION:
        return False
    annotations = mapping(mapping(policy.get("metadata")).get("annotations"))
    return annotations.get(DISABLED_ANNOTATION) == "true"


def _name(obj: Obj) -> str:
    return str(mapping(obj.get("metadata")).get("name") or "")


def enabled_objects(docs: Sequence[Document], disabled: frozenset[str]) -> list[Document]:
    """The documents without the policies in `disabled` (what admission would use)."""
    return [d for d in docs if not (is_policy(d.obj) and _name(d.obj) in disabled)]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One workload before and after a change."""

    ref: WorkloadRef
    before: PspState
    after: PspState
    policy_before: str | None
    policy_after: str | None
    message_after: str  # the denial after the change (upstream's text), or ""
    source: Source | None = None  # which definition, when an identity was read more than once
    duplicated: bool = False

    @property
    def changed(self) -> bool:
        return (self.before, self.policy_before) != (self.after, self.policy_after)

    @property
    def breaks(self) -> bool:
        return self.after == REJECTED and self.before != REJECTED

    @property
    def fixed(self) -> bool:
        return self.before == REJECTED and self.after != REJECTED


@dataclass(frozen=True, slots=True)
class Comparison:
    outcomes: tuple[Outcome, ...]  # every workload, in the scan's order
    lockouts_added: tuple[tuple[str, str, str], ...]
    lockouts_lifted: tuple[tuple[str, str, str], ...]
    usable_before: tuple[tuple[str, str, tuple[str, ...]], ...]  # (ns, sa, policies)
    usable_after: tuple[tuple[str, str, tuple[str, ...]], ...]

    @property
    def breaks(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.breaks)

    @property
    def fixed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.fixed)

    @property
    def changed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.changed)

    @property
    def access_changes(self) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
        """(namespace, service account, policies gained, policies lost)."""
        before = {(ns, sa): set(p) for ns, sa, p in self.usable_before}
        after = {(ns, sa): set(p) for ns, sa, p in self.usable_after}
        out = []
        for key in sorted(before.keys() | after.keys()):
            b, a = before.get(key, set()), after.get(key, set())
            if a != b:
                out.append((key[0], key[1], tuple(sorted(a - b)), tuple(sorted(b - a))))
        return tuple(out)


def _usable(result: Any) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    return tuple(
        (u.namespace, u.service_account, tuple(p for p, _ in u.policies)) for u in result.overview
    )


def compare(before: Any, after: Any) -> Comparison:
    """Two ScanResults of the same workloads, before and after a change."""
    # each definition on its own: a workload read twice is two results with one ref
    after_by = {(r.workload.ref, r.workload.source): r for r in after.workloads}
    outcomes = []
    for r in before.workloads:
        a = after_by.get((r.workload.ref, r.workload.source))
        if a is None:
            continue
        outcomes.append(
            Outcome(
                r.workload.ref,
                psp_state(r),
                psp_state(a),
                r.psp.policy if r.psp is not None else None,
                a.psp.policy if a.psp is not None else None,
                (a.psp.message or "") if a.psp is not None and not a.psp.allowed else "",
                r.workload.source,
                bool(r.workload.duplicates),
            )
        )
    lb, la = set(before.readiness.lockouts), set(after.readiness.lockouts)
    return Comparison(
        tuple(outcomes),
        tuple(sorted(la - lb)),
        tuple(sorted(lb - la)),
        _usable(before),
        _usable(after),
    )


def binding_objects(
    policy: str, namespace: str, service_account: str | None
) -> list[dict[str, Any]]:
    """A ClusterRole that may `use` the policy, and a RoleBinding in `namespace` that grants it
    to one service account, or to all of the namespace's service accounts."""
    role = ROLE_PREFIX + policy
    if service_account:
        subject = {"kind": "ServiceAccount", "name": service_account, "namespace": namespace}
        binding = f"{role}:{service_account}"
    else:
        subject = {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Group",
            "name": f"system:serviceaccounts:{namespace}",
        }
        binding = f"{role}:all-service-accounts"
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": role},
            "rules": [
                {
                    "apiGroups": ["policy"],
                    "resources": ["podsecuritypolicies"],
                    "verbs": ["use"],
                    "resourceNames": [policy],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": binding, "namespace": namespace},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [subject],
        },
    ]


def relabelled(namespace_obj: Obj, labels: Mapping[str, str]) -> dict[str, Any]:
    """The Namespace with its Pod Security labels replaced by `labels` (other labels kept)."""
    meta = dict(mapping(namespace_obj.get("metadata")))
    kept = {k: v for k, v in mapping(meta.get("labels")).items() if k not in LABEL_KEYS}
    meta["labels"] = {**kept, **{k: v for k, v in labels.items() if k in LABEL_KEYS and v}}
    return {**namespace_obj, "metadata": meta}


@dataclass(frozen=True, slots=True)
class LabelOutcome:
    """One workload of a namespace under new labels: PSA's own answers."""

    ref: WorkloadRef
    rejected: str  # the Forbidden message its pods would get under enforce, or ""
    warnings: tuple[str, ...]  # what creating the workload (or pod) would warn
    audit: str  # the audit annotation it would get, or ""


@dataclass(frozen=True, slots=True)
class LabelPreview:
    namespace: str
    labels: dict[str, str]  # the new Pod Security labels
    outcomes: tuple[LabelOutcome, ...]
    label_warnings: tuple[str, ...]  # what `kubectl label` would print (existing pods)

    @property
    def rejected(self) -> tuple[LabelOutcome, ...]:
        return tuple(o for o in self.outcomes if o.rejected)

    @property
    def warned(self) -> tuple[LabelOutcome, ...]:
        return tuple(o for o in self.outcomes if o.warnings)

    @property
    def audited(self) -> tuple[LabelOutcome, ...]:
        return tuple(o for o in self.outcomes if o.audit)


def preview_labels(
    workloads: Sequence[WorkloadResult],
    namespace_obj: Obj,
    labels: Mapping[str, str],
    config: PodSecurityConfiguration,
) -> LabelPreview:
    """Every workload of the namespace under the new labels, as Pod Security Admission would
    decide: its pods through enforce (and warn and audit), the workload object through warn
    and audit; and the namespace update itself, with the existing pods of the input."""
    new = relabelled(namespace_obj, labels)
    name = _name(namespace_obj)

    def get_namespace(_: str) -> Obj:
        return new

    mine = [r.workload for r in workloads if r.workload.ref.namespace == name]
    outcomes = []
    for w in mine:
        pod = w.as_pod()
        pod_result = admit(
            request_for(pod, namespace=name), config=config, get_namespace=get_namespace
        )
        warnings, audit = pod_result.warnings, pod_result.audit_annotations
        if not w.is_pod:
            obj = {**w.obj, "metadata": {**mapping(w.obj.get("metadata")), "namespace": name}}
            result = admit(
                request_for(obj, namespace=name), config=config, get_namespace=get_namespace
            )
            warnings, audit = result.warnings, result.audit_annotations
        outcomes.append(
            LabelOutcome(
                w.ref,
                pod_result.message if not pod_result.allowed else "",
                tuple(warnings),
                "; ".join(f"{k}: {v}" for k, v in sorted(audit.items()) if "violations" in k),
            )
        )
    pods = [w.as_pod() for w in mine]
    update = request_for(new, operation=Operation.UPDATE, old_object=namespace_obj)
    ns_result = admit(update, config=config, list_pods=lambda _: pods)
    return LabelPreview(
        name,
        {k: v for k, v in mapping(new["metadata"].get("labels")).items() if k in LABEL_KEYS},
        tuple(outcomes),
        tuple(ns_result.warnings) or ((ns_result.message,) if not ns_result.allowed else ()),
    )
