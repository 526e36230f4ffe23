"""`--to kyverno`: where the input's policies (with their RBAC) decide exactly what one Pod
Security Standards level decides, a ClusterPolicy with one `validate.podSecurity` rule, proved
by podgate's PSS engine at the checks of the Pod Security Admission library Kyverno vendors
(see `kyverno_pss`); otherwise a Kyverno CEL `ValidatingPolicy` (`policies.kyverno.io/v1`)
carrying the same variables and validation as the ValidatingAdmissionPolicy export: PSP's
validating phase, with selection by RBAC through the CEL `authorizer` library that Kyverno's
CEL environment keeps from Kubernetes'. `--verify` runs that CEL in cel-cpp exactly as for
`--to vap`; Kyverno itself (no Kyverno or Kubewarden engine runs here) is not run.

Not emitted: pattern/foreach rules and mutation (Kyverno mutates every matching pod; PSP
applied a policy's defaults only when no usable policy admitted the pod unchanged)."""

from __future__ import annotations

from typing import Any

from podgate.export.cluster import Cluster
from podgate.export.kyverno_pss import (
    DEFAULT_LIBRARY,
    Exactness,
    cluster_policy,
    compare_levels,
    effective_version,
    exact_level,
    outcomes,
)
from podgate.export.model import ExportResult, Outcome, Verdict, annotate
from podgate.export.tried import pods_to_try
from podgate.export.vap import ANNOTATION_POLICIES, NAME, validating_spec
from podgate.pss import parse_version


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


def _why_not(levels: list[Exactness]) -> str:
    """Why no Pod Security Standards level stands for the policies, level by level."""
    parts = []
    for e in levels:
        example = (e.looser or e.stricter or ("",))[0]
        parts.append(
            f"{e.level.value} admits {len(e.looser)} pods the policies deny and denies "
            f"{len(e.stricter)} they admit (of {e.pods}; e.g. {example})"
        )
    return "no level decides as the policies do: " + "; ".join(parts)


def export_kyverno(
    cluster: Cluster, minor: int, *, library: int = DEFAULT_LIBRARY, boundary: bool = True
) -> ExportResult:
    pinned = parse_version(f"v1.{minor}")
    version = effective_version(pinned, library)
    tried = list(pods_to_try(cluster, boundary=boundary))
    levels = compare_levels(cluster, tried, version)
    level = exact_level(levels)
    library_note = (
        f"Kyverno evaluates podSecurity with the Pod Security Admission library it vendors: "
        f"k8s.io/pod-security-admission v0.{library} assumed (--kyverno-psa-library); the rule "
        f"pinned to {pinned} runs that library's checks for {version}"
    )
    if level is not None and cluster.policy_set.names:
        names = ",".join(cluster.policy_set.names)
        policies, namespaces = outcomes(cluster, tried, level, library, version)
        notes = [
            f"the policies, with their RBAC, admit exactly the pods Pod Security Standards "
            f"{level.value} admits ({len(tried)} pods tried, each as its requester): one "
            "validate.podSecurity rule, proved by podgate's PSS engine",
            library_note,
            "Kyverno itself is not run: no Kyverno or Kubewarden engine can run here",
            *cluster.input_notes(),
        ]
        return ExportResult(
            target="kyverno",
            kubernetes_version=f"1.{minor}",
            objects=(cluster_policy(level, pinned, names, Verdict.PROVED),),
            policies=policies,
            namespaces=namespaces,
            notes=tuple(notes),
        )
    notes = [
        "unproved until --verify runs the CEL (cel-expr-python, the `verify` extra)",
        "Kyverno itself is not run: no Kyverno or Kubewarden engine can run here; the CEL is "
        "what is proved, in cel-cpp with the Kubernetes authorizer library",
        "no pattern or mutate rules; no validate.podSecurity rule: " + _why_not(levels),
        library_note,
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
