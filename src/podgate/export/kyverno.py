"""`--to kyverno`: a Kyverno CEL `ValidatingPolicy` (`policies.kyverno.io/v1`) carrying the same
variables and validation as the ValidatingAdmissionPolicy export: PSP's validating phase, with
selection by RBAC through the CEL `authorizer` library that Kyverno's CEL environment keeps
from Kubernetes'. `--verify` runs that CEL in cel-cpp exactly as for `--to vap`; Kyverno itself
(no Kyverno or Kubewarden engine runs here) is not run.

Not emitted: `validate.podSecurity` rules (a PodSecurityPolicy is rarely exactly a Pod Security
Standards level, and which Pod Security Admission library a Kyverno release vendors cannot be
checked here), pattern/foreach rules and mutation (Kyverno mutates every matching pod; PSP
applied a policy's defaults only when no usable policy admitted the pod unchanged)."""

from __future__ import annotations

from typing import Any

from podgate.export.cluster import Cluster
from podgate.export.model import ExportResult, Outcome, Verdict, annotate
from podgate.export.vap import ANNOTATION_POLICIES, NAME, validating_spec


def objects(cluster: Cluster, verdict: Verdict) -> list[dict[str, Any]]:
    names = ",".join(cluster.policy_set.names)
    policy = {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": NAME, "annotations": {ANNOTATION_POLICIES: names}},
        "spec": {
            "validationActions": ["Deny"],
            # background scans have no requesting user: the RBAC selection needs one
            "evaluation": {"background": {"enabled": False}},
            **validating_spec(cluster),
        },
    }
    return [annotate(policy, names, verdict)]


def export_kyverno(cluster: Cluster, minor: int) -> ExportResult:
    notes = [
        "unproved until --verify runs the CEL (cel-expr-python, the `verify` extra)",
        "Kyverno itself is not run: no Kyverno or Kubewarden engine can run here; the CEL is "
        "what is proved, in cel-cpp with the Kubernetes authorizer library",
        "no validate.podSecurity, pattern or mutate rules: see `podgate export --help`",
        "a validating policy cannot mutate: pods that relied on PSP's defaults are denied until "
        "the defaults are in their manifests (podgate simplify)",
    ]
    notes.extend(cluster.input_notes())
    return ExportResult(
        target="kyverno",
        kubernetes_version=f"1.{minor}",
        objects=tuple(objects(cluster, Verdict.UNPROVED)),
        policies=tuple(Outcome(n, Verdict.UNPROVED, "") for n in cluster.policy_set.names),
        notes=tuple(notes),
    )
