"""Exports of PodSecurityPolicies to what clusters run today (Pod Security Admission labels,
ValidatingAdmissionPolicy, ...), each compared with PSP's own decisions. Pure: policies, RBAC
and workloads in (plain dicts), objects and verdicts out.

    result = export(policies, rbac, workloads, "psa", "1.30")
    result.objects, result.namespaces, result.policies   # each with verdict and gaps
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from podgate.export.cluster import Cluster
from podgate.export.model import (
    SOURCE_ANNOTATION,
    VERDICT_ANNOTATION,
    Direction,
    ExportError,
    ExportResult,
    Gap,
    Outcome,
    Verdict,
)
from podgate.export.psa import export_psa
from podgate.k8s import Obj
from podgate.pss import Version, parse_version

TARGETS = ("psa", "vap", "gatekeeper", "kyverno")
DEFAULT_KUBERNETES_VERSION = "1.36"


def kubernetes_version(text: str) -> tuple[int, Version]:
    """`1.N` (a leading `v` accepted): the minor, and the pinned PSS version `v1.N`."""
    m = re.fullmatch(r"v?1\.(\d{1,3})(?:\.\d+)?", text.strip())
    if m is None:
        raise ExportError(f"--kubernetes-version: expected 1.N (e.g. 1.30), got {text!r}")
    minor = int(m.group(1))
    if minor < 22:
        raise ExportError(
            f"--kubernetes-version: 1.{minor} has no Pod Security Admission (it is 1.22 or newer)"
        )
    return minor, parse_version(f"v1.{minor}")


def export(
    policies: Sequence[Obj],
    rbac: Sequence[Obj],
    workloads: Sequence[Obj],
    target: str,
    version: str = DEFAULT_KUBERNETES_VERSION,
    *,
    boundary: bool = True,
    kyverno_library: int | None = None,
) -> ExportResult:
    """Export `policies` (with the `rbac` that grants their use, and the `workloads` they
    admit) to `target` for Kubernetes `version` (1.N); every outcome says how it was proved.
    `boundary=False` compares on the workloads only (no generated pods)."""
    minor, pss_version = kubernetes_version(version)
    cluster = Cluster.from_objects([*policies, *rbac, *workloads])
    if target == "psa":
        out = export_psa(cluster, pss_version, boundary=boundary)
        return ExportResult(
            target="psa",
            kubernetes_version=f"1.{minor}",
            objects=tuple(out["objects"]),
            namespaces=tuple(out["namespaces"]),
            commands=tuple(out["commands"]),
            notes=(
                "PSA does not mutate: fields PSP filled in must be written into the manifests "
                "(see mutatedByPsp per namespace, or `podgate simplify`)",
            ),
        )
    if target == "vap":
        from podgate.export.vap import export_vap

        return export_vap(cluster, minor)
    if target == "gatekeeper":
        from podgate.export.gatekeeper import export_gatekeeper

        return export_gatekeeper(cluster, minor)
    if target == "kyverno":
        from podgate.export.kyverno import export_kyverno
        from podgate.export.kyverno_pss import DEFAULT_LIBRARY

        library = DEFAULT_LIBRARY if kyverno_library is None else kyverno_library
        return export_kyverno(cluster, minor, library=library, boundary=boundary)
    raise ExportError(f"--to: unknown target {target!r} (known: {', '.join(TARGETS)})")


__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "SOURCE_ANNOTATION",
    "TARGETS",
    "VERDICT_ANNOTATION",
    "Direction",
    "ExportError",
    "ExportResult",
    "Gap",
    "Outcome",
    "Verdict",
    "export",
    "kubernetes_version",
]
