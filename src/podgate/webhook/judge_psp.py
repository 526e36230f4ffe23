"""PodSecurityPolicy in the webhook (pods only; webhook.md §3). `/mutate` runs the mutating phase
of a CREATE and answers with the JSON Patch (the `kubernetes.io/psp` annotation included);
`/validate` runs the validating phase on the pod as received (other webhooks may have changed
it) for CREATE and UPDATE, the annotation as hint; updates that only touch garbage-collector
fields are not checked. A subresource that can change a pod's spec (`ephemeralcontainers`, and
one podgate does not know) is judged on `/validate` as an UPDATE of the pod; `/mutate` never
mutates on a subresource. In audit mode nothing is patched, and `/validate` judges a CREATE as
both phases would.

Seccomp on the clusters podgate serves (1.25+): kubelets ignore the seccomp annotations PSP
read and wrote, and from 1.27 the API server no longer copies one into its field before
validating admission. So `/mutate` writes each admitted annotation's field too (as PSP's API
servers copied it), and `/validate` judges a pod without the annotations whose field is unset
(they confine nothing): a profile PSP allows is one the pod runs with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from podgate.k8s import Obj, mapping
from podgate.k8s.gotext import go_quote
from podgate.k8s.identity import PolicyUseAuthorizer
from podgate.k8s.prepare import prepare_for_create, unsynced_seccomp_annotations_dropped
from podgate.psp import (
    Decision,
    PolicySet,
    Request,
    admit_phase,
    review,
    validate_phase,
)
from podgate.psp.patch import json_patch
from podgate.pss.admission import IGNORED_POD_SUBRESOURCES
from podgate.webhook.decode import ReviewRequest
from podgate.webhook.encode import status
from podgate.webhook.reviews import MUTATE
from podgate.webhook.verdict import Evaluation, Judgement, Mode

__all__ = ["ADMIT_POLICY", "VALIDATE_POLICY", "judge_psp", "skipped"]

# bare audit annotation keys (podgate decision, webhook.md §1.7)
ADMIT_POLICY = "admit-policy"
VALIDATE_POLICY = "validate-policy"

# the last release whose API server copied a seccomp annotation into its unset field between
# PSP's two phases (PrepareForCreate); the clusters podgate serves (1.25+) ignore annotations
# in the kubelet, and from 1.27 no longer copy them
_ANNOTATION_TO_FIELD = 26


def skipped(webhook: str, request: ReviewRequest) -> str:
    """Why PodSecurityPolicy does not judge this pod request ("" when it does)."""
    if request.operation not in ("CREATE", "UPDATE"):
        return f"PodSecurityPolicy does not check {request.operation} requests"
    sub = request.subresource
    if sub in IGNORED_POD_SUBRESOURCES:
        return f"PodSecurityPolicy does not check the {sub} subresource"
    if webhook == MUTATE and sub:
        return f"PodSecurityPolicy does not mutate the {sub} subresource: /validate checks it"
    if webhook == MUTATE and request.operation == "UPDATE":
        return "PodSecurityPolicy does not mutate on UPDATE"
    return ""


def _decision(
    webhook: str,
    request: ReviewRequest,
    policies: PolicySet,
    authorizer: PolicyUseAuthorizer | None,
    audit: bool,
) -> tuple[Decision, str]:
    """PSP admission's decision on the pod, for the phase this webhook runs, and a note."""
    pod, user = mapping(request.object), request.requester
    can_use = authorizer
    ns, sub = request.namespace, request.subresource
    if webhook == MUTATE:
        return _with_fields(admit_phase(policies, pod, ns, user, can_use), pod), ""
    # a seccomp profile is what the pod's fields say: an annotation alone confines nothing
    pod = unsynced_seccomp_annotations_dropped(pod)
    if request.operation == "UPDATE" or sub:  # a subresource is judged as a pod UPDATE
        old = request.old_object if isinstance(request.old_object, Mapping) else None
        old = unsynced_seccomp_annotations_dropped(old) if old is not None else None
        decision = review(policies, Request("UPDATE", pod, ns, user, old), can_use)
        return decision, f"the {sub} subresource judged as an UPDATE of the pod" if sub else ""
    if audit:  # no patch was applied in audit mode: judge as both phases would
        return review(policies, Request("CREATE", pod, ns, user), can_use), ""
    return validate_phase(policies, pod, ns, user, can_use), ""


def _with_fields(decision: Decision, pod: Obj) -> Decision:
    """An admitted pod with each seccomp annotation (PSP's default, or the pod's own) copied
    into its unset field, as the API servers of PSP's time did before validating admission, so
    that the profile PSP chose confines the pod on a cluster that no longer does it; the
    patch made from the pod as given to that."""
    if not decision.allowed or decision.object is None:
        return decision
    synced, copied = prepare_for_create(decision.object, _ANNOTATION_TO_FIELD)
    if not copied:
        return decision
    return replace(decision, object=synced, patch=json_patch(pod, synced), mutated=True)


def judge_psp(
    webhook: str,
    request: ReviewRequest,
    policies: PolicySet | None,
    authorizer: PolicyUseAuthorizer | None,
    mode: Mode,
) -> Judgement:
    """PodSecurityPolicy admission's answer to a pod request (`mode`: enforce | audit)."""
    note = skipped(webhook, request)
    if note:
        return Judgement(note=note)
    if policies is None:
        raise RuntimeError("the PodSecurityPolicies are not loaded yet")
    audit = mode == "audit"
    decision, note = _decision(webhook, request, policies, authorizer, audit)
    if not decision.evaluated:
        return Judgement(note=decision.skipped_reason)
    if not decision.allowed:
        name = request.pod_name
        message = f"pods {go_quote(name)} is forbidden: {decision.message}"
        return Judgement(
            refusal=status(403, "Forbidden", message, {"name": name, "kind": "pods"}),
            evaluations=(Evaluation("psp", "", "deny", mode),),
            note=note,
        )
    policy = decision.policy or ""
    return Judgement(
        annotations={ADMIT_POLICY if webhook == MUTATE else VALIDATE_POLICY: policy},
        patch=decision.patch if webhook == MUTATE and decision.patch and not audit else None,
        evaluations=(Evaluation("psp", policy, "allow", mode),),
        note=note,
        policy=policy,
    )
