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
from podgate.export.psp_cel import admits_unchanged, admits_with_defaults, lit
from podgate.export.psp_map import defaults_patch

NAME = "podgate-psp"
MAP_NAME = "podgate-psp-defaults"
ANNOTATION_POLICIES = "podgate.io/source-policies"
GROUP = "admissionregistration.k8s.io"


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


def pods_matched(*operations: str) -> dict[str, Any]:
    """The policy's matchConstraints: core v1 pods, for `operations`."""
    rule = {"apiGroups": [""], "apiVersions": ["v1"], "operations": list(operations)}
    return {"resourceRules": [{**rule, "resources": ["pods"]}]}


def validating_spec(cluster: Cluster) -> dict[str, Any]:
    """What the ValidatingAdmissionPolicy and Kyverno's ValidatingPolicy share: the match on
    pods, the variables and the one validation."""
    names = ",".join(cluster.policy_set.names)
    return {
        "failurePolicy": "Fail",
        "matchConstraints": pods_matched("CREATE", "UPDATE"),
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


def map_status(minor: int) -> dict[str, Any]:
    """Whether Kubernetes 1.`minor` serves MutatingAdmissionPolicy, as which API version, and
    what the cluster's administrator must switch on (KEP-3962: alpha 1.32, beta 1.34, GA
    1.36; the feature gate is off by default before GA)."""
    if minor < 32:
        return {
            "apiVersion": None,
            "stage": "absent",
            "enabledByDefault": False,
            "status": f"Kubernetes 1.{minor} has no MutatingAdmissionPolicy (alpha from 1.32): "
            "PSP's defaults need podgate's mutating webhook (podgate serve) or the manifests "
            "(podgate simplify)",
        }
    version, stage = ("v1alpha1", "alpha") if minor < 34 else ("v1beta1", "beta")
    if minor >= 36:
        return {
            "apiVersion": f"{GROUP}/v1",
            "stage": "GA",
            "enabledByDefault": True,
            "status": f"MutatingAdmissionPolicy is GA ({GROUP}/v1) and on by default in 1.{minor}",
        }
    return {
        "apiVersion": f"{GROUP}/{version}",
        "stage": stage,
        "enabledByDefault": False,
        "status": f"MutatingAdmissionPolicy is {stage} ({GROUP}/{version}) in 1.{minor} and off "
        "by default: the API server needs --feature-gates=MutatingAdmissionPolicy=true and "
        f"--runtime-config={GROUP}/{version}=true (GA and on by default from 1.36)",
    }


def mutating_spec(cluster: Cluster) -> dict[str, Any] | None:
    """The MutatingAdmissionPolicy's spec: PSP's mutating phase on CREATE. When no usable
    policy admits the pod unchanged, the first (in PSP's order) that the requesting user or
    the pod's service account may use and that admits the pod with its own defaults is
    selected, and its defaults are written; otherwise nothing. None when no policy fills
    anything in."""
    by_name = {p.name: p.policy for p in cluster.policy_set.providers}
    names = cluster.policy_set.names
    patches = {i: defaults_patch(by_name[n]) for i, n in enumerate(names)}
    mutating = [i for i, patch in patches.items() if patch is not None]
    if not mutating:
        return None
    out = variables(cluster)
    for i in mutating:
        out.append(
            {
                "name": f"admitsWithDefaults{i}",
                "expression": admits_with_defaults(by_name[names[i]]),
            }
        )
    chain = " : ".join(
        f"(variables.mayUse{i} && variables.admitsWithDefaults{i}) ? {i}" for i in mutating
    )
    out.append(
        {"name": "selected", "expression": f"({decision_expression(cluster)}) ? -1 : {chain} : -1"}
    )
    return {
        "failurePolicy": "Fail",
        "matchConstraints": pods_matched("CREATE"),
        "reinvocationPolicy": "Never",
        "variables": out,
        "mutations": [
            {
                "patchType": "JSONPatch",
                "jsonPatch": {"expression": f"variables.selected == {i} ? {patches[i]} : []"},
            }
            for i in mutating
        ],
    }


def mutating_objects(cluster: Cluster, minor: int, verdict: Verdict) -> list[dict[str, Any]]:
    """The MutatingAdmissionPolicy and its binding for 1.`minor` (none where it is absent)."""
    api_version = map_status(minor)["apiVersion"]
    spec = mutating_spec(cluster)
    if api_version is None or spec is None:
        return []
    names = ",".join(cluster.policy_set.names)
    policy = {
        "apiVersion": api_version,
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": MAP_NAME, "annotations": {ANNOTATION_POLICIES: names}},
        "spec": spec,
    }
    binding = {
        "apiVersion": api_version,
        "kind": "MutatingAdmissionPolicyBinding",
        "metadata": {"name": MAP_NAME},
        "spec": {"policyName": MAP_NAME},
    }
    return [annotate(policy, names, verdict), annotate(binding, names, verdict)]


def export_vap(cluster: Cluster, minor: int) -> ExportResult:
    """The objects, every outcome unproved until `podgate.verify.cel` runs them."""
    status = map_status(minor)
    mutating = mutating_objects(cluster, minor, Verdict.UNPROVED)
    notes = [
        "unproved until --verify runs the CEL (cel-expr-python, the `verify` extra)",
        "PSP skipped updates that only changed garbage-collector fields; this policy checks them",
    ]
    if mutating:
        notes.extend(
            [
                f"{status['status']}; the MutatingAdmissionPolicy {MAP_NAME} fills in PSP's "
                "defaults on CREATE",
                "where the MutatingAdmissionPolicy falls short of PSP: it runs among the "
                "cluster's other mutating webhooks and policies in no order PSP knew (another "
                "mutation after it can change what the validating policy sees); it applies "
                "the defaults of the policy PSP would select (the first by name that the user "
                "or service account may use and that admits the pod with its defaults, only "
                "when none admits it unchanged), but it does not write PSP's kubernetes.io/psp "
                "annotation; capability lists get the missing entries appended where PSP wrote "
                "them sorted",
            ]
        )
    else:
        notes.append(
            "a validating policy cannot mutate: pods that relied on PSP's defaults are denied "
            "until the defaults are in their manifests (podgate simplify)"
            + (f"; {status['status']}" if mutating_spec(cluster) is not None else "")
        )
    if minor < 30:
        notes.append(
            f"ValidatingAdmissionPolicy is v1 (GA) from Kubernetes 1.30; 1.{minor} serves it "
            "as v1beta1 (1.28-1.29, feature gate and runtime-config needed) or not at all"
        )
    notes.extend(cluster.input_notes(mutating=bool(mutating)))
    outcomes = tuple(Outcome(name, Verdict.UNPROVED, "") for name in cluster.policy_set.names)
    notes.extend(
        f"policy {u.name} cannot be built and is skipped, as PSP skipped it: {u.reason}"
        for u in cluster.policy_set.unusable
    )
    return ExportResult(
        target="vap",
        kubernetes_version=f"1.{minor}",
        objects=(*policy_objects(cluster, Verdict.UNPROVED), *mutating),
        policies=outcomes,
        notes=tuple(notes),
        mutating={"kind": "MutatingAdmissionPolicy", "name": MAP_NAME, **status}
        if mutating
        else None,
        mutations=(Outcome(MAP_NAME, Verdict.UNPROVED, ""),) if mutating else (),
    )
