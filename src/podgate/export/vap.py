"""`--to vap`: one ValidatingAdmissionPolicy (+ binding) in CEL that admits a pod exactly when
some PodSecurityPolicy that the requesting user or the pod's service account may `use` admits
it unchanged, as PSP's validating phase decides. Selection by RBAC is kept through Kubernetes'
CEL authorizer library, so the existing RoleBindings keep working.

Where it falls short of PSP: PSP also mutated (filled in defaults) and chose the first policy
by name that admitted the pod, unchanged or else with its defaults; a validating policy cannot
mutate, so a pod that needed defaults is denied (write them into the manifest, see `podgate
simplify`, or deploy the MutatingAdmissionPolicy where the cluster serves it). PSP also skipped
updates that only changed garbage-collector fields; this policy checks every update."""

from __future__ import annotations

from typing import Any

from podgate.export.cluster import PSP_GROUPS, Cluster
from podgate.export.model import ExportResult, Outcome, Verdict, annotate
from podgate.export.psp_cel import admits_unchanged, lit

NAME = "podgate-psp"
ANNOTATION_POLICIES = "podgate.io/source-policies"


def use_check(policy: str, *, rbac: bool) -> str:
    """May the requesting user or the pod's service account `use` the policy here: asked in
    the API groups the offline authorizer asks (policy, extensions and podgate.io: RBAC rules
    need no served resource, so grants written for PSP or for podgate's policy CRD keep
    working). The API server's authorizer behind the library allows `system:masters`
    everything, as `Authorizer.can_use` does."""
    if not rbac:
        return "true"
    ns = "request.namespace"

    def via(who: str, group: str) -> str:
        return (
            f'{who}.group({lit(group)}).resource("podsecuritypolicies").namespace({ns})'
            f'.name({lit(policy)}).check("use").allowed()'
        )

    sa = "authorizer.serviceAccount(request.namespace, variables.serviceAccount)"
    by_sa = " || ".join(via(sa, g) for g in PSP_GROUPS)
    by_user = " || ".join(via("authorizer", g) for g in PSP_GROUPS)
    return f'(variables.serviceAccount != "" && ({by_sa})) || {by_user}'


def variables(cluster: Cluster) -> list[dict[str, str]]:
    """The policy's variables: the service account, then per policy (in PSP's order)
    `admits<i>` and `mayUse<i>`."""
    out = [
        {
            "name": "serviceAccount",
            "expression": "has(object.spec.serviceAccountName)"
            ' ? object.spec.serviceAccountName : ""',
        }
    ]
    by_name = {p.name: p.policy for p in cluster.policy_set.providers}
    for i, name in enumerate(cluster.policy_set.names):
        out.append({"name": f"admits{i}", "expression": admits_unchanged(by_name[name])})
        out.append(
            {"name": f"mayUse{i}", "expression": use_check(name, rbac=cluster.authz is not None)}
        )
    return out


def decision_expression(cluster: Cluster) -> str:
    terms = [
        f"(variables.admits{i} && variables.mayUse{i})"
        for i in range(len(cluster.policy_set.names))
    ]
    return " || ".join(terms) if terms else "false"


def validating_spec(cluster: Cluster) -> dict[str, Any]:
    """What the ValidatingAdmissionPolicy and Kyverno's ValidatingPolicy share: the match on
    pods, the variables and the one validation."""
    names = ",".join(cluster.policy_set.names)
    return {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["pods"],
                }
            ]
        },
        "variables": variables(cluster),
        "validations": [
            {
                "expression": decision_expression(cluster),
                "message": "no PodSecurityPolicy that the requesting user or the pod's "
                "service account may use admits this pod unchanged "
                f"(exported by podgate from: {names})",
                "reason": "Forbidden",
            }
        ],
    }


def policy_objects(cluster: Cluster, verdict: Verdict) -> list[dict[str, Any]]:
    names = ",".join(cluster.policy_set.names)
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": NAME, "annotations": {ANNOTATION_POLICIES: names}},
        "spec": validating_spec(cluster),
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": NAME},
        "spec": {"policyName": NAME, "validationActions": ["Deny"]},
    }
    return [annotate(policy, names, verdict), annotate(binding, names, verdict)]


def export_vap(cluster: Cluster, minor: int) -> ExportResult:
    """The objects, every outcome unproved until `podgate.verify.cel` runs them."""
    notes = [
        "unproved until --verify runs the CEL (cel-expr-python, the `verify` extra)",
        "a validating policy cannot mutate: pods that relied on PSP's defaults are denied until "
        "the defaults are in their manifests (podgate simplify)",
        "PSP skipped updates that only changed garbage-collector fields; this policy checks them",
    ]
    if minor < 30:
        notes.append(
            f"ValidatingAdmissionPolicy is v1 (GA) from Kubernetes 1.30; 1.{minor} serves it "
            "as v1beta1 (1.28-1.29, feature gate and runtime-config needed) or not at all"
        )
    notes.extend(cluster.input_notes())
    outcomes = tuple(Outcome(name, Verdict.UNPROVED, "") for name in cluster.policy_set.names)
    notes.extend(
        f"policy {u.name} cannot be built and is skipped, as PSP skipped it: {u.reason}"
        for u in cluster.policy_set.unusable
    )
    return ExportResult(
        target="vap",
        kubernetes_version=f"1.{minor}",
        objects=tuple(policy_objects(cluster, Verdict.UNPROVED)),
        policies=outcomes,
        notes=tuple(notes),
    )
