"""`--to gatekeeper`: a ConstraintTemplate (Rego v1 through `source.version: v1`, no
`import rego.v1`) holding PSP's validating phase, and a Constraint whose parameters are the
compiled policies and a snapshot of the RBAC that grants `use` (Gatekeeper cannot ask the
API server's authorizer, so RBAC changes after the export are not seen: export again).

Where it falls short of PSP: no mutation (PSP's defaults are not applied; a pod that needed
them is denied, as by PSP's validating phase); in Gatekeeper's audit of existing pods there is
no requesting user, so only the pod's service account counts there."""

from __future__ import annotations

from typing import Any

from podgate.export.cluster import Cluster
from podgate.export.gatekeeper_mutators import API_VERSION, UNPROVED, mutators, outcome
from podgate.export.model import ExportResult, Outcome, Verdict, annotate
from podgate.export.psp_rego import REGO, policy_parameters

KIND = "PodgatePodSecurityPolicies"
TEMPLATE = KIND.lower()
CONSTRAINT = "podgate-psp"


def parameters(cluster: Cluster) -> dict[str, Any]:
    by_name = {p.name: p.policy for p in cluster.policy_set.providers}
    unusable = [{"name": u.name, "buildable": False} for u in cluster.policy_set.unusable]
    return {
        "policies": [policy_parameters(by_name[n]) for n in cluster.policy_set.names] + unusable,
        "rbac": cluster.authz is not None,
        "grants": {n: cluster.use_grants(n) for n in cluster.policy_set.names},
    }


def _preserve(kind: str) -> dict[str, Any]:
    return {"type": kind, "x-kubernetes-preserve-unknown-fields": True}


def objects(cluster: Cluster, verdict: Verdict) -> list[dict[str, Any]]:
    names = ",".join(cluster.policy_set.names)
    template = {
        "apiVersion": "templates.gatekeeper.sh/v1",
        "kind": "ConstraintTemplate",
        "metadata": {"name": TEMPLATE},
        "spec": {
            "crd": {
                "spec": {
                    "names": {"kind": KIND},
                    "validation": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "policies": {"type": "array", "items": _preserve("object")},
                                "grants": _preserve("object"),
                                "rbac": {"type": "boolean"},
                            },
                        }
                    },
                }
            },
            "targets": [
                {
                    "target": "admission.k8s.gatekeeper.sh",
                    "code": [{"engine": "Rego", "source": {"version": "v1", "rego": REGO}}],
                }
            ],
        },
    }
    constraint = {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": KIND,
        "metadata": {"name": CONSTRAINT},
        "spec": {
            "enforcementAction": "deny",
            "match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]},
            "parameters": parameters(cluster),
        },
    }
    return [annotate(template, names, verdict), annotate(constraint, names, verdict)]


def export_gatekeeper(cluster: Cluster, minor: int) -> ExportResult:
    by_name = {p.name: p.policy for p in cluster.policy_set.providers}
    found: list[dict[str, Any]] = []
    left_out: list[str] = []
    for name in cluster.policy_set.names:
        objs, missing = mutators(by_name[name])
        found.extend(objs)
        left_out.extend(missing)
    notes = [
        "unproved until --verify runs the Rego in OPA (opa-golib-python-bindings, the "
        "`verify-opa` extra)",
        "RBAC is a snapshot in the constraint's parameters: export again after RBAC changes",
        "Gatekeeper's audit has no requesting user: there only the pod's service account counts",
        "No Kyverno or Kubewarden engine runs here; Gatekeeper itself was not run, OPA was",
    ]
    if found or left_out:
        notes.append(
            f"Assign/AssignMetadata/ModifySet mutators for PSP's defaults are {UNPROVED}: each "
            "changes every pod it matches, not only where PSP would select its policy (PSP "
            "filled in a policy's defaults only when no usable policy admitted the pod "
            "unchanged, and only the first by name that admitted it with them); where several "
            "policies default one field differently Gatekeeper refuses the conflict; the "
            "manifests can carry the defaults instead (podgate simplify)"
        )
        notes.extend(f"mutator left out: {x}" for x in left_out)
    notes.extend(cluster.input_notes(mutating=bool(found)))
    return ExportResult(
        target="gatekeeper",
        kubernetes_version=f"1.{minor}",
        objects=(*objects(cluster, Verdict.UNPROVED), *found),
        policies=tuple(Outcome(n, Verdict.UNPROVED, "") for n in cluster.policy_set.names),
        notes=tuple(notes),
        mutating={
            "kind": "Assign/AssignMetadata/ModifySet",
            "apiVersion": API_VERSION,
            "status": UNPROVED,
            "leftOut": left_out,
        }
        if found or left_out
        else None,
        mutations=tuple(outcome(o) for o in found),
    )
