"""PodSecurityPolicy in the webhook (pods only; webhook.md §3). `/mutate` runs the mutating phase
of a CREATE and answers with the JSON Patch (the `kubernetes.io/psp` annotation included);
`/validate` runs the validating phase on the pod as received (other webhooks may have changed
it) for CREATE and UPDATE, the annotation as hint; updates that only touch garbage-collector
fields are not checked. A subresource that can change a pod's spec (`ephemeralcontainers`, and
one podgate does not know) is judged on `/validate` as an UPDATE of the pod; `/mutate` never
mutates on a subresource. In audit mode nothing is patched, and `/validate` judges a CREATE as
both phases would."""

from __future__ import annotations

from collections.abc import Mapping

from podgate.k8s import mapping
from podgate.k8s.gotext import go_quote
from podgate.k8s.identity import PolicyUseAuthorizer
from podgate.psp import (
    Decision,
    PolicySet,
    Request,
    admit_phase,
    review,
    validate_phase,
)
from podgate.pss.admission import IGNORED_POD_SUBRESOURCES
from podgate.webhook.decode import ReviewRequest
from podgate.webhook.encode import status
from podgate.webhook.reviews import MUTATE
from podgate.webhook.verdict import Evaluation, Judgement, Mode

__all__ = ["ADMIT_POLICY", "VALIDATE_POLICY", "judge_psp", "skipped"]

# bare audit annotation keys (podgate decision, webhook.md §1.7)
ADMIT_POLICY = "admit-policy"
VALIDATE_POLICY = "validate-policy"


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
        return admit_phase(policies, pod, ns, user, can_use), ""
    if request.operation == "UPDATE" or sub:  # a subresource is judged as a pod UPDATE
        old = request.old_object if isinstance(request.old_object, Mapping) else None
        decision = review(policies, Request("UPDATE", pod, ns, user, old), can_use)
        return decision, f"the {sub} subresource judged as an UPDATE of the pod" if sub else ""
    if audit:  # no patch was applied in audit mode: judge as both phases would
        return review(policies, Request("CREATE", pod, ns, user), can_use), ""
    return validate_phase(policies, pod, ns, user, can_use), ""


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
